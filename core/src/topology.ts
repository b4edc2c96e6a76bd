import type { Channel, ConfirmChannel } from 'amqplib';

/**
 * The queue topology, declared identically by api and consumer (whoever starts first creates it):
 * a durable quorum queue whose rejected or too-often-redelivered messages go to `<queue>.dead`.
 *
 * On a cluster both queues get a member on every node: that is RabbitMQ 3.10's default for a quorum
 * queue declared without `x-quorum-initial-group-size` (checked by tests/e2e/cluster.test.ts). The
 * argument is left out on purpose: RabbitMQ compares it on every redeclaration, so adding it would make
 * every queue declared before (the machine's `votes`, a deployed broker's) fail with 406
 * PRECONDITION_FAILED at the api's and the consumer's next start. A queue declared on a single node
 * before the cluster grew keeps its one member: `rabbitmq-queues grow <node> all` (docs/SCALING.md).
 */
/**
 * The same topology, only checked (passive declares): for a service whose broker user may not
 * configure anything, on a broker that imported the topology from its definitions (compose's
 * deploy/rabbitmq/definitions.json). A missing queue closes the channel with 404, which the
 * service's broker link reports and retries like any broker failure.
 */
export async function checkTopology(ch: Channel | ConfirmChannel, queue: string): Promise<void> {
  await ch.checkExchange(entryExchange(queue));
  await ch.checkExchange(`${queue}.dlx`);
  await ch.checkQueue(`${queue}.dead`);
  await ch.checkQueue(queue);
}

/** Declares (`declare`) or only checks the topology: AMQP_DECLARE_TOPOLOGY. */
export function setupTopology(ch: Channel | ConfirmChannel, queue: string, declare: boolean): Promise<void> {
  return declare ? assertTopology(ch, queue) : checkTopology(ch, queue);
}

/**
 * Where the api publishes votes: an exchange of their own, bound to the votes queue only. Publishing
 * through the default exchange would need write permission on `amq.default`, which reaches every
 * queue of the vhost by name (the dead-letter queue too); with this exchange the api's broker user is
 * allowed to write to it and nothing else (deploy/rabbitmq/entrypoint.sh, docs/SECURITY.md).
 */
export function entryExchange(queue: string): string {
  return `${queue}.in`;
}

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
  await ch.assertExchange(entryExchange(queue), 'fanout', { durable: true });
  await ch.bindQueue(queue, entryExchange(queue), '');
}
