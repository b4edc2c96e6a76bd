import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { type Paredao } from '@paredao/contract';
import { openStore, type Store, type VoteMessage } from '@paredao/core';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_USER, testPasswordHash } from '@paredao/testkit/admin';
import { solve } from '@paredao/testkit/antibot';
import { ContractChecker, type OpenApiDoc } from '@paredao/testkit/openapi-contract';
import { paredaoFixture } from '@paredao/testkit/paredao';
import { testVoterParts } from '@paredao/testkit/voters';
import { Auth } from '../admin/auth.js';
import { ParedaoService } from '../paredoes/paredoes.js';
import { ResultsService } from '../results/results.js';
import { Antibot } from '../votes/antibot.js';
import { ReplayGuard } from '../votes/replay-guard.js';
import type { VotePublisher } from '../votes/votes.js';
import { createApp } from './app.js';
import { brokerUnavailable } from './errors.js';
import { createApiMetrics } from './metrics.js';
import { buildOpenApiDocument } from './openapi.js';

// Route behaviour on createApp in this process, no broker: the publisher port is an in-memory stand-in
// that records what it is given (or fails like a broker that went away), the store is the real SQLite
// store in memory. The real-broker tests are in tests/component/api.test.ts.

class MemoryPublisher implements VotePublisher {
  ready = true;
  failing = false;
  /** While set, publishes wait here for their confirm, as behind a slow broker. */
  held: (() => void)[] | null = null;
  readonly published: Omit<VoteMessage, 'v'>[] = [];
  async publish(vote: Omit<VoteMessage, 'v'>): Promise<void> {
    if (this.failing) throw brokerUnavailable();
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    this.published.push(vote);
  }
}

const checker = new ContractChecker(buildOpenApiDocument() as unknown as OpenApiDoc);
const openParedao = paredaoFixture('paredao-teste', 'Paredão de teste', { ana: 'Ana', bruno: 'Bruno' });

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

describe('the api built in-process with createApp (in-memory publisher, SQLite in memory)', () => {
  let store: Store;
  let publisher: MemoryPublisher;
  let paredoes: ParedaoService;
  let results: ResultsService;
  let server: Server;
  let base: string;
  let rateLimitPerMinute = 0;
  let maxInFlight = 256;
  /** How far the app's clock is ahead of the real one: expiry is tested by moving it, not by waiting. */
  let clockAheadMs = 0;
  let trustedProxies = ['loopback'];
  /** The api's log lines (JSON), to see which address a refusal was logged under. */
  let logLines: { msg: string; ip?: string; path?: string }[] = [];

  /** Every answer is also checked against the OpenAPI document the api serves. */
  async function call(method: string, path: string, init: { json?: unknown; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers = { ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
    const res = await fetch(`${base}${path}`, { method, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
    const contentType = res.headers.get('content-type') ?? '';
    const body: unknown = contentType.includes('json') ? await res.json() : await res.text();
    expect(checker.check({ method, path: path.split('?')[0]!, status: res.status, contentType, body: contentType.includes('json') ? body : undefined })).toEqual([]);
    return { status: res.status, headers: res.headers, body };
  }
  const errorCode = (a: Answer) => (a.body as { error: { code: string } }).error.code;

  async function start(seed: Paredao | null): Promise<void> {
    const log = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(JSON.parse(line) as (typeof logLines)[number]) });
    store = await openStore('sqlite::memory:');
    if (seed) await store.insertParedao(seed);
    publisher = new MemoryPublisher();
    paredoes = new ParedaoService(store, log);
    await paredoes.refresh();
    results = new ResultsService(store, log);
    const registry = new Registry();
    const app = createApp({
      store,
      paredoes,
      auth: new Auth({ username: ADMIN_USER, passwordHash: await testPasswordHash(), sessionSecret: 'k'.repeat(64), sessionTtlMs: 60_000, failureDelayMs: 0, store }),
      closeGraceMs: 0,
      log,
      metrics: createApiMetrics(registry),
      metricsText: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
      publisher,
      results,
      antibot: new Antibot({ secret: 's'.repeat(32), difficulty: 1, expirySeconds: 60 }),
      replayGuard: new ReplayGuard(store, 60_000, log),
      rateLimitPerMinute,
      voteAdmission: { maxInFlight, retryAfterSeconds: 2 },
      now: () => Date.now() + clockAheadMs,
      trustedProxies,
      publicOrigins: ['http://localhost:8080'],
      voters: testVoterParts(store, ['http://localhost:8080']),
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeEach(() => {
    rateLimitPerMinute = 0;
    maxInFlight = 256;
    clockAheadMs = 0;
    trustedProxies = ['loopback'];
    logLines = [];
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  });

  const solvedVote = async (candidateId: string) => {
    const challenge = await call('GET', '/api/challenge');
    return { candidateId, altcha: await solve(challenge.body as Parameters<typeof solve>[0]) };
  };

  describe('public routes', () => {
    it('when the store has no paredão, then /api/paredao and /api/results answer 404 no_paredao and /readyz says why it is not ready', async () => {
      await start(null);
      expect(errorCode(await call('GET', '/api/paredao'))).toBe('no_paredao');
      expect(errorCode(await call('GET', '/api/results'))).toBe('no_paredao');
      const ready = await call('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'not ready', reasons: ['store not readable'] });
    });

    it('when a paredão is open, then /api/paredao serves it and /api/results its totals after a refresh', async () => {
      await start(openParedao);
      const p = await call('GET', '/api/paredao');
      expect(p.status).toBe(200);
      expect(p.body).toMatchObject({ id: 'paredao-teste', status: 'open' });
      await results.refresh(paredoes.current);
      const r = await call('GET', '/api/results');
      expect(r.body).toMatchObject({ paredaoId: 'paredao-teste', total: 0, candidates: [{ id: 'ana', percent: 0 }, { id: 'bruno', percent: 0 }] });
      expect((await call('GET', '/readyz')).status).toBe(200);
    });

    it('when an image exists, then it is served with its type and cached for good; an unknown or malformed id is 404 not_found', async () => {
      await start(openParedao);
      await store.putImage('a'.repeat(24), { contentType: 'image/png', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]) });
      const img = await call('GET', `/api/images/${'a'.repeat(24)}`);
      expect(img.status).toBe(200);
      expect(img.headers.get('content-type')).toBe('image/png');
      expect(img.headers.get('cache-control')).toContain('immutable');
      expect(errorCode(await call('GET', `/api/images/${'b'.repeat(24)}`))).toBe('not_found');
      expect(errorCode(await call('GET', '/api/images/..%2Fetc'))).toBe('not_found');
    });

    it('when a route does not exist, then the answer is the JSON 404 not_found', async () => {
      await start(openParedao);
      const a = await call('GET', '/api/nada');
      expect(a.status).toBe(404);
      expect(errorCode(a)).toBe('not_found');
    });

    it('when /api/docs is asked, then it is the generated OpenAPI 3.1 document', async () => {
      await start(openParedao);
      const doc = await call('GET', '/api/docs');
      expect(doc.body).toMatchObject({ openapi: '3.1.0', paths: { '/api/votes': {} } });
    });
  });

  describe('votes', () => {
    it('when a solved vote arrives, then 202 with its id and a fresh challenge, and exactly that vote is handed to the publisher', async () => {
      await start(openParedao);
      const a = await call('POST', '/api/votes', { json: await solvedVote('bruno'), headers: { 'x-request-id': 'req-1' } });
      expect(a.status).toBe(202);
      const { voteId } = a.body as { voteId: string };
      expect(publisher.published).toEqual([expect.objectContaining({ voteId, candidateId: 'bruno', paredaoId: 'paredao-teste', reqId: 'req-1' })]);
    });

    it('when the body is refused (wrong type, bad JSON, unknown candidate, no proof, honeypot), then the right 4xx and nothing is published', async () => {
      await start(openParedao);
      expect((await call('POST', '/api/votes', { body: 'candidateId=ana', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
      expect(errorCode(await call('POST', '/api/votes', { body: '{"candidateId":', headers: { 'content-type': 'application/json' } }))).toBe('invalid_body');
      expect(errorCode(await call('POST', '/api/votes', { json: { candidateId: 'ana', extra: 1 } }))).toBe('invalid_body');
      expect(errorCode(await call('POST', '/api/votes', { json: await solvedVote('carla') }))).toBe('unknown_candidate');
      const missing = await call('POST', '/api/votes', { json: { candidateId: 'ana' } });
      expect(errorCode(missing)).toBe('antibot_missing');
      expect(missing.body).toHaveProperty('challenge.signature');
      expect(errorCode(await call('POST', '/api/votes', { json: { ...(await solvedVote('ana')), website: 'http://bot' } }))).toBe('antibot_honeypot');
      expect(errorCode(await call('POST', '/api/votes', { json: { candidateId: 'ana', altcha: 'bm90IGpzb24=' } }))).toBe('antibot_malformed');
      expect(publisher.published).toEqual([]);
    });

    it('when a proof is used after its expiry, then 403 antibot_expired and nothing is published', async () => {
      await start(openParedao);
      const vote = await solvedVote('ana');
      clockAheadMs = 61_000; // the challenge lives 60 s
      expect(errorCode(await call('POST', '/api/votes', { json: vote }))).toBe('antibot_expired');
      expect(publisher.published).toHaveLength(0);
      clockAheadMs = 0;
      expect((await call('POST', '/api/votes', { json: vote })).status).toBe(202);
    });

    it('when the same proof is used twice, then the second is 403 antibot_replayed and only one vote is published', async () => {
      await start(openParedao);
      const vote = await solvedVote('ana');
      expect((await call('POST', '/api/votes', { json: vote })).status).toBe(202);
      expect(errorCode(await call('POST', '/api/votes', { json: vote }))).toBe('antibot_replayed');
      expect(publisher.published).toHaveLength(1);
    });

    it('when the broker is away, then 503 broker_unavailable with Retry-After, and the same proof works once it is back', async () => {
      await start(openParedao);
      publisher.failing = true;
      const vote = await solvedVote('ana');
      const a = await call('POST', '/api/votes', { json: vote });
      expect(a.status).toBe(503);
      expect(errorCode(a)).toBe('broker_unavailable');
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
      publisher.failing = false;
      expect((await call('POST', '/api/votes', { json: vote })).status).toBe(202);
    });

    it('when the process holds as many votes as its bound, then the next gets a fast 503 overloaded with a jittered Retry-After, is not published, and its proof works once a place frees', async () => {
      maxInFlight = 2;
      await start(openParedao);
      publisher.held = [];
      const waiting = [call('POST', '/api/votes', { json: await solvedVote('ana') }), call('POST', '/api/votes', { json: await solvedVote('bruno') })];
      await expect.poll(() => publisher.held!.length).toBe(2);
      const vote = await solvedVote('ana');
      // One on the lean path, one (gzip) on the Express route.
      const refusals = [await call('POST', '/api/votes', { json: vote }), await call('POST', '/api/votes', { body: gzipSync(JSON.stringify(vote)) as unknown as string, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } })];
      for (const a of refusals) {
        expect(a.status).toBe(503);
        expect(errorCode(a)).toBe('overloaded');
        const retryAfter = Number(a.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(2);
        expect(retryAfter).toBeLessThanOrEqual(4);
      }
      // Logged at warn once for both (sampled), not once per refusal.
      expect(logLines.filter((l) => l.msg === 'request rejected: overloaded')).toHaveLength(1);
      publisher.held.forEach((release) => release());
      publisher.held = null;
      expect((await Promise.all(waiting)).map((a) => a.status)).toEqual([202, 202]);
      expect(publisher.published.map((v) => v.candidateId)).toEqual(['ana', 'bruno']);
      expect((await call('POST', '/api/votes', { json: vote })).status).toBe(202);
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toMatch(/^paredao_votes_rejected_total\{reason="overloaded",mode="torcida"\} 2$/m);
    });

    it('when the paredão is not open, then 409 voting_closed', async () => {
      await start({ ...openParedao, status: 'closed', closedAt: '2026-01-02T00:00:00.000Z' });
      expect(errorCode(await call('POST', '/api/votes', { json: await solvedVote('ana') }))).toBe('voting_closed');
    });

    it('when one address votes past its limit per minute, then 429 rate_limited with Retry-After', async () => {
      rateLimitPerMinute = 2;
      await start(openParedao);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await call('POST', '/api/votes', { json: await solvedVote('ana') }));
      expect(statuses.map((s) => s.status)).toEqual([202, 202, 429]);
      expect(errorCode(statuses[2]!)).toBe('rate_limited');
      expect(Number(statuses[2]!.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    // The lean path takes plain JSON votes; a gzip body goes to the Express route: both must read the
    // client's address by the same rule.
    const forgedVotes = async () => {
      const answers = [];
      for (const [i, gzip] of [false, true, false, true].entries()) {
        const body = JSON.stringify(await solvedVote('ana'));
        const headers = { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i + 1}`, ...(gzip ? { 'content-encoding': 'gzip' } : {}) };
        answers.push(await call('POST', '/api/votes', { body: (gzip ? gzipSync(body) : body) as string, headers }));
      }
      return answers.map((a) => a.status);
    };

    it('when a peer that is not the trusted proxy forges X-Forwarded-For, then each vote path limits and logs it under its own address', async () => {
      rateLimitPerMinute = 2;
      trustedProxies = ['192.0.2.10']; // the proxy is elsewhere; this test's client (127.0.0.1) is not it
      await start(openParedao);
      expect(await forgedVotes()).toEqual([202, 202, 429, 429]);
      const refused = logLines.filter((l) => l.msg === 'request rejected: rate_limited');
      expect(refused).toHaveLength(2);
      for (const l of refused) expect(l.ip).toBe('127.0.0.1');
    });

    it('when the trusted proxy passes X-Forwarded-For, then both vote paths count each client it names on its own', async () => {
      rateLimitPerMinute = 2;
      await start(openParedao);
      expect(await forgedVotes()).toEqual([202, 202, 202, 202]);
    });
  });

  // The lean node:http vote path (hot-path.ts) takes plain JSON; a body it leaves to Express (here:
  // gzip-encoded) goes through the Express route. For every kind of refusal both must answer the same
  // status, error code, headers and metric, so a client cannot tell, and the dashboards cannot either.
  describe('the lean vote path and the Express route answer alike', () => {
    type Path = 'lean' | 'express';
    const paths: Path[] = ['lean', 'express'];
    const rejected = async (reason: string) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(new RegExp(`^paredao_votes_rejected_total\\{reason="${reason}",mode="torcida"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    };
    /** Posts `raw` (a string body) on one path and returns what a client and the metrics see. */
    const post = async (path: Path, raw: string, extraHeaders: Record<string, string> = {}) => {
      const body = path === 'express' ? gzipSync(raw) : raw;
      const headers = { 'content-type': 'application/json', ...(path === 'express' ? { 'content-encoding': 'gzip' } : {}), ...extraHeaders };
      return call('POST', '/api/votes', { body: body as unknown as string, headers });
    };
    const seen = (a: Answer) => ({
      status: a.status,
      code: a.status >= 400 ? errorCode(a) : null,
      contentType: a.headers.get('content-type'),
      retryAfter: a.headers.get('retry-after') !== null,
      hasRequestId: a.headers.get('x-request-id') !== null,
      challenge: typeof (a.body as { challenge?: unknown }).challenge === 'object',
    });

    const cases: { name: string; code: string; setup?: () => void; paredao?: Paredao; body: () => Promise<string>; before?: (path: Path, body: string) => Promise<void> }[] = [
      { name: 'bad JSON', code: 'invalid_body', body: async () => '{"candidateId":' },
      { name: 'a body of white space', code: 'invalid_body', body: async () => '   ' },
      { name: 'a JSON value of the wrong type', code: 'invalid_body', body: async () => JSON.stringify({ candidateId: 7, altcha: 'x' }) },
      { name: 'a body over the 8 KiB limit', code: 'payload_too_large', body: async () => JSON.stringify({ candidateId: 'ana', altcha: 'x'.repeat(9000) }) },
      { name: 'an unknown candidate', code: 'unknown_candidate', body: async () => JSON.stringify(await solvedVote('carla')) },
      { name: 'no proof', code: 'antibot_missing', body: async () => JSON.stringify({ candidateId: 'ana' }) },
      { name: 'a proof that is not base64 JSON', code: 'antibot_malformed', body: async () => JSON.stringify({ candidateId: 'ana', altcha: 'bm90IGpzb24=' }) },
      {
        name: 'a forged signature',
        code: 'antibot_invalid',
        body: async () => {
          const { altcha } = await solvedVote('ana');
          const p = JSON.parse(Buffer.from(altcha, 'base64').toString()) as { challenge: { signature: string } };
          p.challenge.signature = `${p.challenge.signature.slice(0, -2)}00`;
          return JSON.stringify({ candidateId: 'ana', altcha: Buffer.from(JSON.stringify(p)).toString('base64') });
        },
      },
      { name: 'the honeypot field filled', code: 'antibot_honeypot', body: async () => JSON.stringify({ ...(await solvedVote('ana')), website: 'http://bot' }) },
      {
        name: 'an expired proof',
        code: 'antibot_expired',
        body: async () => JSON.stringify(await solvedVote('ana')),
        before: async () => {
          clockAheadMs = 61_000;
        },
      },
      {
        name: 'a proof already used',
        code: 'antibot_replayed',
        body: async () => JSON.stringify(await solvedVote('ana')),
        before: async (path, body) => {
          expect((await post(path, body)).status).toBe(202);
        },
      },
      { name: 'voting closed', code: 'voting_closed', paredao: { ...openParedao, status: 'closed', closedAt: '2026-01-02T00:00:00.000Z' }, body: async () => JSON.stringify(await solvedVote('ana')) },
      {
        name: 'the address past its limit',
        code: 'rate_limited',
        setup: () => {
          rateLimitPerMinute = 1;
        },
        body: async () => JSON.stringify(await solvedVote('ana')),
        before: async (path) => {
          expect((await post(path, JSON.stringify(await solvedVote('ana')))).status).toBe(202);
        },
      },
      {
        name: 'the process at its bound of votes in flight',
        code: 'overloaded',
        setup: () => {
          maxInFlight = 0;
        },
        body: async () => JSON.stringify(await solvedVote('ana')),
      },
      {
        name: 'the broker away',
        code: 'broker_unavailable',
        body: async () => JSON.stringify(await solvedVote('ana')),
        before: async () => {
          publisher.failing = true;
        },
      },
    ];

    it.each(cases.map((c) => [c.name, c] as const))('when %s, then both paths answer the same and count it once under the same reason', async (_name, c) => {
      const answers: Record<string, unknown> = {};
      for (const path of paths) {
        // A fresh app per path: limits, claims and the clock start over.
        c.setup?.();
        await start(c.paredao ?? openParedao);
        const body = await c.body();
        await c.before?.(path, body);
        const was = await rejected(c.code);
        const a = await post(path, body);
        answers[path] = { ...seen(a), counted: (await rejected(c.code)) - was };
        expect(seen(a).code, `${path} path`).toBe(c.code);
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await store.close();
        clockAheadMs = 0;
        rateLimitPerMinute = 0;
        maxInFlight = 256;
      }
      expect(answers.express).toEqual(answers.lean);
      expect((answers.lean as { counted: number }).counted).toBe(1);
      // afterEach closes a server: give it one to close.
      await start(openParedao);
    });
  });

  describe('the production team', () => {
    const login = async (password: string) => call('POST', '/api/admin/login', { json: { username: ADMIN_USER, password } });

    it('when not logged in, then every admin route answers 401 unauthenticated', async () => {
      await start(openParedao);
      for (const [method, path] of [
        ['GET', '/api/admin/session'],
        ['GET', '/api/admin/paredoes'],
        ['POST', '/api/admin/paredoes/paredao-teste/close'],
        ['GET', '/api/admin/paredoes/paredao-teste/audit'],
      ] as const) {
        expect(errorCode(await call(method, path)), `${method} ${path}`).toBe('unauthenticated');
      }
    });

    it('when the password is wrong, then 401 invalid_credentials and no cookie', async () => {
      await start(openParedao);
      const a = await login('wrong');
      expect(errorCode(a)).toBe('invalid_credentials');
      expect(a.headers.get('set-cookie')).toBeNull();
    });

    it('when logged in, then a draft is validated, created, opened only while no other is open, and the change reaches this process at once', async () => {
      await start(openParedao);
      const a = await login(ADMIN_PASSWORD);
      expect(a.status).toBe(204);
      const cookie = a.headers.get('set-cookie')!.split(';')[0]!;
      const as = { headers: { cookie } };
      expect((await call('GET', '/api/admin/session', as)).body).toMatchObject({ username: ADMIN_USER });

      const bad = await call('POST', '/api/admin/paredoes', { ...as, json: { title: 'Só um', candidates: [{ name: 'Ana' }] } });
      expect(errorCode(bad)).toBe('invalid_paredao');
      const created = await call('POST', '/api/admin/paredoes', { ...as, json: { title: 'Semana 2', candidates: [{ name: 'Carla' }, { name: 'Davi' }] } });
      expect(created.status).toBe(201);
      const draft = created.body as Paredao;
      expect(draft).toMatchObject({ status: 'draft', candidates: [{ id: 'carla' }, { id: 'davi' }] });

      expect(errorCode(await call('POST', `/api/admin/paredoes/${draft.id}/open`, as))).toBe('another_open');
      expect((await call('POST', '/api/admin/paredoes/paredao-teste/close', as)).status).toBe(200);
      expect(paredoes.current?.status).toBe('closed');
      expect((await call('POST', `/api/admin/paredoes/${draft.id}/open`, as)).status).toBe(200);
      expect(paredoes.current?.id).toBe(draft.id);
      expect(errorCode(await call('PUT', `/api/admin/paredoes/${draft.id}`, { ...as, json: { title: 'x', candidates: [{ name: 'A' }, { name: 'B' }] } }))).toBe('not_draft');
      expect(errorCode(await call('POST', '/api/admin/paredoes/nao-existe/open', as))).toBe('not_found');
    });
  });
});
