import { randomBytes } from 'node:crypto';
import { createRegistry } from '@paredao/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiMetrics } from '@paredao/api/platform/metrics';
import { Publisher } from '@paredao/api/votes/publisher';
import { AMQP_URL, deleteQueues } from '@paredao/testkit/stack';
import { drainMessages, quietLog, uniqueQueue } from './helpers.js';

// Group commit at an ordinary rate, on the real RabbitMQ: a vote that arrives on the next event-loop
// turn after another, while no message awaits a confirm. The second vote is published from a
// setImmediate, which runs before the 5 ms linger's timer unless the process stalls 5 ms in between;
// nothing here measures time.
describe('the publisher linger (PUBLISH_LINGER_MS), against the real RabbitMQ', () => {
  const opened: { publisher: Publisher; queue: string }[] = [];
  afterEach(async () => {
    for (const { publisher, queue } of opened.splice(0)) {
      await publisher.stop(Date.now() + 2000);
      await deleteQueues(queue);
    }
  });

  async function publisherWith(lingerMs: number) {
    const queue = uniqueQueue('linger');
    const publisher = new Publisher({
      urls: AMQP_URL.split(','),
      queue,
      timeoutMs: 5000,
      batch: { maxVotes: 100, maxBytes: 65_536, maxWaitMs: 5, lingerMs },
      log: quietLog(),
      metrics: createApiMetrics(createRegistry('api')),
    });
    opened.push({ publisher, queue });
    await publisher.start();
    return { publisher, queue };
  }

  const vote = (candidateId: string) => ({ voteId: randomBytes(16).toString('hex'), paredaoId: 'p', candidateId, acceptedAt: Date.now() });

  /** One vote now, one on the next event-loop turn; both confirmed; then what reached the queue. */
  async function twoTurns(publisher: Publisher, queue: string) {
    const first = vote('ana');
    const second = vote('bruno');
    const a = publisher.publish(first);
    await new Promise((r) => setImmediate(r));
    await Promise.all([a, publisher.publish(second)]);
    return { sent: [first.voteId, second.voteId], ...(await drainMessages(queue)) };
  }

  it('when a second vote comes on the next turn within the linger, then both go in one confirmed message', async () => {
    const { publisher, queue } = await publisherWith(5);
    const { sent, messages, votes } = await twoTurns(publisher, queue);
    expect(messages).toBe(1);
    expect(votes.map((v) => v.voteId)).toEqual(sent);
  });

  it('when the linger is 0, then the first vote goes at the end of its turn, alone', async () => {
    const { publisher, queue } = await publisherWith(0);
    const { sent, messages, votes } = await twoTurns(publisher, queue);
    expect(messages).toBe(2);
    expect(votes.map((v) => v.voteId).sort()).toEqual([...sent].sort());
  });
});
