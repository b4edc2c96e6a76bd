import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SELF = 'tests/config/secrets.test.ts';
const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
  .split('\0')
  .filter(Boolean)
  // Lockfiles are integrity hashes, not secrets; this file holds planted examples of what it looks for.
  .filter((f) => !/(^|\/)package-lock\.json$/.test(f) && f !== SELF);

/** Passwords that redaction tests use on purpose: they say so (`top-secret-amqp`, `s3cret`, `changeme`). */
const FAKE = /^(s3cret|pass|redacted)$|secret|password|changeme|fake|dummy|example/i;

interface Rule {
  what: string;
  pattern: RegExp;
  allow?: (match: string) => boolean;
  /** A line the rule must catch, so the rule itself is tested. */
  planted: string;
}

const rules: Rule[] = [
  { what: 'a private key block', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/g, planted: '-----BEGIN OPENSSH PRIVATE KEY-----' },
  {
    what: 'ANTIBOT_SECRET, ADMIN_SESSION_SECRET or CPF_HMAC_SECRET with a literal value',
    // A value of secret length (env file, compose, YAML). Generated values (randomBytes(…), printf %s,
    // ${VAR}) and the empty `ANTIBOT_SECRET=` of .env.example do not match.
    pattern: /(?:ANTIBOT|ADMIN_SESSION|CPF_HMAC)_SECRET\s*[=:]\s*["']?[A-Za-z0-9+/_=-]{16,}/g,
    allow: (m) => /change-?me|example|placeholder/i.test(m),
    planted: '      ANTIBOT_SECRET: "9f2c1e7a0b4d4e8f9a1b2c3d4e5f6a7b"',
  },
  {
    what: 'a password in a URL (other than the guest:guest broker default)',
    pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"`]+:[^\s@/'"`]+@/gi,
    allow: (m) => {
      const [, user = '', pass = ''] = /:\/\/([^:]+):([^@]+)@/.exec(m) ?? [];
      // guest:guest is RabbitMQ's local-only default; ${VAR} references and <placeholders> are not values.
      return (user === 'guest' && pass === 'guest') || /^\$\{?|^<|^\*+$/.test(pass) || /^\$\{?/.test(user) || FAKE.test(pass);
    },
    planted: "const url = 'mongodb://paredao:Xk82hq0pZ@mongo:27017/paredao';",
  },
  {
    what: 'a cloud or service token',
    pattern: /\b(AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{36}|xox[baprs]-[A-Za-z0-9-]{10,}|glsa_[A-Za-z0-9_]{32,}|sk-[A-Za-z0-9]{32,})\b/g,
    planted: 'token = AKIAIOSFODNN7EXAMPLE',
  },
];

function text(f: string): string | null {
  try {
    const p = resolve(ROOT, f);
    if (statSync(p).size > 2_000_000) return null;
    const b = readFileSync(p);
    return b.includes(0) ? null : b.toString('utf8');
  } catch {
    return null; // deleted in the work tree but still in the index
  }
}

function findIn(rule: Rule, name: string, content: string): string[] {
  const found: string[] = [];
  content.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(rule.pattern)) if (!rule.allow?.(m[0])) found.push(`${name}:${i + 1}: ${m[0].slice(0, 60)}`);
  });
  return found;
}

describe('no secret is committed (git ls-files)', () => {
  it('has files to scan', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  for (const rule of rules) {
    it(`when a tracked file holds ${rule.what}, then it is reported`, () => {
      expect(findIn(rule, 'planted', rule.planted)).toHaveLength(1);
      const found = files.flatMap((f) => {
        const t = text(f);
        return t ? findIn(rule, f, t) : [];
      });
      expect(found).toEqual([]);
    });
  }

  it('when a .env file (not .env.example) is tracked, then it is reported', () => {
    const isEnv = (f: string) => /^\.env($|\.)/.test(basename(f)) && !/\.(example|sample)$/.test(f);
    expect(['.env', 'deploy/.env.production'].filter(isEnv)).toHaveLength(2);
    expect(files.filter(isEnv)).toEqual([]);
  });
});
