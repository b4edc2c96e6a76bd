import { randomBytes } from 'node:crypto';
import { createRegistry, encodeBatch, encodeBatchEntry, encodeVote, openStore, type Store, type VoteMessage } from '@paredao/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoteConsumer } from '@paredao/consumer/consumer';
import { createConsumerMetrics } from '@paredao/consumer/metrics';
import { insertOpenParedao } from '@paredao/testkit/paredao';
import { waitFor } from '@paredao/testkit/ports';
import { sample } from '../support/metrics.js';
import { AMQP_URL, deleteQueues } from '@paredao/testkit/stack';
import { publishBodies as publish, queueState, quietLog, tempStoreUrl, uniqueQueue } from './helpers.js';

/**
 * The bounded dedup window (docs/ARCHITECTURE.md, "Bounded storage") through the real consumer, RabbitMQ
 * and SQLite. Acceptance times are set in the past, a minute apart per vote at most, so the window (a
 * minute of slack) is crossed by the votes' own times, never by waiting.
 */
describe('consumer with a bounded dedup window, in-process, real RabbitMQ and SQLite', () => {
  const queue = uniqueQueue('window');
  const paredaoId = 'janela';
  const registry = createRegistry('consumer');
  const metrics = createConsumerMetrics(registry);
  const T0 = Date.now() - 6 * 3_600_000;
  const SLACK = 60_000;
  let store: Store;
  let consumer: VoteConsumer;
  const vote = (acceptedAt: number, candidateId = 'um'): VoteMessage => ({ v: 1, voteId: randomBytes(16).toString('hex'), paredaoId, candidateId, acceptedAt });
  const total = async () => Object.values((await store.tally(paredaoId)).byCandidate).reduce((a, b) => a + b, 0);
  const metric = async (name: string) => sample(await registry.metrics(), name, {}) ?? 0;
  const start = async () => {
    consumer = new VoteConsumer({ amqpUrls: AMQP_URL.split(','), queue, prefetch: 200, batchMax: 100, batchMaxWaitMs: 20, store, log: quietLog(), metrics, prune: { key: queue, slackMs: SLACK, intervalMs: 100 } });
    consumer.start();
    await waitFor('consumer ready', async () => consumer.readiness() === null);
  };
  const first = Array.from({ length: 100 }, (_, i) => vote(T0 + i * 1000));

  beforeAll(async () => {
    store = await openStore(tempStoreUrl());
    await insertOpenParedao(store, paredaoId, 'Janela', { um: 'Um', dois: 'Dois' }, { openedAt: new Date(T0 - 3_600_000).toISOString() });
    await start();
  });
  afterAll(async () => {
    await consumer?.stop(Date.now() + 5000);
    await store?.close();
    await deleteQueues(queue);
  });

  it('when a copy of a vote arrives below the pruned-through mark, then its message goes to the dead-letter queue, the metric counts it, and it is not counted', async () => {
    await publish(queue, first.map(encodeVote));
    await waitFor('100 counted', async () => (await total()) === 100);
    // The next batch after the interval prunes to the newest acked acceptedAt (T0 + 99 s) less the slack.
    await waitFor('pruned', async () => {
      await publish(queue, [encodeVote(first[99]!)]);
      return (await metric('paredao_store_pruned_through_seconds')) * 1000 === T0 + 99_000 - SLACK;
    });
    expect(await metric('paredao_consumer_pruned_ids_total')).toBe(39);
    const deadBefore = (await queueState(`${queue}.dead`)).messageCount;
    const fresh = vote(T0 + 200_000, 'dois');
    const newBelow = vote(T0 + 10_000, 'dois');
    // A voter's retry of the first vote, and a batch message holding a new vote from before the mark.
    await publish(queue, [encodeVote(first[0]!), encodeBatch([fresh, newBelow].map(({ v: _v, ...e }) => encodeBatchEntry(e)))]);
    await waitFor('2 dead letters', async () => (await queueState(`${queue}.dead`)).messageCount === deadBefore + 2);
    expect(await metric('paredao_consumer_below_watermark_total')).toBe(2);
    expect(await total()).toBe(101);
    expect((await store.tally(paredaoId)).byCandidate).toEqual({ um: 100, dois: 1 });
  });

  it('when the consumer was stopped while votes queued for longer than the window, then the backlog counts in full and copies inside it count once', async () => {
    await consumer.stop(Date.now() + 5000);
    const before = await total();
    const belowBefore = await metric('paredao_consumer_below_watermark_total');
    // An hour of votes while nothing was consumed: nothing acked, so the mark did not move.
    const backlog = Array.from({ length: 600 }, (_, i) => vote(T0 + 300_000 + i * 6000, i % 2 ? 'um' : 'dois'));
    // Voters' retries of the first 50, each accepted 30 s after its first copy, so queued 5 votes later.
    const queued = backlog.flatMap((v, i) => (i >= 5 && i < 55 ? [v, { ...backlog[i - 5]!, acceptedAt: backlog[i - 5]!.acceptedAt + 30_000 }] : [v]));
    await publish(queue, queued.map(encodeVote));
    await start();
    await waitFor('backlog counted', async () => (await total()) === before + 600);
    await waitFor('queue settled', async () => (await queueState(queue)).messageCount === 0);
    expect(await metric('paredao_consumer_below_watermark_total')).toBe(belowBefore);
    await waitFor('the retries skipped', async () => (await metric('paredao_consumer_duplicates_skipped_total')) >= 50);
    // Counted, the backlog moves the mark past its own first hour.
    await waitFor('mark moved past the backlog', async () => {
      await publish(queue, [encodeVote(backlog[599]!)]);
      return (await metric('paredao_store_pruned_through_seconds')) * 1000 > T0 + 3_600_000;
    });
    expect(await total()).toBe(before + 600);
    expect(await store.recount(paredaoId)).toEqual({ byCandidate: (await store.tally(paredaoId)).byCandidate, modes: { torcida: (await store.tally(paredaoId)).byCandidate, unico: {} } });
  });
});
