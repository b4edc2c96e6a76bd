import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_USER, adminCookie } from '@paredao/testkit/admin';
import { plainRequest } from '../support/http.js';
import { freePort, waitFor } from '@paredao/testkit/ports';
import { startStack, type Stack } from '@paredao/testkit/stack';

/**
 * The edge: the real nginx (rendered from proxy/templates) in front of the real api. The
 * loopback has many addresses: 127.0.0.2 plays the trusted front hop (a load balancer), and other
 * 127.0.0.x addresses are clients with rate-limit keys of their own.
 */
const FRONT_HOP = '127.0.0.2';
/** Plays the nginx exporter (NGINX_STATUS_ALLOW). */
const STATUS_READER = '127.0.0.8';

interface AccessLine {
  remote_addr: string;
  request_id: string;
  uri: string;
  status: number;
}

function accessLog(stack: Stack): AccessLine[] {
  return readFileSync(join(stack.dir, 'nginx/nginx-access.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AccessLine);
}

const loginBody = (password = ADMIN_PASSWORD) => JSON.stringify({ username: ADMIN_USER, password });
const jsonHeaders = { 'content-type': 'application/json' };

/** Opens an SSE stream from `localAddress`; resolves with the response (kept open) and the request (to close it). */
function openStream(url: string, localAddress: string): Promise<{ res: IncomingMessage; req: ClientRequest; body: () => string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { localAddress, agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('error', () => {});
      // A refusal is a short JSON body: wait for it; a stream is answered at once with its first frames.
      if (res.statusCode === 200) resolve({ res, req, body: () => text });
      else res.on('end', () => resolve({ res, req, body: () => text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the edge behind a trusted front hop', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      rateLimitPerIp: 60,
      env: { TRUSTED_PROXY_CIDRS: `${FRONT_HOP}/32`, NGINX_STREAMS_PER_IP: '2', RESULTS_STREAM_MAX: '50', NGINX_STATUS_ALLOW: STATUS_READER },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('when the trusted front hop says the client came over https, then the session cookie is Secure (__Host-); when anyone else says so, it is not', async () => {
    const viaHop = await plainRequest(`${stack.url}/api/admin/login`, { method: 'POST', headers: { ...jsonHeaders, 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.20' }, body: loginBody(), localAddress: FRONT_HOP });
    expect(viaHop.status).toBe(204);
    const secure = String(viaHop.headers['set-cookie']);
    expect(secure).toMatch(/^__Host-paredao_admin=/);
    expect(secure).toMatch(/; Secure/);
    // HSTS goes with https answers only, and covers subdomains (which could otherwise plant cookies).
    expect(viaHop.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');

    const spoofed = await plainRequest(`${stack.url}/api/admin/login`, { method: 'POST', headers: { ...jsonHeaders, 'x-forwarded-proto': 'https' }, body: loginBody() });
    expect(spoofed.status).toBe(204);
    expect(String(spoofed.headers['set-cookie'])).toMatch(/^paredao_admin=/);
    expect(String(spoofed.headers['set-cookie'])).not.toMatch(/Secure/);
    expect(spoofed.headers['strict-transport-security']).toBeUndefined();
  });

  it("when a request comes through the front hop, then nginx and the api see the client's address; a client's own X-Forwarded-For is ignored", async () => {
    const marker = `/api/paredao?realip=${Date.now()}`;
    await plainRequest(`${stack.url}${marker}&hop`, { headers: { 'x-forwarded-for': '203.0.113.7' }, localAddress: FRONT_HOP });
    await plainRequest(`${stack.url}${marker}&direct`, { headers: { 'x-forwarded-for': '203.0.113.8' } });
    await waitFor('access log lines', async () => accessLog(stack).filter((l) => l.uri.startsWith(marker)).length === 2 || undefined);
    const lines = accessLog(stack).filter((l) => l.uri.startsWith(marker));
    expect(lines.find((l) => l.uri.endsWith('&hop'))?.remote_addr).toBe('203.0.113.7');
    expect(lines.find((l) => l.uri.endsWith('&direct'))?.remote_addr).toBe('127.0.0.1');
  });

  it('when /nginx_status is asked, then only loopback and the exporter get it, by an internal name; by the site name or through the front hop it does not exist', async () => {
    // The exporter asks http://proxy:8080/nginx_status: a name that is not the site's.
    const internal = { host: 'proxy' };
    for (const from of ['127.0.0.1', STATUS_READER]) {
      const res = await plainRequest(`${stack.url}/nginx_status`, { headers: internal, localAddress: from });
      expect(res.status, from).toBe(200);
      expect(res.body).toMatch(/Active connections/);
    }
    // Any other peer (on a private network, say Grafana's or Graylog's) is refused.
    expect((await plainRequest(`${stack.url}/nginx_status`, { headers: internal, localAddress: '127.0.0.3' })).status).toBe(403);
    expect((await plainRequest(`${stack.url}/nginx_status`)).status).toBe(404);
    const viaHop = await plainRequest(`${stack.url}/nginx_status`, { headers: { ...internal, 'x-forwarded-for': '127.0.0.1' }, localAddress: FRONT_HOP });
    expect(viaHop.status).toBe(404);
  });

  it('when a request names a host that is not the site (Host: evil.example), then nginx answers 421 itself and the api never sees it', async () => {
    const evil = { host: 'evil.example', origin: 'http://evil.example' };
    const page = await plainRequest(`${stack.url}/`, { headers: evil });
    expect(page.status).toBe(421);
    expect(JSON.parse(page.body)).toMatchObject({ error: { code: 'unknown_host' } });
    const login = await plainRequest(`${stack.url}/api/admin/login`, { method: 'POST', headers: { ...jsonHeaders, ...evil }, body: loginBody(), localAddress: '127.0.0.9' });
    expect(login.status).toBe(421);
    expect(login.headers['set-cookie']).toBeUndefined();
    // The panel's redirect to the login page is built from the host: never from a forged one.
    const panel = await plainRequest(`${stack.url}/painel.html`, { headers: evil });
    expect(panel.status).toBe(421);
    expect(panel.headers.location).toBeUndefined();
    // The site's own names still work: localhost and 127.0.0.1 on HTTP_PORT by default.
    const port = new URL(stack.url).port;
    expect((await plainRequest(`${stack.url}/api/paredao`, { headers: { host: `localhost:${port}` } })).status).not.toBe(421);
  });

  it("when an admin change carries an Origin that is not the site's, then 403 cross_origin; the site's own origin passes", async () => {
    const port = new URL(stack.url).port;
    const login = (origin: string) => plainRequest(`${stack.url}/api/admin/login`, { method: 'POST', headers: { ...jsonHeaders, origin }, body: loginBody(), localAddress: '127.0.0.10' });
    const refused = await login('http://evil.example');
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'cross_origin' } });
    expect((await login(`http://127.0.0.1:${port}`)).status).toBe(204);
    expect((await login(`http://localhost:${port}`)).status).toBe(204);
  });

  it('when IPv6 clients of one /56 use many addresses, then nginx counts them as one client; another /56 is not affected', async () => {
    // 60/min with a burst of 20 per client: 36 challenges from 36 addresses of 2001:db8:7:100::/56.
    const from = (xff: string) => plainRequest(`${stack.url}/api/challenge`, { headers: { 'x-forwarded-for': xff }, localAddress: FRONT_HOP });
    const answers = await Promise.all(Array.from({ length: 36 }, (_, i) => from(`2001:db8:7:1${(i % 16).toString(16)}${i % 10}::${i + 1}`)));
    const refused = answers.filter((a) => a.status === 429 && a.headers['retry-after'] === '2');
    expect(refused.length).toBeGreaterThanOrEqual(12);
    expect((await from('2001:db8:7:200::1')).status).toBe(200);
  });

  it("when a client sends an X-Request-Id the api would not accept, then nginx uses its own, and nginx's log and the api's answer carry the same id", async () => {
    for (const sent of ['has spaces in it', 'x'.repeat(200), 'semi;colon', 'ok-id.1:2_3']) {
      const res = await plainRequest(`${stack.url}/api/paredao?rid=${encodeURIComponent(sent)}`, { headers: { 'x-request-id': sent } });
      const apiId = String(res.headers['x-request-id']);
      await waitFor('access log line', async () => accessLog(stack).some((l) => l.uri.includes(`rid=${encodeURIComponent(sent)}`)) || undefined);
      const line = accessLog(stack).find((l) => l.uri.includes(`rid=${encodeURIComponent(sent)}`))!;
      expect(line.request_id, sent).toBe(apiId);
      if (sent === 'ok-id.1:2_3') expect(apiId).toBe(sent);
      else expect(apiId).not.toBe(sent);
    }
  });

  it('when one address asks for challenges in bulk, then nginx refuses the excess with 429 rate_limited and Retry-After', async () => {
    // 60/min with a burst of 20: about 21 pass at once, the rest are refused.
    const answers = await Promise.all(Array.from({ length: 36 }, () => plainRequest(`${stack.url}/api/challenge`, { localAddress: '127.0.0.3' })));
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(12);
    expect(JSON.parse(refused[0]!.body)).toMatchObject({ error: { code: 'rate_limited' } });
    expect(refused[0]!.headers['retry-after']).toBe('2');
    expect(refused[0]!.headers['x-content-type-options']).toBe('nosniff');
    // Another address is not affected.
    expect((await plainRequest(`${stack.url}/api/challenge`, { localAddress: '127.0.0.4' })).status).toBe(200);
  });

  it('when one address guesses passwords in bulk, then nginx refuses the excess before any api instance hashes them', async () => {
    const answers = await Promise.all(
      Array.from({ length: 16 }, () => plainRequest(`${stack.url}/api/admin/login`, { method: 'POST', headers: jsonHeaders, body: loginBody('wrong-password'), localAddress: '127.0.0.5' })),
    );
    const byNginx = answers.filter((a) => a.status === 429 && a.headers['retry-after'] === '6');
    expect(byNginx.length).toBeGreaterThanOrEqual(4); // 16 - (1 + burst 10) at least
    expect(JSON.parse(byNginx[0]!.body)).toMatchObject({ error: { code: 'rate_limited' } });
  });

  it('when one address opens more live results streams than allowed, then the extra one gets 503 stream_full and others still get theirs', async () => {
    const url = `${stack.url}/api/results/stream`;
    const open = [await openStream(url, '127.0.0.6'), await openStream(url, '127.0.0.6')];
    try {
      expect(open.map((s) => s.res.statusCode)).toEqual([200, 200]);
      const third = await openStream(url, '127.0.0.6');
      expect(third.res.statusCode).toBe(503);
      expect(JSON.parse(third.body())).toMatchObject({ error: { code: 'stream_full' } });
      expect(third.res.headers['retry-after']).toBe('10');
      const other = await openStream(url, '127.0.0.7');
      open.push(other);
      expect(other.res.statusCode).toBe(200);
    } finally {
      for (const s of open) s.req.destroy();
    }
  });

  it('when an anonymous client starts a 1 MB photo upload, then nginx refuses it without waiting for the body', async () => {
    const port = Number(new URL(stack.url).port);
    const started = Date.now();
    const head = await new Promise<string>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.write(`POST /api/admin/images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nContent-Length: 1000000\r\n\r\n`);
      });
      let text = '';
      sock.on('data', (d) => {
        text += d.toString();
        if (text.includes('\r\n\r\n')) {
          sock.destroy();
          resolve(text);
        }
      });
      sock.on('close', () => resolve(text));
      sock.on('error', () => {});
    });
    expect(head).toMatch(/^HTTP\/1\.1 401/);
    expect(Date.now() - started).toBeLessThan(3000); // client_body_timeout is 10 s
  });

  it('when pages, assets, api answers and nginx refusals come through nginx, then each carries the headers that protect it and no others', async () => {
    const cookie = await adminCookie(stack.url);
    const index = await plainRequest(`${stack.url}/`);
    const asset = /\/assets\/[^"]+\.js/.exec(index.body)![0];
    const cases = {
      page: index,
      panel: await plainRequest(`${stack.url}/painel.html`, { headers: { cookie } }),
      asset: await plainRequest(`${stack.url}${asset}`),
      api: await plainRequest(`${stack.url}/api/paredao`),
      notFound: await plainRequest(`${stack.url}/no-such-page`),
    };
    expect(cases.panel.status).toBe(200);
    for (const [what, res] of Object.entries(cases)) {
      expect(res.headers['x-content-type-options'], what).toBe('nosniff');
      expect(res.headers['cross-origin-resource-policy'], what).toBe('same-origin');
      expect(res.headers['strict-transport-security'], what).toBeUndefined(); // plain HTTP here
    }
    for (const what of ['page', 'panel'] as const) {
      const h = cases[what].headers;
      expect(h['content-security-policy'], what).toMatch(/default-src 'self'/);
      expect(h['x-frame-options'], what).toBe('DENY');
      expect(h['permissions-policy'], what).toMatch(/camera=\(\)/);
      expect(h['cross-origin-opener-policy'], what).toBe('same-origin');
      expect(h['referrer-policy'], what).toBe('strict-origin-when-cross-origin');
    }
    expect(cases.panel.headers['cache-control']).toBe('no-store');
    expect(cases.asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const what of ['api', 'notFound'] as const) {
      const h = cases[what].headers;
      for (const name of ['content-security-policy', 'x-frame-options', 'permissions-policy', 'cross-origin-opener-policy']) expect(h[name], `${what} ${name}`).toBeUndefined();
    }
    expect(cases.api.headers['cache-control']).toBe('no-cache'); // the api's own, not doubled
  });
});

describe('TLS at the proxy', () => {
  let stack: Stack;
  let ca: string;
  let httpsUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    const dir = join((await import('node:os')).tmpdir(), `paredao-tls-${port}`);
    execFileSync('mkdir', ['-p', dir]);
    // What `./preflight.sh docker` makes for a first run: a self-signed pair.
    execFileSync('bash', [join(import.meta.dirname, '../../scripts/self-signed-cert.sh'), dir, 'localhost'], { stdio: 'pipe' });
    ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    stack = await startStack({ env: { TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem'), HTTPS_PORT: String(port) } });
    httpsUrl = `https://localhost:${port}`;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('when a browser asks over plain HTTP, then it is sent to the same path over HTTPS; a forged host is refused, never echoed', async () => {
    const res = await plainRequest(`${stack.url}/painel.html?x=1`);
    expect(res.status).toBe(308);
    expect(res.headers.location).toBe(`${httpsUrl.replace('localhost', '127.0.0.1')}/painel.html?x=1`);
    const forged = await plainRequest(`${stack.url}/painel.html?x=1`, { headers: { host: 'evil.example' } });
    expect(forged.status).toBe(421);
    expect(forged.headers.location).toBeUndefined();
    // Over HTTPS: a valid handshake for localhost, then a request for another host.
    const overHttps = await new Promise<string>((resolve, reject) => {
      const sock = tlsConnect({ host: '127.0.0.1', port: Number(new URL(httpsUrl).port), servername: 'localhost', ca }, () => {
        sock.end('GET /admin.html HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n');
      });
      let text = '';
      sock.on('data', (d: Buffer) => (text += d.toString()));
      sock.on('end', () => resolve(text));
      sock.on('error', reject);
    });
    expect(overHttps).toMatch(/^HTTP\/1\.1 421 /);
  });

  it('when the operator logs in over HTTPS, then the answer has HSTS and the cookie is Secure with a __Host- name, and the session works', async () => {
    const page = await plainRequest(`${httpsUrl}/admin.html`, { ca });
    expect(page.status).toBe(200);
    expect(page.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const login = await plainRequest(`${httpsUrl}/api/admin/login`, { method: 'POST', headers: jsonHeaders, body: loginBody(), ca });
    expect(login.status).toBe(204);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-paredao_admin=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const session = await plainRequest(`${httpsUrl}/api/admin/session`, { headers: { cookie: cookie.split(';')[0]! }, ca });
    expect(session.status).toBe(200);
  });
});
