import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApiConfig } from '@paredao/api/platform/config';
import { solve } from '@paredao/testkit/antibot';
import { startCpfProvider, type CpfProvider } from '../support/cpf-provider.js';
import { sample } from '../support/metrics.js';
import { postJson, startApiInProcess, tempStoreUrl, uniqueQueue, type ApiUnderTest } from './helpers.js';

/**
 * The voter routes of the real api (config, store, rate limits, proof of work) against the local CPF
 * provider of tests/support. What needs an authenticator (a finished sign-up, sign-in, deletion) is in
 * tests/e2e/voters.test.ts, in Chromium with a virtual one.
 */
describe('voter accounts: the api against a local CPF provider', () => {
  const ORIGIN = 'http://localhost:8080';
  const CPF = '529.982.247-25';
  const CPF_DIGITS = '52998224725';
  let provider: CpfProvider;
  let t: ApiUnderTest;
  const logLines: string[] = [];

  beforeAll(async () => {
    provider = await startCpfProvider();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    t = await startApiInProcess(
      { QUEUE_NAME: uniqueQueue('voters'), STORE_URL: tempStoreUrl(), CPF_VERIFIER_URL: provider.url, CPF_VERIFIER_TIMEOUT_MS: '1000', PUBLIC_ORIGINS: ORIGIN, VOTER_SIGNUPS_PER_IP: '16' },
      pino({ level: 'info' }, sink),
    );
  });
  afterAll(async () => {
    await t?.api.stop();
    await provider?.stop();
  });

  const proof = async () => solve((await (await fetch(`${t.url}/api/challenge`)).json()) as Parameters<typeof solve>[0]);
  const registerOptions = async (body: unknown, headers: Record<string, string> = { origin: ORIGIN }) => postJson(`${t.url}/api/voters/register/options`, body, headers);
  const code = (r: { json: { error?: { code: string } } | null }) => r.json?.error?.code;

  it('when CPF_HMAC_SECRET or CPF_VERIFIER_URL is missing, short or not a URL, then the api refuses to start and names it', () => {
    const { CPF_HMAC_SECRET: _gone, ...rest } = t.env;
    expect(() => loadApiConfig(rest)).toThrow(/CPF_HMAC_SECRET/);
    expect(() => loadApiConfig({ ...rest, CPF_HMAC_SECRET: 'short' })).toThrow(/CPF_HMAC_SECRET/);
    expect(() => loadApiConfig({ ...t.env, CPF_VERIFIER_URL: 'ftp://provider/x' })).toThrow(/CPF_VERIFIER_URL/);
    // Empty (compose's `${CPF_VERIFIER_URL:-}`) is unset: digits only.
    expect(loadApiConfig({ ...t.env, CPF_VERIFIER_URL: '' }).CPF_VERIFIER_URL).toBeUndefined();
  });

  it('when the body is not what the route takes, then 400 invalid_body, and the provider is not asked', async () => {
    const before = provider.asked.length;
    expect(code(await registerOptions('{"cpf":'))).toBe('invalid_body');
    expect(code(await registerOptions({}))).toBe('invalid_body');
    expect(code(await registerOptions({ cpf: 5 }))).toBe('invalid_body');
    expect(code(await registerOptions({ cpf: CPF, altcha: 'x', extra: 1 }))).toBe('invalid_body');
    expect(code(await postJson(`${t.url}/api/voters/register/verify`, { ceremonyId: 'x' }, { origin: ORIGIN }))).toBe('invalid_body');
    expect(provider.asked.length).toBe(before);
  });

  it('when the request comes from another origin or names none, then 403 cross_origin', async () => {
    const r = await registerOptions({ cpf: CPF, altcha: await proof() }, { origin: 'https://evil.example' });
    expect([r.status, code(r)]).toEqual([403, 'cross_origin']);
    expect(code(await registerOptions({ cpf: CPF, altcha: await proof() }, {}))).toBe('cross_origin');
    expect(code(await postJson(`${t.url}/api/voters/login/options`, {}, { 'sec-fetch-site': 'cross-site', origin: ORIGIN }))).toBe('cross_origin');
  });

  it('when there is no proof of work or it was used before, then 403, before the CPF is looked at', async () => {
    expect(code(await registerOptions({ cpf: CPF }))).toBe('antibot_missing');
    expect(code(await registerOptions({ cpf: '123', altcha: 'bm90IGEgcHJvb2Y=' }))).toBe('antibot_malformed');
    const altcha = await proof();
    expect((await registerOptions({ cpf: CPF, altcha })).status).toBe(200);
    expect(code(await registerOptions({ cpf: CPF, altcha }))).toBe('antibot_replayed');
  });

  it('when the check digits are wrong, then 400 invalid_cpf without asking the provider', async () => {
    const before = provider.asked.length;
    const r = await registerOptions({ cpf: '529.982.247-24', altcha: await proof() });
    expect([r.status, code(r)]).toEqual([400, 'invalid_cpf']);
    expect(provider.asked.length).toBe(before);
  });

  it('when the provider accepts the CPF, then the passkey options come back for this host, with the CPF masked', async () => {
    const r = await registerOptions({ cpf: CPF, altcha: await proof() });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const body = r.json as unknown as { ceremonyId: string; options: { rp: { id: string }; user: { name: string }; challenge: string } };
    expect(body.options.rp.id).toBe('localhost');
    expect(body.options.user.name).toBe('•••.982.247-••');
    expect(r.text).not.toContain(CPF_DIGITS);
    expect(provider.asked.at(-1)).toBe(CPF_DIGITS);
  });

  it('when the provider refuses the CPF, then 422 cpf_refused', async () => {
    provider.refuse('11144477735');
    const r = await registerOptions({ cpf: '111.444.777-35', altcha: await proof() });
    expect([r.status, code(r)]).toEqual([422, 'cpf_refused']);
  });

  it('when the provider fails or is down, then 503 verifier_unavailable with Retry-After', async () => {
    provider.failing = true;
    try {
      const r = await registerOptions({ cpf: CPF, altcha: await proof() });
      expect([r.status, code(r)]).toEqual([503, 'verifier_unavailable']);
      expect(r.headers.get('retry-after')).toBe('30');
      expect(r.json?.error?.message).toMatch(/indisponível/);
    } finally {
      provider.failing = false;
    }
  });

  it('when a ceremony id is unknown, then the answer is 400 ceremony_expired', async () => {
    for (const path of ['register', 'login']) {
      const r = await postJson(`${t.url}/api/voters/${path}/verify`, { ceremonyId: 'no-such-ceremony', response: { id: 'x' } }, { origin: ORIGIN });
      expect([r.status, code(r)]).toEqual([400, 'ceremony_expired']);
    }
  });

  it('when a sign-in starts, then the options ask for any passkey of this host with user verification', async () => {
    const r = await postJson(`${t.url}/api/voters/login/options`, {}, { origin: ORIGIN });
    expect(r.status).toBe(200);
    expect((r.json as unknown as { options: Record<string, unknown> }).options).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
  });

  it('when nobody is signed in, or the cookie is forged, then me is 401 and logout still clears the cookie', async () => {
    expect((await fetch(`${t.url}/api/voters/me`)).status).toBe(401);
    expect((await fetch(`${t.url}/api/voters/me`, { headers: { cookie: 'paredao_voter=abc.def' } })).status).toBe(401);
    const del = await fetch(`${t.url}/api/voters/me`, { method: 'DELETE', headers: { origin: ORIGIN } });
    expect(del.status).toBe(401);
    const out = await postJson(`${t.url}/api/voters/logout`, {}, { origin: ORIGIN });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^paredao_voter=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict/);
  });

  it('when one address starts too many sign-ups, then 429 rate_limited', async () => {
    let last = 0;
    for (let i = 0; i < 20 && last !== 429; i++) last = (await registerOptions({ cpf: CPF, altcha: await proof() })).status;
    expect(last).toBe(429);
  });

  it('then refusals are counted by reason, and no CPF is in a metric or a log line', async () => {
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    for (const reason of ['invalid_body', 'invalid_cpf', 'cpf_refused', 'verifier_unavailable', 'antibot_replayed', 'ceremony_expired', 'cross_origin', 'rate_limited', 'unauthenticated']) {
      expect(sample(metrics, 'paredao_voter_refusals_total', { reason }), reason).toBeGreaterThan(0);
    }
    expect(metrics).not.toMatch(/5299822472|1114447773/);
    const refusals = logLines.filter((l) => l.includes('request rejected'));
    expect(refusals.length).toBeGreaterThan(10);
    for (const line of logLines) expect(line).not.toMatch(/5299822472|529\.982\.247|1114447773|111\.444\.777/);
  });
});
