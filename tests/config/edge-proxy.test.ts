import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadApiConfig, publicOrigins } from '@paredao/api/platform/config';

/**
 * The edge's wiring, offline: what the rendered nginx config lets through (/nginx_status, host names)
 * and that compose gives the api the proxy's address to trust and nginx the exporter's. The behaviour
 * itself is tried through the real nginx in tests/e2e/edge.test.ts.
 */
const ROOT = resolve(import.meta.dirname, '../..');

function render(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'paredao-edge-'));
  const res = spawnSync(join(ROOT, 'proxy/render-local.sh'), [dir], { env: { PATH: process.env.PATH, HTTP_PORT: '18080', API_PORT: '13000', ...env }, encoding: 'utf8' });
  const conf = res.status === 0 ? readFileSync(join(dir, 'paredao.conf'), 'utf8') : '';
  rmSync(dir, { recursive: true, force: true });
  return { status: res.status, stderr: res.stderr, conf };
}

/** The `allow` lines of every `location = /nginx_status` block. */
function statusAllows(conf: string): string[][] {
  return [...conf.matchAll(/location = \/nginx_status \{([\s\S]*?)\n {2}\}/g)].map((m) => [...m[1]!.matchAll(/allow ([^;]+);/g)].map((a) => a[1]!));
}

describe('the edge config', () => {
  it('when rendered, then /nginx_status is in the default server only and allows loopback and NGINX_STATUS_ALLOW, no private network', () => {
    expect(statusAllows(render({}).conf)).toEqual([['127.0.0.1', '::1']]);
    expect(statusAllows(render({ NGINX_STATUS_ALLOW: '172.30.253.11' }).conf)).toEqual([['127.0.0.1', '::1', '172.30.253.11']]);
    expect(render({ NGINX_STATUS_ALLOW: '10.0.0.1; allow all' }).status).not.toBe(0);
  });

  it("when PUBLIC_ORIGINS is set, then nginx serves those host names only, the same list the api checks Origin against; unset, both take localhost and 127.0.0.1", () => {
    const serverNames = (conf: string) => [...conf.matchAll(/^ +server_name ([^;]*);/gm)].map((m) => m[1]);
    expect(serverNames(render({}).conf)).toEqual(['""', 'localhost 127.0.0.1']);
    expect(serverNames(render({ PUBLIC_ORIGINS: 'https://paredao.example.com, https://www.paredao.example.com:8443,http://[::1]:8080' }).conf)).toEqual([
      '""',
      'paredao.example.com www.paredao.example.com [::1]',
    ]);
    for (const bad of ['paredao.example.com', 'https://a.example/path', 'https://a.example;b', 'https://a.example:80x']) {
      expect(render({ PUBLIC_ORIGINS: bad }).status, bad).not.toBe(0);
      expect(() => loadApiConfig({ ADMIN_SESSION_SECRET: 'k'.repeat(32), ANTIBOT_SECRET: 's'.repeat(32), PUBLIC_ORIGINS: bad }), bad).toThrow(/PUBLIC_ORIGINS/);
    }
    const base = { ADMIN_SESSION_SECRET: 'k'.repeat(32), ANTIBOT_SECRET: 's'.repeat(32), CPF_HMAC_SECRET: 'c'.repeat(32) };
    expect(publicOrigins(loadApiConfig({ ...base, HTTP_PORT: '8081' }))).toEqual(['http://localhost:8081', 'https://localhost:8443', 'http://127.0.0.1:8081', 'https://127.0.0.1:8443']);
    expect(publicOrigins(loadApiConfig({ ...base, PUBLIC_ORIGINS: 'HTTPS://Paredao.Example.com:443/' }))).toEqual(['https://paredao.example.com']);
  });

  it('when HSTS is on, then it covers subdomains', () => {
    expect(render({}).conf).toMatch(/map \$paredao_proto \$paredao_hsts \{\s*https\s+"max-age=31536000; includeSubDomains";/);
  });

  it("in compose, the api trusts exactly the proxy's fixed address, nginx lets exactly the exporter's read /nginx_status, both on front's subnet", () => {
    type Net = { ipv4_address?: string } | null;
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string>; networks?: Record<string, Net> | string[] }>;
      networks: Record<string, { ipam?: { config?: { subnet: string }[] } } | null>;
    };
    const addressOn = (svc: string) => ((compose.services[svc]!.networks as Record<string, Net>).front ?? {}).ipv4_address;
    const proxy = addressOn('proxy');
    const exporter = addressOn('nginx-exporter');
    expect(proxy).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(compose.services.api!.environment!.TRUSTED_PROXIES).toBe(proxy);
    expect(compose.services.proxy!.environment!.NGINX_STATUS_ALLOW).toBe(exporter);
    const subnet = compose.networks.front!.ipam!.config![0]!.subnet;
    const prefix = subnet.replace(/\.0\/24$/, '.');
    expect(subnet).toMatch(/\.0\/24$/);
    for (const a of [proxy!, exporter!]) expect(a.startsWith(prefix), a).toBe(true);
    expect(compose.services.api!.environment!.PUBLIC_ORIGINS).toBe(compose.services.proxy!.environment!.PUBLIC_ORIGINS);
    expect(compose.services.api!.environment).not.toHaveProperty('TRUST_PROXY_HOPS');
  });

  it('when rendered, then photo hits are not limited and misses are, per client, in the default server the cache asks over loopback', () => {
    const conf = render({}).conf;
    const servers = conf.split(/^server \{$/m).slice(1);
    const imagesOf = (server: string) => /location \/api\/images\/ \{([\s\S]*?)\n {2}\}/.exec(server)?.[1] ?? '';
    const [fallback, site] = [servers[0]!, servers[1]!];
    expect(fallback).toMatch(/listen 127\.0\.0\.1:18080 default_server;/);
    expect(imagesOf(site)).toMatch(/proxy_cache paredao_images;/);
    expect(imagesOf(site)).not.toMatch(/limit_req/);
    // To this nginx's own plain listener, by a Host the site does not serve (the default server's).
    expect(imagesOf(site)).toMatch(/proxy_pass http:\/\/127\.0\.0\.1:18080;/);
    const host = /proxy_set_header Host ([^;]+);/.exec(imagesOf(site))?.[1];
    expect(site).toMatch(/server_name localhost 127\.0\.0\.1;/);
    expect(['localhost', '127.0.0.1']).not.toContain(host);
    expect(imagesOf(fallback)).toMatch(/limit_req zone=paredao_image_misses burst=150 nodelay;/);
    expect(imagesOf(fallback)).toMatch(/if \(\$realip_remote_addr !~ "\^\(127\\\.0\\\.0\\\.1\|::1\)\$"\)/);
    expect(conf).toMatch(/limit_req_zone \$paredao_client_key zone=paredao_image_misses:10m rate=30r\/s;/);
  });

  it("in the image, the photos' misses go to nginx's plain port on loopback (NGINX_SELF)", () => {
    const self = (listen: string) =>
      spawnSync('sh', ['-c', `. "${join(ROOT, 'proxy/15-rate-limit.envsh')}" && printf %s "$NGINX_SELF"`], { env: { PATH: process.env.PATH, NGINX_LISTEN_PORT: listen }, encoding: 'utf8' }).stdout;
    expect(self('8080')).toBe('127.0.0.1:8080');
    expect(self('127.0.0.1:18080')).toBe('127.0.0.1:18080');
  });

  it("the image's health check asks /nginx_status by a name that is never the site's", () => {
    expect(readFileSync(join(ROOT, 'proxy/Dockerfile'), 'utf8')).toMatch(/HEALTHCHECK[\s\S]*--header "Host: healthcheck\.internal"[\s\S]*\/nginx_status/);
  });
});
