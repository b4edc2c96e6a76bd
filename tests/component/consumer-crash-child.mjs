// A consumer process that dies by SIGKILL right after its first commit, before the ack: the compiled
// VoteConsumer (npm run build) with an afterCommit hook, for consumer-crash.test.ts. Plain JavaScript:
// a child process does not go through vitest's transform.
import { createRegistry, openStore } from '@paredao/core';
import { pino } from 'pino';
import { VoteConsumer } from '@paredao/consumer/consumer';
import { createConsumerMetrics } from '@paredao/consumer/metrics';

const { AMQP_URL, QUEUE_NAME, STORE_URL } = process.env;
const store = await openStore(STORE_URL);
const consumer = new VoteConsumer({
  amqpUrls: AMQP_URL.split(','),
  queue: QUEUE_NAME,
  prefetch: 10,
  batchMax: 1000,
  batchMaxWaitMs: 20,
  store,
  log: pino({ level: 'silent' }),
  metrics: createConsumerMetrics(createRegistry('consumer')),
  afterCommit: (votes) => {
    process.stdout.write(`committed ${votes.length}\n`);
    process.kill(process.pid, 'SIGKILL');
  },
});
consumer.start();
process.stdout.write('started\n');
