import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Challenge } from 'altcha-lib';
import { hashPassword } from '@paredao/api/admin/password-hash';
import { loadApiConfig } from '@paredao/api/platform/config';
import { ADMIN_PASSWORD, ADMIN_USER, adminCookie } from '@paredao/testkit/admin';
import { solve } from '@paredao/testkit/antibot';
import { waitFor } from '@paredao/testkit/ports';
import { deleteQueues } from '@paredao/testkit/stack';
import { postJson, startApiInProcess, tempStoreUrl, uniqueQueue, type ApiUnderTest } from './helpers.js';

/** Sessions that can be ended, cookies that know the scheme, admin changes only from our origin. */
describe('admin sessions and requests', () => {
  const queue = uniqueQueue('security');
  const PUBLIC_ORIGIN = 'https://paredao.example';
  const storeUrl = tempStoreUrl();
  const sessionSecret = randomBytes(32).toString('hex');
  // Two api instances on one store, as compose runs them.
  let a: ApiUnderTest;
  let b: ApiUnderTest;
  const extra: ApiUnderTest[] = [];

  const get = (t: ApiUnderTest, path: string, cookie: string, headers: Record<string, string> = {}) => fetch(`${t.url}${path}`, { headers: { cookie, ...headers } });

  beforeAll(async () => {
    const env = { QUEUE_NAME: queue, STORE_URL: storeUrl, ADMIN_SESSION_SECRET: sessionSecret, PUBLIC_ORIGINS: PUBLIC_ORIGIN };
    a = await startApiInProcess(env);
    b = await startApiInProcess({ ...env, ADMIN_PASSWORD_HASH: a.env.ADMIN_PASSWORD_HASH! });
  });
  afterAll(async () => {
    for (const t of [a, b, ...extra]) await t?.api.stop();
    await deleteQueues(queue);
  });

  it('when the operator logs out on one instance, then a copy of the cookie is refused by every instance at once', async () => {
    const cookie = await adminCookie(a.url);
    expect((await get(b, '/api/admin/session', cookie)).status).toBe(200);
    const out = await fetch(`${a.url}/api/admin/logout`, { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    expect((await get(a, '/api/admin/session', cookie)).status).toBe(401);
    expect((await get(b, '/api/admin/session', cookie)).status).toBe(401);
  });

  it('when an instance starts with a new password, then sessions of the old one end on every instance', async () => {
    const cookie = await adminCookie(a.url);
    expect((await get(b, '/api/admin/session', cookie)).status).toBe(200);
    const changed = await startApiInProcess({ QUEUE_NAME: queue, STORE_URL: storeUrl, ADMIN_SESSION_SECRET: sessionSecret, ADMIN_PASSWORD_HASH: await hashPassword('a-new-password', 1024) });
    extra.push(changed);
    for (const t of [a, b, changed]) expect((await get(t, '/api/admin/session', cookie)).status, t.url).toBe(401);
    // The new password works on the new instance; the old instances (old password) refuse its session.
    const login = await postJson(`${changed.url}/api/admin/login`, { username: ADMIN_USER, password: 'a-new-password' });
    expect(login.status).toBe(204);
    const fresh = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await get(changed, '/api/admin/session', fresh)).status).toBe(200);
    expect((await get(a, '/api/admin/session', fresh)).status).toBe(401);
  });

  it('when a cookie is signed with another key (say, one derived from ANTIBOT_SECRET), then it is refused', async () => {
    const cookie = await adminCookie(a.url);
    const [name, value] = cookie.split('=') as [string, string];
    const id = value.split('.')[0]!;
    const forged = `${name}=${id}.${'A'.repeat(43)}`;
    expect((await get(a, '/api/admin/session', forged)).status).toBe(401);
    expect((await get(a, '/api/admin/session', cookie)).status).toBe(200);
  });

  it('when ADMIN_SESSION_SECRET is missing or short, then the api refuses to start and names it', () => {
    const { ADMIN_SESSION_SECRET: _gone, ...rest } = a.env;
    expect(() => loadApiConfig(rest)).toThrow(/ADMIN_SESSION_SECRET/);
    expect(() => loadApiConfig({ ...rest, ADMIN_SESSION_SECRET: 'short' })).toThrow(/ADMIN_SESSION_SECRET/);
  });

  it('when the trusted proxy says the client came over https, then the cookie is Secure with a __Host- name; otherwise neither', async () => {
    const login = (headers: Record<string, string>) => postJson(`${a.url}/api/admin/login`, { username: ADMIN_USER, password: ADMIN_PASSWORD }, headers);
    const https = await login({ 'x-forwarded-proto': 'https' });
    expect(https.status).toBe(204);
    const secure = https.headers.get('set-cookie')!;
    expect(secure).toMatch(/^__Host-paredao_admin=/);
    expect(secure).toMatch(/; Secure/);
    expect(secure).toMatch(/; HttpOnly/);
    expect(secure).toMatch(/; SameSite=Strict/);
    expect(secure).toMatch(/; Path=\//);
    expect(secure).not.toMatch(/Domain=/i);
    // The __Host- cookie is what the browser sends back over https, and over https nothing else counts:
    // a plain paredao_admin planted by a sibling subdomain must not log the operator into its session.
    const viaHttps = { 'x-forwarded-proto': 'https' };
    const hostCookie = secure.split(';')[0]!;
    const plainValue = hostCookie.replace(/^__Host-/, '');
    expect((await get(a, '/api/admin/session', hostCookie, viaHttps)).status).toBe(200);
    expect((await get(a, '/api/admin/session', plainValue, viaHttps)).status).toBe(401);
    expect((await get(a, '/api/admin/session', `${plainValue}; ${hostCookie}`, viaHttps)).status).toBe(200);
    // Over plain http a browser never sends the Secure __Host- cookie.
    expect((await get(a, '/api/admin/session', hostCookie)).status).toBe(401);

    const plain = (await login({})).headers.get('set-cookie')!;
    expect(plain).toMatch(/^paredao_admin=/);
    expect(plain).not.toMatch(/Secure/);
    // Logging out over https clears both names.
    const out = await fetch(`${a.url}/api/admin/logout`, { method: 'POST', headers: { cookie: secure.split(';')[0]!, 'x-forwarded-proto': 'https' } });
    const cleared = out.headers.getSetCookie();
    expect(cleared.some((c) => c.startsWith('__Host-paredao_admin=;') && /Secure/.test(c))).toBe(true);
    expect(cleared.some((c) => c.startsWith('paredao_admin=;'))).toBe(true);
  });

  it('when a state change comes from another origin, then 403 cross_origin and nothing changes; same origin and non-browser clients pass', async () => {
    const cookie = await adminCookie(a.url);
    const body = JSON.stringify({ difficulty: 3 });
    const put = (headers: Record<string, string>) => fetch(`${a.url}/api/admin/antibot`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json', ...headers }, body });
    const crossSite: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'null' }];
    for (const headers of crossSite) {
      const res = await put(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('cross_origin');
    }
    const login = await postJson(`${a.url}/api/admin/login`, { username: ADMIN_USER, password: ADMIN_PASSWORD }, { origin: 'https://evil.example' });
    expect(login.status).toBe(403);
    expect(((await (await get(a, '/api/admin/antibot', cookie)).json()) as { difficulty: number }).difficulty).toBe(1);
    expect((await put({ origin: PUBLIC_ORIGIN, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await put({})).status).toBe(200);
  });

  it("when Origin matches the request's own Host but not PUBLIC_ORIGINS (DNS rebinding), then 403 cross_origin", async () => {
    const cookie = await adminCookie(a.url);
    const body = JSON.stringify({ difficulty: 2 });
    const put = (headers: Record<string, string>) => fetch(`${a.url}/api/admin/antibot`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json', ...headers }, body });
    // The api's own address, and a forged host that nginx passed on as X-Forwarded-Host.
    const cases: Record<string, string>[] = [{ origin: a.url }, { origin: 'http://evil.example', 'x-forwarded-host': 'evil.example' }];
    for (const headers of cases) {
      const res = await put(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
    }
    const login = await postJson(`${a.url}/api/admin/login`, { username: ADMIN_USER, password: ADMIN_PASSWORD }, { origin: 'http://evil.example', 'x-forwarded-host': 'evil.example' });
    expect(login.status).toBe(403);
    expect((await put({ origin: PUBLIC_ORIGIN })).status).toBe(200);
  });

  it('when any admin answer goes out (session, settings, lists, login, logout, refusals), then it says Cache-Control: no-store', async () => {
    const cookie = await adminCookie(a.url);
    const answers = {
      session: await get(a, '/api/admin/session', cookie),
      antibot: await get(a, '/api/admin/antibot', cookie),
      paredoes: await get(a, '/api/admin/paredoes', cookie),
      unauthenticated: await get(a, '/api/admin/session', ''),
      unknown: await get(a, '/api/admin/no-such-route', cookie),
      login: await postJson(`${a.url}/api/admin/login`, { username: ADMIN_USER, password: ADMIN_PASSWORD }),
      wrongPassword: await postJson(`${a.url}/api/admin/login`, { username: ADMIN_USER, password: 'wrong' }),
      logout: await fetch(`${a.url}/api/admin/logout`, { method: 'POST', headers: { cookie } }),
    };
    expect(answers.session.status).toBe(200);
    for (const [what, res] of Object.entries(answers)) expect(res.headers.get('cache-control'), what).toBe('no-store');
  });

  it('when the operator raises the anti-bot difficulty, then new challenges on every instance need that much work, without a restart', async () => {
    const cookie = await adminCookie(a.url);
    const res = await fetch(`${a.url}/api/admin/antibot`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ difficulty: 40 }) });
    expect(res.status).toBe(200);
    const bad = await fetch(`${a.url}/api/admin/antibot`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ difficulty: 0 }) });
    expect(bad.status).toBe(400);
    // b learns it from the store on its next refresh.
    await waitFor('b applies the difficulty', async () => ((await (await get(b, '/api/admin/antibot', cookie)).json()) as { difficulty: number }).difficulty === 40);
    // A secret counter is uniform over [0, 2000 × difficulty): below 2,000 at difficulty 1, below 80,000
    // at 40. One challenge lands below 2,000 at 40 with probability 1/40; five all do with about 1e-8.
    const counters: number[] = [];
    for (let i = 0; i < 5; i++) {
      const payload = await solve((await (await fetch(`${b.url}/api/challenge`)).json()) as Challenge);
      counters.push((JSON.parse(Buffer.from(payload, 'base64').toString()) as { solution: { counter: number } }).solution.counter);
    }
    expect(Math.max(...counters), `counters ${counters.join(', ')}`).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...counters)).toBeLessThan(80_000);
    await fetch(`${a.url}/api/admin/antibot`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ difficulty: 1 }) });
  });

  it('when an upload says image/png but its bytes are HTML, then 415 and nothing is stored', async () => {
    const cookie = await adminCookie(a.url);
    const res = await fetch(`${a.url}/api/admin/images`, { method: 'POST', headers: { cookie, 'content-type': 'image/png' }, body: '<html><script>alert(1)</script></html>' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
  });

  it('when a participant name is a spreadsheet formula, then the CSV export neutralises it', async () => {
    const cookie = await adminCookie(a.url);
    const created = await fetch(`${a.url}/api/admin/paredoes`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'CSV', candidates: [{ name: '=HYPERLINK("http://evil.example","x")' }, { name: '@SUM(A1)' }] }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const csv = await (await get(a, `/api/admin/paredoes/${id}/export?format=csv`, cookie)).text();
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(csv).toContain(`"'@SUM(A1)"`);
    expect(csv).not.toMatch(/(^|,)"?[=@]/m);
  });

  it('when a route is spelled with other case or a trailing slash, then 404 (one spelling, the one nginx limits)', async () => {
    for (const path of ['/api/Votes', '/api/votes/', '/API/votes', '/api/VOTES']) {
      const res = await postJson(`${a.url}${path}`, { candidateId: 'participante-1' });
      expect(res.status, path).toBe(404);
      expect(res.json?.error?.code, path).toBe('not_found');
    }
    expect((await fetch(`${a.url}/api/Challenge`)).status).toBe(404);
    expect((await fetch(`${a.url}/api/challenge/`)).status).toBe(404);
    // Other spellings of the login do not log in (under /api/admin they meet the session check).
    for (const path of ['/api/admin/Login', '/api/admin/login/']) {
      const res = await postJson(`${a.url}${path}`, { username: ADMIN_USER, password: ADMIN_PASSWORD });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('set-cookie'), path).toBeNull();
    }
  });
});
