import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createRegistry, encodeBatch, encodeBatchEntry, openStore, setupTopology, type Store } from '@paredao/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoteConsumer } from '@paredao/consumer/consumer';
import { createConsumerMetrics } from '@paredao/consumer/metrics';
import { sample } from '../support/metrics.js';
import { insertOpenParedao } from '@paredao/testkit/paredao';
import { waitFor } from '@paredao/testkit/ports';
import { AMQP_URL, connectAny, deleteQueues } from '@paredao/testkit/stack';
import { queueState, quietLog, tempStoreUrl, uniqueQueue } from './helpers.js';

/**
 * The exactly-once claim at its narrowest point: a consumer killed (SIGKILL, its own process) after the
 * store committed a batch and before the broker heard the ack. The broker redelivers the message to the
 * next consumer, whose apply finds every vote id already recorded. Needs `npm run build` (the child
 * runs the compiled consumer).
 */
describe('a consumer killed between commit and ack', () => {
  const queue = uniqueQueue('crash');
  const storeUrl = tempStoreUrl();
  const paredaoId = 'crash-paredao';
  let store: Store;

  beforeAll(async () => {
    store = await openStore(storeUrl);
    // The topology first, as the api would have declared it: then the child's start can be watched.
    const conn = await connectAny();
    try {
      await setupTopology(await conn.createChannel(), queue, true);
    } finally {
      await conn.close();
    }
    await insertOpenParedao(store, paredaoId, 'Queda', { ana: 'Ana', bruno: 'Bruno' });
  });
  afterAll(async () => {
    await store?.close();
    await deleteQueues(queue);
  });

  it('when the process dies right after committing a batch, then a new consumer gets the redelivery and the batch counts once', async () => {
    const child = spawn(process.execPath, [new URL('./consumer-crash-child.mjs', import.meta.url).pathname], {
      env: { ...process.env, AMQP_URL, QUEUE_NAME: queue, STORE_URL: storeUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      await waitFor('child consuming', async () => (await queueState(queue)).consumerCount === 1);
      const entries = Array.from({ length: 100 }, (_, i) =>
        encodeBatchEntry({ voteId: randomBytes(16).toString('hex'), paredaoId, candidateId: i % 4 ? 'ana' : 'bruno', acceptedAt: Date.now() }),
      );
      const conn = await connectAny();
      try {
        const ch = await conn.createConfirmChannel();
        ch.sendToQueue(queue, encodeBatch(entries), { persistent: true, messageId: 'crash-batch' });
        await ch.waitForConfirms();
      } finally {
        await conn.close();
      }
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
      expect(out).toContain('committed 100');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // The store is ahead of the broker: committed, and the message is back in the queue, unacked.
    expect((await store.tally(paredaoId)).byCandidate).toEqual({ ana: 75, bruno: 25 });
    await waitFor('the message back in the queue', async () => (await queueState(queue)).messageCount === 1);

    const registry = createRegistry('consumer');
    const next = new VoteConsumer({ amqpUrls: AMQP_URL.split(','), queue, prefetch: 10, batchMax: 1000, batchMaxWaitMs: 20, store, log: quietLog(), metrics: createConsumerMetrics(registry) });
    next.start();
    try {
      await waitFor('the redelivery skipped', async () => sample(await registry.metrics(), 'paredao_consumer_duplicates_skipped_total', {}) === 100);
      expect(sample(await registry.metrics(), 'paredao_consumer_votes_applied_total', { mode: 'torcida' })).toBe(0);
      expect((await store.tally(paredaoId)).byCandidate).toEqual({ ana: 75, bruno: 25 });
      expect((await store.recount(paredaoId)).byCandidate).toEqual({ ana: 75, bruno: 25 });
      await waitFor('acked this time', async () => (await queueState(queue)).messageCount === 0);
      expect((await queueState(`${queue}.dead`)).messageCount).toBe(0);
    } finally {
      await next.stop(Date.now() + 2000);
    }
  });
});
