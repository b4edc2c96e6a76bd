// .env for compose: scripts/gen-env.sh writes every generated secret once, in the formats the services take.
import { execFileSync } from 'node:child_process';
import { createHash, scryptSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCRYPT_PARAMS } from '@paredao/api/admin/password-hash';
import { mainFile, presentIncludes, root } from './compose-model.js';

describe('.env generation (scripts/gen-env.sh)', () => {
  const example = readFileSync(join(root, '.env.example'), 'utf8');
  const exampleKeys = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
  const secretKeys = [...example.matchAll(/^# secret[^\n]*\n([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
  const parseEnvFile = (text: string) =>
    Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));

  it('every variable the compose files read is documented in .env.example', () => {
    const files = [mainFile, ...presentIncludes];
    const used = new Set(
      files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!)),
    );
    const undocumented = [...used].filter((v) => !exampleKeys.includes(v));
    expect(undocumented).toEqual([]);
    for (const key of exampleKeys) {
      const line = example.split('\n').findIndex((l) => l.startsWith(`${key}=`));
      expect(example.split('\n')[line - 1], `${key} has no comment above it`).toMatch(/^#/);
    }
  });

  it('every required (${VAR:?}) variable is a generated secret', () => {
    const required = [...readFileSync(mainFile, 'utf8').matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)].map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(0);
    for (const key of required) expect(secretKeys, key).toContain(key);
  });

  it('creates .env with every key and fresh secrets, mode 0600, and never overwrites a key', () => {
    const work = mkdtempSync(join(tmpdir(), 'paredao-env-'));
    const envFile = join(work, '.env');
    try {
      writeFileSync(envFile, 'RABBITMQ_PASSWORD=kept-by-operator\n');
      execFileSync('bash', [join(root, 'scripts/gen-env.sh'), envFile], { stdio: 'pipe' });
      const first = readFileSync(envFile, 'utf8');
      const values = parseEnvFile(first);
      expect(Object.keys(values).sort()).toEqual([...exampleKeys].sort());
      expect(values.RABBITMQ_PASSWORD).toBe('kept-by-operator');
      for (const key of secretKeys.filter((k) => k !== 'RABBITMQ_PASSWORD' && k !== 'ADMIN_PASSWORD_HASH')) {
        expect(values[key], key).toMatch(/^[0-9a-f]{48,}$/);
      }
      // The api's scrypt format, derived from the generated password: it must verify against it.
      const [, n, r, p, salt, hash] = values.ADMIN_PASSWORD_HASH!.split(':');
      expect([Number(n), Number(r), Number(p)]).toEqual([SCRYPT_PARAMS.N, SCRYPT_PARAMS.r, SCRYPT_PARAMS.p]);
      expect(
        scryptSync(values.ADMIN_PASSWORD!, Buffer.from(salt!, 'base64'), 32, { N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 }).toString('base64'),
      ).toBe(hash);
      expect(values.GRAYLOG_PASSWORD_SECRET!.length).toBeGreaterThanOrEqual(64);
      expect(values.GRAYLOG_ROOT_PASSWORD_SHA2).toBe(
        createHash('sha256').update(values.GRAYLOG_ROOT_PASSWORD!).digest('hex'),
      );
      expect(statSync(envFile).mode & 0o777).toBe(0o600);

      execFileSync('bash', [join(root, 'scripts/gen-env.sh'), envFile], { stdio: 'pipe' });
      expect(readFileSync(envFile, 'utf8')).toBe(first);

      const other = join(work, 'other.env');
      execFileSync('bash', [join(root, 'scripts/gen-env.sh'), other], { stdio: 'pipe' });
      expect(parseEnvFile(readFileSync(other, 'utf8')).ANTIBOT_SECRET).not.toBe(values.ANTIBOT_SECRET);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
