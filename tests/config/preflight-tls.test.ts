// ./preflight.sh docker with the operator's TLS pair where Let's Encrypt keeps it: in folders only
// root may enter, the key 0600. The proxy reads it as root (proxy/Dockerfile), so preflight, run as the
// deploy user, must let it through, and still stop on a path that does not exist (Docker would mount
// an empty folder there). No Docker here: a stand-in answers the version questions preflight asks.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './compose-model.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('SKIPPED: the preflight TLS check runs preflight as another user, which needs root');

let work: string;
let repo: string;
let bin: string;
let letsencrypt: string;

beforeAll(() => {
  if (!asRoot) return;
  work = mkdtempSync(join(tmpdir(), 'paredao-preflight-tls-'));
  chmodSync(work, 0o755);
  // The parts of the repository `preflight.sh docker` uses, owned by the deploy user.
  repo = join(work, 'repo');
  mkdirSync(join(repo, 'api/src/admin'), { recursive: true });
  for (const p of ['preflight.sh', 'scripts', '.env.example', 'api/src/admin/password-hash.ts']) cpSync(join(root, p), join(repo, p), { recursive: true });
  spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, repo]);
  bin = join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'docker'),
    [
      '#!/bin/bash',
      'case "$*" in',
      '  "compose version --short") echo 2.29.7 ;;',
      '  "version --format {{.Server.Version}}") echo 27.3.1 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'docker'), 0o755);
  // preflight wants sudo as a non-root user (local mode installs packages); docker mode never calls it.
  writeFileSync(join(bin, 'sudo'), '#!/bin/bash\necho "sudo was not expected" >&2\nexit 1\n');
  chmodSync(join(bin, 'sudo'), 0o755);
  // As certbot leaves it: /etc/letsencrypt/live 0700 root, privkey.pem 0600 root.
  letsencrypt = join(work, 'letsencrypt');
  mkdirSync(join(letsencrypt, 'live/vote.example'), { recursive: true });
  spawnSync('bash', [join(root, 'scripts/self-signed-cert.sh'), join(letsencrypt, 'live/vote.example')], { stdio: 'pipe' });
  chmodSync(join(letsencrypt, 'live/vote.example/key.pem'), 0o600);
  chmodSync(join(letsencrypt, 'live'), 0o700);
  chmodSync(letsencrypt, 0o755);
  chownSync(letsencrypt, 0, 0);
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function preflightDocker(env: Record<string, string>) {
  return spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'bash', join(repo, 'preflight.sh'), 'docker'], {
    env: { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, HOME: repo, HTTP_PORT: '1', ...env },
    encoding: 'utf8',
  });
}

describe('./preflight.sh docker and the operator TLS pair', () => {
  it.skipIf(!asRoot)('when the pair is in a folder only root may enter, then preflight says so and goes on', () => {
    const r = preflightDocker({
      TLS_CERT_FILE: join(letsencrypt, 'live/vote.example/cert.pem'),
      TLS_KEY_FILE: join(letsencrypt, 'live/vote.example/key.pem'),
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/TLS_KEY_FILE: .* may not look into .*\/live .*reads it as root/);
    expect(r.stdout).toMatch(/ready: \.\/run\.sh compose up/);
  });

  it.skipIf(!asRoot)('when the key is a file only root may read, then preflight says so and goes on', () => {
    chmodSync(join(letsencrypt, 'live'), 0o755);
    try {
      const r = preflightDocker({
        TLS_CERT_FILE: join(letsencrypt, 'live/vote.example/cert.pem'),
        TLS_KEY_FILE: join(letsencrypt, 'live/vote.example/key.pem'),
      });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/TLS_KEY_FILE: .*key\.pem is not readable by nobody; the proxy reads it as root/);
    } finally {
      chmodSync(join(letsencrypt, 'live'), 0o700);
    }
  });

  it.skipIf(!asRoot)('when a path does not exist, or is a folder, then preflight stops and names the setting', () => {
    const missing = preflightDocker({ TLS_CERT_FILE: join(work, 'nowhere/cert.pem'), TLS_KEY_FILE: join(work, 'nowhere/key.pem') });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/TLS_CERT_FILE .* does not exist/);
    const folder = preflightDocker({ TLS_CERT_FILE: join(letsencrypt, 'live/vote.example/cert.pem'), TLS_KEY_FILE: work });
    expect(folder.status).not.toBe(0);
    expect(folder.stderr).toMatch(/TLS_KEY_FILE .* is not a file/);
  });
});
