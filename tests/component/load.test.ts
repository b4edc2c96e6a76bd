import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChallenge, verifySolution, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presolve, runLoad } from '@paredao/testkit/load';
import { startApiInProcess, tempStoreUrl, uniqueQueue, type ApiUnderTest } from './helpers.js';
import { freePort } from '@paredao/testkit/ports';
import { deleteQueues } from '@paredao/testkit/stack';

const hmacSignatureSecret = 'load-test-signature-secret';
const hmacKeySignatureSecret = 'load-test-key-secret';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('presolve: the fast solver finds what altcha-lib verifies', () => {
  let server: Server;
  let url: string;
  let served = 0;
  beforeAll(async () => {
    // Counters across the range, edges included (0 and beyond 2^16 to cross byte boundaries).
    const counters = [0, 1, 255, 256, 999, 1500, 70_000];
    server = createServer((_req, res) => {
      createChallenge({
        algorithm: 'SHA-256',
        cost: 1,
        counter: counters[served++ % counters.length]!,
        deriveKey,
        expiresAt: Math.floor(Date.now() / 1000) + 60,
        hmacSignatureSecret,
        hmacKeySignatureSecret,
      }).then((c) => res.setHeader('content-type', 'application/json').end(JSON.stringify(c)));
    });
    url = await listen(server);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('when 21 challenges are presolved, then each payload passes verifySolution with the secret counter', async () => {
    const payloads = await presolve(url, 21, { concurrency: 4, workers: 2, batch: 5 });
    expect(payloads).toHaveLength(21);
    const counters = [];
    for (const p of payloads) {
      const { challenge, solution } = JSON.parse(Buffer.from(p, 'base64').toString('utf8')) as { challenge: Challenge; solution: { counter: number; derivedKey: string } };
      const result = await verifySolution({ challenge, solution, deriveKey, hmacSignatureSecret, hmacKeySignatureSecret });
      expect(result.verified).toBe(true);
      counters.push(solution.counter);
    }
    expect(counters.slice(0, 7)).toEqual([0, 1, 255, 256, 999, 1500, 70_000]);
  });
});

describe('runLoad: open loop against the real api', () => {
  let api: ApiUnderTest;
  const queue = uniqueQueue('load');
  beforeAll(async () => {
    api = await startApiInProcess({ STORE_URL: tempStoreUrl(), QUEUE_NAME: queue });
  });
  afterAll(async () => {
    await api?.api.stop();
    await deleteQueues(queue);
  });

  it('when 200 presolved votes are driven at 200/s, then all 200 are accepted with distinct vote ids, and replaying them gets 403', async () => {
    const proofs = await presolve(api.url, 200);
    const candidates = ['participante-1', 'participante-2'];
    const run = await runLoad({ url: api.url, ratePerSec: 200, durationSec: 1, proofs, candidates, connections: 16 });
    expect(run.statuses).toEqual({ 202: 200 });
    expect(run.sent).toBe(200);
    expect(run.errors).toBe(0);
    expect(new Set(run.accepted).size).toBe(200);
    expect(run.latency.count).toBe(200);
    expect(run.latency.p99).toBeGreaterThan(0);
    expect(run.lastAcceptedAt).toBeGreaterThanOrEqual(run.startedAt);
    // The schedule is absolute: 200 sends at 200/s take about 1 s, not more.
    expect(run.elapsedSec).toBeLessThan(2.5);

    const replay = await runLoad({ url: `${api.url}/api/votes`, ratePerSec: 100, durationSec: 0.5, proofs, candidates });
    expect(replay.statuses).toEqual({ 403: 50 });
    expect(replay.accepted).toEqual([]);
  });
});

describe('runLoad: sends on schedule whatever the server does', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_req, res) => setTimeout(() => res.end('{}'), 400));
    url = await listen(server);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('when the server takes 400 ms and 10 may be outstanding, then sends beyond 10 are dropped and counted, not delayed', async () => {
    const run = await runLoad({ url: `${url}/api/results`, method: 'GET', ratePerSec: 100, durationSec: 1, connections: 10, maxOutstanding: 10 });
    // Open loop: 100 scheduled in 1 s; only about 10 fit in each 400 ms window.
    expect(run.sent + run.dropped).toBe(100);
    expect(run.dropped).toBeGreaterThan(60);
    expect(run.statuses[200]).toBe(run.sent);
    expect(run.latency.p50).toBeGreaterThanOrEqual(395);
    expect(run.elapsedSec).toBeLessThan(2);
  });

  it('when nothing listens, then every send is a network error and the run still ends', async () => {
    const port = await freePort();
    const run = await runLoad({ url: `http://127.0.0.1:${port}/api/results`, method: 'GET', ratePerSec: 50, durationSec: 0.4 });
    expect(run.sent).toBe(20);
    expect(run.errors).toBe(20);
    expect(run.statuses).toEqual({});
    expect(run.latency.count).toBe(0);
  });
});
