// scripts/gen-env.sh on a Docker host as it comes: bash, coreutils, sed, grep and openssl (which the
// TLS pair already needs), no Node and no xxd. The PATH here holds links to exactly those tools.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRYPT_PARAMS, verifyPassword } from '@paredao/api/admin/password-hash';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts/gen-env.sh');
const BASH = '/bin/bash';
const COREUTILS = readFileSync('/var/lib/dpkg/info/coreutils.list', 'utf8')
  .split('\n')
  .filter((p) => /^\/(usr\/)?bin\/[^/]+$/.test(p));

let work: string;
let bin: string;
let argvLog: string;

/** A folder of links to the allowed tools; openssl is a wrapper that records its arguments, then runs the real one. */
function makeBin(dir: string, withOpenssl: boolean): string {
  mkdirSync(dir);
  for (const tool of [...COREUTILS, '/usr/bin/sed', '/usr/bin/grep']) {
    try {
      symlinkSync(tool, join(dir, tool.split('/').pop()!));
    } catch {
      // coreutils lists some names under both /bin and /usr/bin
    }
  }
  if (withOpenssl) {
    writeFileSync(join(dir, 'openssl'), `#!${BASH}\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec /usr/bin/openssl "$@"\n`);
    chmodSync(join(dir, 'openssl'), 0o755);
  }
  return dir;
}

function genEnv(envFile: string, path = bin) {
  return spawnSync(BASH, [script, envFile], { env: { PATH: path, HOME: work }, encoding: 'utf8' });
}
const valueOf = (file: string, key: string) => readFileSync(file, 'utf8').match(new RegExp(`^${key}=(.*)$`, 'm'))?.[1];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'paredao-gen-env-'));
  argvLog = join(work, 'openssl-argv.log');
  bin = makeBin(join(work, 'bin'), true);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('scripts/gen-env.sh with coreutils and openssl only', () => {
  it('the PATH really lacks node and xxd', () => {
    const probe = spawnSync(BASH, ['-c', 'command -v node || command -v xxd || echo none'], { env: { PATH: bin }, encoding: 'utf8' });
    expect(probe.stdout.trim()).toBe('none');
  });

  it('when .env is created, then ADMIN_PASSWORD_HASH has the api parameters and verifies with the api', async () => {
    const envFile = join(work, 'fresh.env');
    const run = genEnv(envFile);
    expect(run.status, run.stderr).toBe(0);
    const password = valueOf(envFile, 'ADMIN_PASSWORD')!;
    const hash = valueOf(envFile, 'ADMIN_PASSWORD_HASH')!;
    const [, n, r, p, salt] = hash.split(':');
    expect([Number(n), Number(r), Number(p)]).toEqual([SCRYPT_PARAMS.N, SCRYPT_PARAMS.r, SCRYPT_PARAMS.p]);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(await verifyPassword(password, hash)).toBe(true);
    expect(await verifyPassword(`${password}x`, hash)).toBe(false);
  });

  it('when it hashes the password, then the password is not in any openssl command line', () => {
    const envFile = join(work, 'argv.env');
    writeFileSync(argvLog, '');
    writeFileSync(envFile, 'ADMIN_PASSWORD=operator-chosen-secret-9\n');
    expect(genEnv(envFile).status).toBe(0);
    const argv = readFileSync(argvLog, 'utf8');
    expect(argv).toMatch(/scrypt/); // the wrapper did see the call
    expect(argv).not.toContain('operator-chosen-secret-9');
    expect(argv).not.toContain(Buffer.from('operator-chosen-secret-9').toString('hex'));
  });

  it('when there is Node but no openssl (a bare local run), then Node hashes it, verifiably', async () => {
    const withNode = makeBin(join(work, 'bin-node'), false);
    symlinkSync(process.execPath, join(withNode, 'node'));
    const envFile = join(work, 'node.env');
    const run = genEnv(envFile, withNode);
    expect(run.status, run.stderr).toBe(0);
    const hash = valueOf(envFile, 'ADMIN_PASSWORD_HASH')!;
    expect(hash.split(':').slice(1, 4).map(Number)).toEqual([SCRYPT_PARAMS.N, SCRYPT_PARAMS.r, SCRYPT_PARAMS.p]);
    expect(await verifyPassword(valueOf(envFile, 'ADMIN_PASSWORD')!, hash)).toBe(true);
  });

  it('when the hash cannot be made (no openssl, no node), then it fails and writes no ADMIN_PASSWORD_HASH', () => {
    const envFile = join(work, 'no-openssl.env');
    const run = genEnv(envFile, makeBin(join(work, 'bin-no-openssl'), false));
    expect(run.status).not.toBe(0);
    expect(valueOf(envFile, 'ADMIN_PASSWORD')).toMatch(/^[0-9a-f]{48}$/);
    expect(valueOf(envFile, 'ADMIN_PASSWORD_HASH')).toBeUndefined();
    // With openssl back, the next run completes the file.
    expect(genEnv(envFile).status).toBe(0);
    expect(valueOf(envFile, 'ADMIN_PASSWORD_HASH')).toMatch(/^scrypt:/);
  });

  it('when .env holds the empty-salt hash an earlier run wrote, then it is derived again and verifies', async () => {
    const envFile = join(work, 'broken.env');
    // What the old script wrote without xxd: the salt empty, the hash made with another salt.
    const broken = `scrypt:131072:8:1::${Buffer.alloc(32, 7).toString('base64')}`;
    writeFileSync(envFile, `ADMIN_PASSWORD=kept-password-1\nADMIN_PASSWORD_HASH=${broken}\nANTIBOT_SECRET=kept\n`);
    const run = genEnv(envFile);
    expect(run.status, run.stderr).toBe(0);
    expect(valueOf(envFile, 'ADMIN_PASSWORD_HASH')).not.toBe(broken);
    expect(await verifyPassword('kept-password-1', valueOf(envFile, 'ADMIN_PASSWORD_HASH')!)).toBe(true);
    expect(valueOf(envFile, 'ANTIBOT_SECRET')).toBe('kept');
    expect(readFileSync(envFile, 'utf8').match(/^ADMIN_PASSWORD_HASH=/gm)).toHaveLength(1);
  });

  it('when the hash is well formed, then it is never rewritten', () => {
    const envFile = join(work, 'kept.env');
    const operatorHash = `scrypt:32768:8:3:${Buffer.alloc(16, 1).toString('base64')}:${Buffer.alloc(32, 2).toString('base64')}`;
    writeFileSync(envFile, `ADMIN_PASSWORD=whatever\nADMIN_PASSWORD_HASH=${operatorHash}\n`);
    expect(genEnv(envFile).status).toBe(0);
    expect(valueOf(envFile, 'ADMIN_PASSWORD_HASH')).toBe(operatorHash);
  });
});
