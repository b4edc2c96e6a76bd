import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCRYPT_PARAMS, verifyPassword } from '@paredao/api/admin/password-hash';

const ROOT = resolve(import.meta.dirname, '../..');
const TEMPLATE = join(ROOT, 'proxy/templates/default.conf.template');

/** Renders the proxy config as the local run does, with `env`, and returns the directory (or the failure). */
function render(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'paredao-proxy-'));
  const res = spawnSync(join(ROOT, 'proxy/render-local.sh'), [dir], { env: { PATH: process.env.PATH, HTTP_PORT: '18080', API_PORT: '13000', ...env }, encoding: 'utf8' });
  return { dir, status: res.status, stderr: res.stderr, conf: res.status === 0 ? readFileSync(join(dir, 'paredao.conf'), 'utf8') : '' };
}

function nginxTest(dir: string) {
  return spawnSync('nginx', ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir], { encoding: 'utf8' });
}

describe('the proxy config', () => {
  it('when any location has an add_header of its own, then it would drop the server-level security headers: there is none', () => {
    const lines = readFileSync(TEMPLATE, 'utf8').split('\n');
    let depth = 0;
    const inLocation: string[] = [];
    for (const [i, line] of lines.entries()) {
      const code = line.replace(/#.*$/, '').replace(/'[^']*'|"[^"]*"/g, '');
      if (depth >= 2 && /^\s*add_header\b/.test(code)) inLocation.push(`line ${i + 1}: ${line.trim()}`);
      depth += (code.match(/{/g) ?? []).length - (code.match(/}/g) ?? []).length;
    }
    expect(inLocation).toEqual([]);
    // and the server level does have them
    expect(readFileSync(TEMPLATE, 'utf8')).toMatch(/^ {2}add_header X-Content-Type-Options nosniff always;$/m);
  });

  it('when rendered plain, behind trusted hops, or with TLS, then the real nginx accepts every variant', () => {
    const certDir = mkdtempSync(join(tmpdir(), 'paredao-cert-'));
    execFileSync('bash', [join(ROOT, 'scripts/self-signed-cert.sh'), certDir], { stdio: 'pipe' });
    try {
      const variants: Record<string, string>[] = [
        {},
        { TRUSTED_PROXY_CIDRS: '10.0.0.0/8, 192.168.1.1 2001:db8::/32' },
        { TLS_CERT_FILE: join(certDir, 'cert.pem'), TLS_KEY_FILE: join(certDir, 'key.pem'), HTTPS_PORT: '18443' },
        { RATE_LIMIT_PER_IP: '0', NGINX_STREAMS_PER_IP: '1', NGINX_STREAMS_TOTAL: '5', HSTS_MAX_AGE: '0' },
      ];
      for (const env of variants) {
        const r = render(env);
        expect(r.status, `${JSON.stringify(env)}: ${r.stderr}`).toBe(0);
        const t = nginxTest(r.dir);
        expect(t.status, `${JSON.stringify(env)}: ${t.stderr}`).toBe(0);
        rmSync(r.dir, { recursive: true, force: true });
      }
    } finally {
      rmSync(certDir, { recursive: true, force: true });
    }
  });

  it('when TRUSTED_PROXY_CIDRS or the TLS settings carry something else than an address, then rendering stops and says which', () => {
    const bad = render({ TRUSTED_PROXY_CIDRS: '10.0.0.0/8; include /etc/passwd' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/TRUSTED_PROXY_CIDRS/);
    const half = render({ TLS_CERT_FILE: '/nonexistent/cert.pem' });
    expect(half.status).not.toBe(0);
    expect(half.stderr).toMatch(/TLS_CERT_FILE and TLS_KEY_FILE/);
  });

  it('when no front hop is trusted, then no client can set the scheme or the address nginx passes on', () => {
    const { conf } = render({});
    // The one exception: the photos' misses, which this nginx sends itself over loopback with a token
    // made at start (the default server's /api/images/; tests/e2e/images.test.ts tries a forged one).
    const misses = /location \/api\/images\/ \{\n {4}default_type application\/json;\n([\s\S]*?)\n {2}\}/.exec(conf)?.[1] ?? '';
    expect(misses).toMatch(/if \(\$http_x_paredao_image_miss != "[0-9a-f]{32}"\) \{\n\s*return 421/);
    expect([...misses.matchAll(/set_real_ip_from ([^;]+);/g)].map((m) => m[1])).toEqual(['127.0.0.1', '::1']);
    expect(conf.replace(misses, '')).not.toMatch(/set_real_ip_from/);
    expect(conf).toMatch(/proxy_set_header X-Forwarded-Proto \$paredao_proto;/);
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
  });
});

describe('the admin password tooling', () => {
  const script = join(ROOT, 'scripts/hash-password.mjs');

  it('when the password is given on the command line, then hash-password refuses it (it would show in ps)', () => {
    const res = spawnSync('node', [script, 'a-password-123'], { encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/not taken from the command line/);
  });

  it("when the password comes on standard input, then it prints a hash with the api's scrypt parameters that the api verifies", async () => {
    const res = spawnSync('node', [script], { input: 'a-password-123\n', encoding: 'utf8' });
    expect(res.status).toBe(0);
    const { N, r, p } = SCRYPT_PARAMS;
    expect(res.stdout).toMatch(new RegExp(`^scrypt:${N}:${r}:${p}:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+\\n$`));
    expect(await verifyPassword('a-password-123', res.stdout.trim())).toBe(true);
    expect(await verifyPassword('a-password-124', res.stdout.trim())).toBe(false);
  });

  it('when preflight creates .env, then it tells where the admin password is without printing it', () => {
    const work = mkdtempSync(join(tmpdir(), 'paredao-preflight-'));
    try {
      symlinkSync(join(ROOT, 'scripts'), join(work, 'scripts'));
      copyFileSync(join(ROOT, '.env.example'), join(work, '.env.example'));
      // gen-env reads the api's scrypt parameters from there.
      mkdirSync(join(work, 'api/src/admin'), { recursive: true });
      symlinkSync(join(ROOT, 'api/src/admin/password-hash.ts'), join(work, 'api/src/admin/password-hash.ts'));
      // ensure_env from preflight.sh itself, run in a scratch copy of the repository layout.
      const fn = /^ensure_env\(\) \{[\s\S]*?^\}/m.exec(readFileSync(join(ROOT, 'preflight.sh'), 'utf8'))![0];
      writeFileSync(join(work, 'run.sh'), `set -euo pipefail\nsay() { printf '%s\\n' "$*"; }\n${fn}\nensure_env\n`);
      const out = execFileSync('bash', ['run.sh'], { cwd: work, encoding: 'utf8' });
      const password = /^ADMIN_PASSWORD=(.+)$/m.exec(readFileSync(join(work, '.env'), 'utf8'))![1]!;
      expect(password.length).toBeGreaterThanOrEqual(16);
      expect(out).toMatch(/production team login/);
      expect(out).not.toContain(password);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

