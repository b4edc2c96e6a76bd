import type { Store } from '@paredao/core';
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import type { Challenge } from 'altcha-lib';
import { solve, solvedPayload } from '@paredao/testkit/antibot';
import { connectAny } from '@paredao/testkit/stack';
import { freePort } from '@paredao/testkit/ports';
import { sample } from '../support/metrics.js';
import { apiForSuite, drainMessages, drainQueue, postJson, startApiInProcess, tempStoreUrl, uniqueQueue, type ApiUnderTest } from './helpers.js';

describe('api, in-process, against the real RabbitMQ', () => {
  let t: ApiUnderTest;
  let store: Store;
  const { queue } = apiForSuite('api', {}, (api, s) => {
    t = api;
    store = s;
  });

  const vote = (body: unknown, headers?: Record<string, string>) => postJson(`${t.url}/api/votes`, body, headers);

  it('when a person votes with a solved proof, then the answer is 202 and exactly that vote is queued', async () => {
    await drainQueue(queue);
    const res = await vote({ candidateId: 'participante-2', altcha: await solvedPayload(t.url) }, { 'x-request-id': 'req-test-1' });
    expect(res.status).toBe(202);
    expect(res.json?.voteId).toMatch(/^[0-9a-f]{32}$/);
    expect(res.headers.get('x-request-id')).toBe('req-test-1');
    const queued = await drainQueue(queue);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ v: 1, voteId: res.json!.voteId, candidateId: 'participante-2', paredaoId: 'bbb26-paredao-1', reqId: 'req-test-1' });
    expect(Math.abs(queued[0]!.acceptedAt - Date.now())).toBeLessThan(10_000);
  });

  describe('bad input is refused with a JSON error and never queued', () => {
    const cases: [string, () => Promise<{ status: number; json: { error?: { code: string } } | null }>, number, string][] = [
      ['body is not JSON', () => vote('{"candidateId":'), 400, 'invalid_body'],
      ['body is a JSON array', () => vote('[1,2]'), 400, 'invalid_body'],
      ['candidateId is missing', async () => vote({ altcha: await solvedPayload(t.url) }), 400, 'invalid_body'],
      ['candidateId is a number', async () => vote({ candidateId: 7, altcha: await solvedPayload(t.url) }), 400, 'invalid_body'],
      ['an unexpected field is sent', async () => vote({ candidateId: 'participante-1', altcha: await solvedPayload(t.url), admin: true }), 400, 'invalid_body'],
      ['the candidate does not exist', async () => vote({ candidateId: 'nobody', altcha: await solvedPayload(t.url) }), 400, 'unknown_candidate'],
      ['the content type is not JSON', () => fetch(`${t.url}/api/votes`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'participante-1' }).then(async (r) => ({ status: r.status, json: (await r.json()) as { error?: { code: string } } })), 415, 'unsupported_media_type'],
      ['the body is too large', () => vote({ candidateId: 'participante-1', altcha: 'x'.repeat(20_000) }), 413, 'payload_too_large'],
      ['the proof is missing', () => vote({ candidateId: 'participante-1' }), 403, 'antibot_missing'],
      ['the proof is not base64 JSON', () => vote({ candidateId: 'participante-1', altcha: 'bm90IGpzb24=' }), 403, 'antibot_malformed'],
      ['the honeypot is filled in', async () => vote({ candidateId: 'participante-1', altcha: await solvedPayload(t.url), website: 'http://spam' }), 403, 'antibot_honeypot'],
      [
        'the proof is forged (signature of another server)',
        async () => {
          const challenge = (await (await fetch(`${t.url}/api/challenge`)).json()) as { signature: string };
          challenge.signature = 'f'.repeat(64);
          return vote({ candidateId: 'participante-1', altcha: await solve(challenge as never) });
        },
        403,
        'antibot_invalid',
      ],
      [
        'the solution is wrong',
        async () => {
          const p = JSON.parse(Buffer.from(await solvedPayload(t.url), 'base64').toString());
          p.solution.derivedKey = '00'.repeat(32);
          return vote({ candidateId: 'participante-1', altcha: Buffer.from(JSON.stringify(p)).toString('base64') });
        },
        403,
        'antibot_invalid',
      ],
    ];
    for (const [what, send, status, code] of cases) {
      it(`when ${what}, then ${status} ${code}`, async () => {
        await drainQueue(queue);
        const res = await send();
        expect(res.status).toBe(status);
        expect(res.json?.error?.code).toBe(code);
        expect(await drainQueue(queue)).toEqual([]);
      });
    }
  });

  it('when a vote is accepted, then the 202 carries the next challenge, and a vote with it needs no GET /api/challenge', async () => {
    await drainQueue(queue);
    const first = await vote({ candidateId: 'participante-1', altcha: await solvedPayload(t.url) });
    expect(first.status).toBe(202);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const next = (first.json as { challenge?: Challenge }).challenge;
    expect(next?.parameters.algorithm).toBe('SHA-256');
    const second = await vote({ candidateId: 'participante-2', altcha: await solve(next!) });
    expect(second.status).toBe(202);
    expect(second.json?.voteId).not.toBe(first.json?.voteId);
    expect(await drainQueue(queue)).toHaveLength(2);
  });

  it('when a proof is refused (403 antibot_*), then the answer carries a fresh challenge that works', async () => {
    await drainQueue(queue);
    const refused = await vote({ candidateId: 'participante-1' });
    expect(refused.status).toBe(403);
    expect(refused.json?.error?.code).toBe('antibot_missing');
    const challenge = (refused.json as { challenge?: Challenge }).challenge;
    expect(challenge?.signature).toMatch(/^[0-9a-f]{64}$/);
    expect((await vote({ candidateId: 'participante-1', altcha: await solve(challenge!) })).status).toBe(202);
    // Other refusals carry none.
    expect((await vote({ candidateId: 'nobody', altcha: 'x' })).json).not.toHaveProperty('challenge');
    expect(await drainQueue(queue)).toHaveLength(1);
  });

  it('when the vote body is gzipped, then Express inflates it and the same vote service accepts it', async () => {
    await drainQueue(queue);
    const body = gzipSync(JSON.stringify({ candidateId: 'participante-2', altcha: await solvedPayload(t.url) }));
    const res = await fetch(`${t.url}/api/votes`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-request-id': 'req-gz' }, body });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toBe('req-gz');
    expect(((await res.json()) as { challenge?: unknown }).challenge).toBeTruthy();
    expect(await drainQueue(queue)).toMatchObject([{ reqId: 'req-gz', candidateId: 'participante-2' }]);
  });

  it('when many votes arrive at once, then they share a few confirmed messages and each is queued exactly once', async () => {
    await drainQueue(queue);
    const proofs = await Promise.all(Array.from({ length: 60 }, () => solvedPayload(t.url)));
    const answers = await Promise.all(proofs.map((altcha, i) => vote({ candidateId: i % 2 ? 'participante-1' : 'participante-2', altcha })));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
    const { messages, votes } = await drainMessages(queue);
    expect(votes.map((v) => v.voteId).sort()).toEqual(answers.map((a) => a.json!.voteId!).sort());
    // Group commit: fewer messages than votes (60 requests in flight together cannot all go alone).
    expect(messages).toBeLessThan(60);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(sample(text, 'paredao_publish_batch_size_sum', {})).toBeGreaterThanOrEqual(60);
  });

  it('when the entry exchange has lost its binding to the queue, then the vote gets 503 with Retry-After and nothing is queued; bound again, the same proof is accepted', async () => {
    await drainQueue(queue);
    const conn = await connectAny();
    try {
      const ch = await conn.createChannel();
      await ch.unbindQueue(queue, `${queue}.in`, '');
      const altcha = await solvedPayload(t.url);
      const refused = await vote({ candidateId: 'participante-1', altcha });
      expect(refused.status).toBe(503);
      expect(refused.json?.error?.code).toBe('broker_unavailable');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await drainQueue(queue)).toEqual([]);
      await ch.bindQueue(queue, `${queue}.in`, '');
      // The refused vote's proof was released: the page's retry with it goes through.
      const accepted = await vote({ candidateId: 'participante-1', altcha });
      expect(accepted.status).toBe(202);
      expect((await drainQueue(queue)).map((v) => v.voteId)).toEqual([accepted.json!.voteId]);
    } finally {
      await conn.close();
    }
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(sample(text, 'paredao_votes_rejected_total', { reason: 'broker_unavailable' })).toBe(1);
  });

  it('when the same proof is sent twice, then the second is refused as replayed and not queued', async () => {
    await drainQueue(queue);
    const altcha = await solvedPayload(t.url);
    expect((await vote({ candidateId: 'participante-1', altcha })).status).toBe(202);
    const again = await vote({ candidateId: 'participante-2', altcha });
    expect(again.status).toBe(403);
    expect(again.json?.error?.code).toBe('antibot_replayed');
    expect(await drainQueue(queue)).toHaveLength(1);
  });

  it('when a proof is replayed after an api restart, then it is refused: the consumer recorded its vote id', async () => {
    await drainQueue(queue);
    const altcha = await solvedPayload(t.url);
    expect((await vote({ candidateId: 'participante-1', altcha })).status).toBe(202);
    const queued = await drainQueue(queue);
    await store.applyBatch(queued, Date.now()); // what the consumer does with it
    await t.api.stop();
    t = await startApiInProcess({ ...t.env, API_PORT: '0' });
    const res = await vote({ candidateId: 'participante-1', altcha });
    expect(res.status).toBe(403);
    expect(res.json?.error?.code).toBe('antibot_replayed');
    expect(await drainQueue(queue)).toEqual([]);
  });

  it('when an address votes past its limit, then 429 with Retry-After from the api itself', async () => {
    const limited = await startApiInProcess({ ...t.env, API_PORT: '0', RATE_LIMIT_PER_IP: '2' });
    try {
      const statuses = [];
      let last;
      for (let i = 0; i < 3; i++) {
        last = await postJson(`${limited.url}/api/votes`, { candidateId: 'participante-1', altcha: await solvedPayload(limited.url) });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([202, 202, 429]);
      expect(last!.json?.error?.code).toBe('rate_limited');
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await limited.api.stop();
      await drainQueue(queue);
    }
  });

  it('when the results are asked for, then they come from the snapshot with every candidate', async () => {
    const r = (await (await fetch(`${t.url}/api/results`)).json()) as { candidates: { id: string }[]; total: number };
    expect(r.candidates.map((c) => c.id)).toEqual(['participante-1', 'participante-2']);
    expect(typeof r.total).toBe('number');
  });

  it('when the OpenAPI document is asked for, then it describes the vote route', async () => {
    const doc = (await (await fetch(`${t.url}/api/docs`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/votes', '/api/results', '/api/results/stream', '/api/challenge']));
  });

  it('when metrics are scraped, then the request, vote and rejection series are there with their labels', async () => {
    const altcha = await solvedPayload(t.url);
    expect((await vote({ candidateId: 'participante-1', altcha })).status).toBe(202);
    expect((await vote({ candidateId: 'participante-1', altcha })).status).toBe(403);
    await drainQueue(queue);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(sample(text, 'http_requests_total', { method: 'POST', route: '/api/votes', status_code: '202' })).toBeGreaterThan(0);
    expect(sample(text, 'http_request_duration_seconds_bucket', { le: '+Inf', method: 'POST', route: '/api/votes', status_code: '202' })).toBeGreaterThan(0);
    expect(sample(text, 'paredao_votes_accepted_total', { candidate: 'participante-1', mode: 'torcida' })).toBeGreaterThan(0);
    expect(sample(text, 'paredao_votes_rejected_total', { reason: 'antibot_replayed' })).toBeGreaterThan(0);
    expect(sample(text, 'paredao_votes_rejected_total', { reason: 'rate_limited' })).toBe(0);
    expect(sample(text, 'paredao_publish_confirm_seconds_count', {})).toBeGreaterThan(0);
    expect(sample(text, 'paredao_broker_connected', {})).toBe(1);
    expect(text).toMatch(/process_cpu_user_seconds_total/);
  });

  it('when an unknown route is asked for, then 404 JSON', async () => {
    const res = await fetch(`${t.url}/api/nothing`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});

describe('api with the broker unreachable', () => {
  it('when the broker cannot be reached, then votes get 503 with Retry-After at once and readiness is false', async () => {
    const deadPort = await freePort();
    const t = await startApiInProcess({ QUEUE_NAME: uniqueQueue('down'), STORE_URL: tempStoreUrl(), AMQP_URL: `amqp://guest:guest@127.0.0.1:${deadPort}` });
    try {
      const started = Date.now();
      const res = await postJson(`${t.url}/api/votes`, { candidateId: 'participante-1', altcha: await solvedPayload(t.url) });
      expect(res.status).toBe(503);
      expect(res.json?.error?.code).toBe('broker_unavailable');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(2000);
      const ready = await fetch(`${t.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { reasons: string[] }).reasons).toContain('broker channel not open');
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    } finally {
      await t.api.stop();
    }
  });
});
