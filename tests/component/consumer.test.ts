import { randomBytes } from 'node:crypto';
import { createRegistry, encodeBatch, encodeBatchEntry, encodeVote, openStore, type Store, type VoteMessage } from '@paredao/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoteConsumer } from '@paredao/consumer/consumer';
import { createConsumerMetrics } from '@paredao/consumer/metrics';
import { insertOpenParedao } from '@paredao/testkit/paredao';
import { waitFor } from '@paredao/testkit/ports';
import { sample } from '../support/metrics.js';
import { AMQP_URL, connectAny, deleteQueues } from '@paredao/testkit/stack';
import { publishBodies as publish, queueState, quietLog, tempStoreUrl, uniqueQueue } from './helpers.js';

describe('consumer, in-process, real RabbitMQ and SQLite', () => {
  const queue = uniqueQueue('consumer');
  const paredaoId = 'bbb26-paredao-1';
  const registry = createRegistry('consumer');
  const metrics = createConsumerMetrics(registry);
  let store: Store;
  let consumer: VoteConsumer;
  const vote = (candidateId: string): VoteMessage => ({ v: 1, voteId: randomBytes(16).toString('hex'), paredaoId, candidateId, acceptedAt: Date.now() });
  const total = async () => Object.values((await store.tally(paredaoId)).byCandidate).reduce((a, b) => a + b, 0);
  const deadCount = async () => (await queueState(`${queue}.dead`)).messageCount;
  /** Once the queue is drained and settled: takes every dead letter off the dead-letter queue. */
  const takeDeadLetters = async (): Promise<Buffer[]> => {
    await waitFor('queue drained and settled', async () => (await queueState(queue)).messageCount === 0);
    const conn = await connectAny();
    try {
      const ch = await conn.createChannel();
      const dead: Buffer[] = [];
      for (let m = await ch.get(`${queue}.dead`, { noAck: true }); m; m = await ch.get(`${queue}.dead`, { noAck: true })) dead.push(m.content);
      return dead;
    } finally {
      await conn.close();
    }
  };

  beforeAll(async () => {
    store = await openStore(tempStoreUrl());
    await insertOpenParedao(store, paredaoId, 'Teste', { 'participante-1': 'Um', 'participante-2': 'Dois' });
    consumer = new VoteConsumer({ amqpUrls: AMQP_URL.split(','), queue, prefetch: 200, batchMax: 100, batchMaxWaitMs: 20, store, log: quietLog(), metrics });
    consumer.start();
    await waitFor('consumer ready', async () => consumer.readiness() === null);
  });
  afterAll(async () => {
    await consumer?.stop(Date.now() + 5000);
    await store?.close();
    await deleteQueues(queue);
  });

  it('when N votes are queued, then exactly N are counted, in batches', async () => {
    const votes = Array.from({ length: 1000 }, (_, i) => vote(i % 3 ? 'participante-1' : 'participante-2'));
    await publish(queue, votes.map(encodeVote));
    await waitFor('1000 counted', async () => (await total()) === 1000);
    const tally = await store.tally(paredaoId);
    expect(tally.byCandidate).toEqual({ 'participante-1': 666, 'participante-2': 334 });
    expect(tally.hourly.reduce((s, h) => s + Object.values(h.byCandidate).reduce((a, b) => a + b, 0), 0)).toBe(1000);
    const text = await registry.metrics();
    expect(sample(text, 'paredao_consumer_votes_applied_total', { mode: 'torcida' })).toBe(1000);
    expect(sample(text, 'paredao_consumer_votes_applied_total', { mode: 'unico' })).toBe(0);
    // 1000 votes in batches of at most 100: at least 10 batches, far fewer than 1000 writes.
    const batches = sample(text, 'paredao_consumer_batch_size_count', {})!;
    expect(batches).toBeGreaterThanOrEqual(10);
    expect(batches).toBeLessThan(200);
    // One observation per batch that counted votes (here every batch), not one per vote.
    expect(sample(text, 'paredao_vote_to_count_seconds_count', {})).toBe(batches);
  });

  it('when the same votes are delivered again, then nothing is counted twice', async () => {
    const votes = Array.from({ length: 300 }, () => vote('participante-2'));
    await publish(queue, votes.map(encodeVote));
    await waitFor('300 more counted', async () => (await total()) === 1300);
    const observed = sample(await registry.metrics(), 'paredao_vote_to_count_seconds_count', {});
    await publish(queue, votes.map(encodeVote)); // a redelivery of the whole batch
    await waitFor('duplicates skipped', async () => sample(await registry.metrics(), 'paredao_consumer_duplicates_skipped_total', {}) === 300);
    expect(await total()).toBe(1300);
    // Batches of duplicates only count nothing, so they add no vote-to-count observation.
    expect(sample(await registry.metrics(), 'paredao_vote_to_count_seconds_count', {})).toBe(observed);
    const conn = await connectAny();
    const ch = await conn.createChannel();
    await waitFor('queue drained and acked', async () => (await ch.checkQueue(queue)).messageCount === 0);
    await conn.close();
  });

  it('when a poison message arrives among votes, then it is dead-lettered and the rest are counted', async () => {
    const good = Array.from({ length: 50 }, () => vote('participante-1'));
    await publish(queue, [...good.slice(0, 25).map(encodeVote), Buffer.from('{"not":"a vote"}'), Buffer.from('\u0000garbage'), ...good.slice(25).map(encodeVote)]);
    await waitFor('good ones counted', async () => (await total()) === 1350);
    const conn = await connectAny();
    try {
      const ch = await conn.createChannel();
      await waitFor('2 dead letters', async () => (await ch.checkQueue(`${queue}.dead`)).messageCount === 2);
      const dead = await ch.get(`${queue}.dead`, { noAck: true });
      expect(dead && dead.content.toString()).toBe('{"not":"a vote"}');
    } finally {
      await conn.close();
    }
    expect(sample(await registry.metrics(), 'paredao_consumer_dead_lettered_total', {})).toBe(2);
  });

  it('when batch messages (v2) and single votes (v1) are both queued, then every vote is counted once, and a batch message with a malformed entry is dead-lettered whole after its valid votes are counted', async () => {
    const before = await total();
    const deadBefore = await deadCount();
    const votes = Array.from({ length: 90 }, (_, i) => vote(i % 2 ? 'participante-1' : 'participante-2'));
    const entries = votes.map(({ v: _v, ...e }) => encodeBatchEntry(e));
    const withBad = [...entries.slice(0, 30), JSON.stringify({ voteId: 'x', candidateId: 7 }), ...entries.slice(30, 60)];
    // A rolling deploy: old api processes publish single votes while new ones publish batches; one
    // vote also arrives twice (in a batch and alone, as a replay across instances might).
    await publish(queue, [encodeBatch(withBad), ...votes.slice(60).map(encodeVote), encodeVote(votes[0]!)]);
    await waitFor('90 more counted', async () => (await total()) === before + 90);
    const text = await registry.metrics();
    expect(sample(text, 'paredao_consumer_batch_entries_rejected_total', {})).toBe(1);
    await waitFor('the replayed one skipped', async () => sample(await registry.metrics(), 'paredao_consumer_duplicates_skipped_total', {}) === 301);
    expect(await total()).toBe(before + 90);
    // The refused entry is not gone: its message is in the dead-letter queue, rejected by the consumer.
    await waitFor('the batch message dead-lettered', async () => (await deadCount()) === deadBefore + 1);
    expect(sample(await registry.metrics(), 'paredao_consumer_dead_lettered_total', {})).toBe(3);
    const batch = (await takeDeadLetters()).find((b) => b.toString().includes('"candidateId":7'));
    expect(batch?.toString()).toBe(encodeBatch(withBad).toString());
  });

  it('when an entry carries an acceptedAt no date can hold, then it is refused like any malformed entry and the others are counted, instead of failing the whole write', async () => {
    const before = await total();
    const deadBefore = await deadCount();
    const votes = Array.from({ length: 10 }, () => vote('participante-2'));
    const entries = votes.map(({ v: _v, ...e }) => encodeBatchEntry(e));
    const beyond = encodeBatchEntry({ ...vote('participante-1'), acceptedAt: 9e15 });
    await publish(queue, [encodeBatch([...entries, beyond])]);
    await waitFor('10 counted', async () => (await total()) === before + 10);
    await waitFor('dead-lettered', async () => (await deadCount()) === deadBefore + 1);
    expect(sample(await registry.metrics(), 'paredao_store_up', {})).toBe(1);
    await takeDeadLetters(); // leaves the dead-letter queue empty for the next test
  });

  it('when every vote of a dead-lettered batch message is sent again, then none is counted twice and the malformed entry is refused again', async () => {
    const before = await total();
    const votes = Array.from({ length: 20 }, () => vote('participante-1'));
    const entries = votes.map(({ v: _v, ...e }) => encodeBatchEntry(e));
    const body = encodeBatch([...entries, JSON.stringify({ voteId: 'y', acceptedAt: -1 })]);
    const rejectedBefore = sample(await registry.metrics(), 'paredao_consumer_batch_entries_rejected_total', {})!;
    await publish(queue, [body]);
    await waitFor('20 counted', async () => (await total()) === before + 20);
    await waitFor('dead-lettered', async () => (await deadCount()) === 1);
    // What an operator does with the dead-letter queue once the producer is fixed: shovel it back.
    await publish(queue, [body]);
    await waitFor('refused again', async () => sample(await registry.metrics(), 'paredao_consumer_batch_entries_rejected_total', {}) === rejectedBefore + 2);
    await waitFor('dead-lettered again', async () => (await deadCount()) === 2);
    expect(await total()).toBe(before + 20);
  });
});
