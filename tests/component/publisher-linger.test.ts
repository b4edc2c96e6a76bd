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

  async function publisherWith(lingerMs: number, maxVotes = 100) {
    const queue = uniqueQueue('linger');
    const publisher = new Publisher({
      urls: AMQP_URL.split(','),
      queue,
      timeoutMs: 5000,
      batch: { maxVotes, maxBytes: 65_536, maxWaitMs: 5, lingerMs },
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

  // A cluster worker spends the linger before the proof claim (cluster-arbiter.ts) and passes when the
  // vote began waiting: the publisher waits only what is left, here nothing, against a 60 s linger.
  it('when a vote has waited out the linger before it is published, then it goes at the end of its turn', async () => {
    const { publisher, queue } = await publisherWith(60_000);
    const first = vote('ana');
    const second = vote('bruno');
    const since = performance.now() - 60_000;
    await Promise.all([publisher.publish(first, since), publisher.publish(second, performance.now())]);
    const { messages, votes } = await drainMessages(queue);
    expect(messages).toBe(1);
    expect(votes.map((v) => v.voteId)).toEqual([first.voteId, second.voteId]);
  });

  // A full message (maxVotes 2) goes at once; a third vote then waits for its confirm. That confirm
  // comes well within the 1 s linger, so the third vote waits on for company, and a fourth vote
  // published once the first two are confirmed joins it (and fills the message, which goes at once).
  // Were the votes sent at the confirm, the third would go alone and the fourth after it: three messages.
  it('when a confirm comes back before the linger is over, then the votes that waited for it wait on for company', async () => {
    const { publisher, queue } = await publisherWith(1000, 2);
    const [a, b, c, d] = ['ana', 'bruno', 'carla', 'davi'].map(vote);
    const full = Promise.all([publisher.publish(a!), publisher.publish(b!)]);
    const third = publisher.publish(c!);
    await full;
    await Promise.all([third, publisher.publish(d!)]);
    const { messages, votes } = await drainMessages(queue);
    expect(messages).toBe(2);
    expect(votes.map((v) => v.voteId)).toEqual([a, b, c, d].map((v) => v!.voteId));
  });
});
