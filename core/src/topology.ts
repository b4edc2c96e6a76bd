import type { Channel, ConfirmChannel } from 'amqplib';

/**
 * The queue topology, declared identically by api and consumer (whoever starts first creates it):
 * a durable quorum queue whose rejected or too-often-redelivered messages go to `<queue>.dead`.
 */
export async function assertTopology(ch: Channel | ConfirmChannel, queue: string): Promise<void> {
  const dlx = `${queue}.dlx`;
  const dead = `${queue}.dead`;
  await ch.assertExchange(dlx, 'fanout', { durable: true });
  await ch.assertQueue(dead, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(dead, dlx, '');
  await ch.assertQueue(queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': dlx,
      // A message that keeps crashing consumers is dead-lettered after this many deliveries; high
      // enough that a run of consumer restarts never dead-letters a good vote.
      'x-delivery-limit': 50,
    },
  });
}
