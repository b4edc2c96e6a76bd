import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRegistry, openStore, type Store } from '@paredao/core';
import type { Challenge } from 'altcha-lib';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auth } from '@paredao/api/admin/auth';
import { ParedaoService } from '@paredao/api/paredoes/paredoes';
import { createApp } from '@paredao/api/platform/app';
import { createApiMetrics } from '@paredao/api/platform/metrics';
import { ResultsService } from '@paredao/api/results/results';
import { Antibot } from '@paredao/api/votes/antibot';
import { Publisher } from '@paredao/api/votes/publisher';
import { ReplayGuard } from '@paredao/api/votes/replay-guard';
import { VoteConsumer } from '@paredao/consumer/consumer';
import { createConsumerMetrics } from '@paredao/consumer/metrics';
import { solve } from '@paredao/testkit/antibot';
import { testVoterParts } from '@paredao/testkit/voters';
import { sample } from '../support/metrics.js';
import { insertOpenParedao } from '@paredao/testkit/paredao';
import { waitFor } from '@paredao/testkit/ports';
import { AMQP_URL, deleteQueues } from '@paredao/testkit/stack';
import { postJson, quietLog, tempStoreUrl, uniqueQueue } from './helpers.js';

/**
 * A vote that arrives in the last millisecond of a scheduled window, on a clock that moves on every
 * time it is read (a slow request, a GC pause between two reads): the api built with createApp and an
 * injected clock, the real Publisher and VoteConsumer on the real RabbitMQ, one SQLite store.
 */
describe('a vote that straddles the scheduled close', () => {
  const queue = uniqueQueue('window');
  const paredaoId = 'window-paredao';
  const closesAt = Date.now() + 3_600_000;
  const clock = { t: Date.now(), step: 0 };
  const now = () => {
    const t = clock.t;
    clock.t += clock.step;
    return t;
  };
  const log = quietLog();
  const consumerMetrics = createConsumerMetrics(createRegistry('consumer'));
  let store: Store;
  let publisher: Publisher;
  let consumer: VoteConsumer;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    store = await openStore(tempStoreUrl());
    await insertOpenParedao(store, paredaoId, 'Janela', { ana: 'Ana', bruno: 'Bruno' }, { closesAt: new Date(closesAt).toISOString() });
    const paredoes = new ParedaoService(store, log);
    await paredoes.refresh();
    const registry = new Registry();
    const metrics = createApiMetrics(registry);
    publisher = new Publisher({ urls: AMQP_URL.split(','), queue, timeoutMs: 5000, batch: { maxVotes: 100, maxBytes: 65_536, maxWaitMs: 5 }, log, metrics });
    await publisher.start();
    // Challenges expire an hour after they are issued: the clock jumps to the closing an hour ahead.
    const antibot = new Antibot({ secret: 's'.repeat(32), difficulty: 1, expirySeconds: 7200 });
    const app = createApp({
      store,
      paredoes,
      auth: new Auth({ username: 'admin', passwordHash: '', sessionSecret: 'k'.repeat(64), sessionTtlMs: 60_000, failureDelayMs: 0, store }),
      closeGraceMs: 0,
      log,
      metrics,
      metricsText: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
      publisher,
      results: new ResultsService(store, log),
      antibot,
      replayGuard: new ReplayGuard(store, 7_200_000, log, clock.t),
      rateLimitPerMinute: 0,
      voteAdmission: { maxInFlight: 256, retryAfterSeconds: 2 },
      trustedProxies: ['loopback'],
      publicOrigins: ['http://localhost:8080'],
      voters: testVoterParts(store, ['http://localhost:8080']),
      now,
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    consumer = new VoteConsumer({ amqpUrls: AMQP_URL.split(','), queue, prefetch: 50, batchMax: 10, batchMaxWaitMs: 10, store, log, metrics: consumerMetrics });
    consumer.start();
    await waitFor('consumer ready', async () => consumer.readiness() === null);
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await publisher?.stop(Date.now() + 2000);
    await consumer?.stop(Date.now() + 2000);
    await store?.close();
    await deleteQueues(queue);
  });

  it('when the window is checked 1 ms before the closing and the clock has passed it by the time the vote is queued, then the 202 vote is counted', async () => {
    const challenge = (await (await fetch(`${base}/api/challenge`)).json()) as Challenge;
    const altcha = await solve(challenge);
    // From here every read of the clock is a second later than the one before: only the first read
    // of this request falls inside the window.
    clock.t = closesAt - 1;
    clock.step = 1000;
    const res = await postJson(`${base}/api/votes`, { candidateId: 'ana', altcha });
    clock.step = 0;
    expect(res.status).toBe(202);
    const handled = async () => ((await consumerMetrics.applied.get()).values[0]?.value ?? 0) + ((await consumerMetrics.outsideWindow.get()).values[0]?.value ?? 0);
    await waitFor('the consumer has handled the vote', async () => (await handled()) >= 1);
    expect((await consumerMetrics.outsideWindow.get()).values[0]?.value ?? 0).toBe(0);
    expect((await store.tally(paredaoId)).byCandidate).toEqual({ ana: 1 });
    expect((await store.appliedSince(0, 10)).map((a) => a.voteId)).toEqual([res.json!.voteId]);
  });

  it('when the first read of the clock is at the closing instant, then 409 voting_closed', async () => {
    const challenge = (await (await fetch(`${base}/api/challenge`)).json()) as Challenge;
    clock.t = closesAt;
    const res = await postJson(`${base}/api/votes`, { candidateId: 'bruno', altcha: await solve(challenge) });
    expect(res.status).toBe(409);
    expect(res.json?.error?.code).toBe('voting_closed');
    expect(sample(await (await fetch(`${base}/metrics`)).text(), 'paredao_votes_rejected_total', { reason: 'voting_closed' })).toBe(1);
  });
});
