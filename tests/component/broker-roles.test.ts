import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRegistry, draftFromInput, openStore, type Store } from '@paredao/core';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiMetrics } from '@paredao/api/platform/metrics';
import { Publisher } from '@paredao/api/votes/publisher';
import { VoteConsumer } from '@paredao/consumer/consumer';
import { createConsumerMetrics } from '@paredao/consumer/metrics';
import { waitFor } from '@paredao/testkit/ports';
import { runRabbitmqEntrypoint } from '../support/rabbitmq-entrypoint.js';
import { skipWithoutTool } from '../support/require-tool.js';
import { quietLog, tempStoreUrl } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface UsersFile {
  users: { name: string; password: string; tags: string[] }[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
}

/** The users file deploy/rabbitmq/entrypoint.sh writes for compose, from the given passwords. */
function composeUsers(passwords: Record<string, string>): UsersFile {
  return runRabbitmqEntrypoint(passwords, '', (work) => ({ users: JSON.parse(readFileSync(join(work, 'defs/10-users.json'), 'utf8')) as UsersFile })).users;
}

const ctl = (...args: string[]) => spawnSync('rabbitmqctl', args, { encoding: 'utf8', timeout: 30_000 });
const canCtl = !skipWithoutTool({ tool: 'rabbitmqctl', present: ctl('list_vhosts').status === 0, why: 'cannot manage the local broker', checks: 'the per-role RabbitMQ users on a real broker' });

/**
 * Least privilege: the api's and the consumer's broker users, exactly as compose defines
 * them, tried on the real RabbitMQ in a vhost of their own (so other tests never see them).
 */
describe.skipIf(!canCtl)("RabbitMQ users per role, with compose's permissions, on a real broker", () => {
  const suffix = randomBytes(3).toString('hex');
  const vhost = `test-roles-${suffix}`;
  const passwords = { RABBITMQ_USER: `operator-${suffix}`, RABBITMQ_PASSWORD: randomBytes(8).toString('hex'), RABBITMQ_API_PASSWORD: randomBytes(8).toString('hex'), RABBITMQ_CONSUMER_PASSWORD: randomBytes(8).toString('hex') };
  const defs = composeUsers(passwords);
  // The file's names, made unique on this shared broker.
  const nameOf = (role: 'paredao-api' | 'paredao-consumer') => `${role}-${suffix}`;
  const url = (role: 'paredao-api' | 'paredao-consumer') => {
    const user = defs.users.find((u) => u.name === role)!;
    return `amqp://${nameOf(role)}:${user.password}@127.0.0.1:5672/${encodeURIComponent(vhost)}`;
  };
  let store: Store;
  let publisher: Publisher | null = null;
  let consumer: VoteConsumer | null = null;

  beforeAll(async () => {
    expect(ctl('add_vhost', vhost).status).toBe(0);
    for (const role of ['paredao-api', 'paredao-consumer'] as const) {
      const user = defs.users.find((u) => u.name === role)!;
      const perm = defs.permissions.find((p) => p.user === role)!;
      expect(ctl('add_user', nameOf(role), user.password).status).toBe(0);
      expect(ctl('set_permissions', '-p', vhost, nameOf(role), perm.configure, perm.write, perm.read).status).toBe(0);
      expect(ctl('set_user_tags', nameOf(role), ...user.tags).status).toBe(0);
    }
    store = await openStore(tempStoreUrl());
    // What compose's broker does at boot: the topology of deploy/rabbitmq/definitions.json, declared
    // here by an administrator (guest) since the service users may not.
    expect(ctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*').status).toBe(0);
    const topology = JSON.parse(readFileSync(join(ROOT, 'deploy/rabbitmq/definitions.json'), 'utf8')) as {
      exchanges: { name: string; type: string }[];
      queues: { name: string; arguments: Record<string, unknown> }[];
      bindings: { source: string; destination: string; routing_key: string }[];
    };
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost)}`);
    const ch = await conn.createChannel();
    for (const e of topology.exchanges) await ch.assertExchange(e.name, e.type, { durable: true });
    for (const q of topology.queues) await ch.assertQueue(q.name, { durable: true, arguments: q.arguments });
    for (const b of topology.bindings) await ch.bindQueue(b.destination, b.source, b.routing_key);
    await conn.close();
  });

  afterAll(async () => {
    await consumer?.stop(Date.now() + 5000);
    await publisher?.stop(Date.now() + 5000);
    await store?.close();
    if (canCtl) {
      ctl('delete_vhost', vhost);
      for (const role of ['paredao-api', 'paredao-consumer'] as const) ctl('delete_user', nameOf(role));
    }
  });

  it('when the services only check the topology (AMQP_DECLARE_TOPOLOGY=false, as compose sets), then the api publishes and the consumer consumes and counts', async () => {
    const draft = draftFromInput({ title: 'Roles', candidates: [{ name: 'Ana' }, { name: 'Bia' }] }, new Date());
    await store.insertParedao(draft);
    expect((await store.openParedao(draft.id, new Date(Date.now() - 1000))).ok).toBe(true);

    publisher = new Publisher({ urls: [url('paredao-api')], queue: 'votes', timeoutMs: 5000, batch: { maxVotes: 10, maxBytes: 65536, maxWaitMs: 5 }, declareTopology: false, log: quietLog(), metrics: createApiMetrics(createRegistry('api')) });
    await publisher.start();
    await waitFor('api channel', async () => publisher!.ready || undefined);
    await publisher.publish({ voteId: `roles-${suffix}-1`, paredaoId: draft.id, candidateId: 'ana', acceptedAt: Date.now() });

    consumer = new VoteConsumer({ amqpUrls: [url('paredao-consumer')], queue: 'votes', prefetch: 10, batchMax: 10, batchMaxWaitMs: 10, declareTopology: false, store, log: quietLog(), metrics: createConsumerMetrics(createRegistry('consumer')) });
    consumer.start();
    await waitFor('the vote counted', async () => ((await store.tally(draft.id)).byCandidate.ana === 1 ? true : undefined), 15_000);
  });

  /** Connects as `user`, runs `attempt`, and closes the connection whatever happened. */
  const asUser = async (user: 'paredao-api' | 'paredao-consumer', attempt: (conn: amqp.ChannelModel) => Promise<void>) => {
    const conn = await amqp.connect(url(user));
    try {
      await attempt(conn);
    } finally {
      await conn.close().catch(() => {});
    }
  };
  /** A channel whose error (the broker closing it) is expected, not thrown at the connection. */
  const quietChannel = async (conn: amqp.ChannelModel) => {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    return ch;
  };
  /** What the broker answers when `user` publishes into `queue` through the default exchange. */
  const publishAs = async (user: 'paredao-api' | 'paredao-consumer', queue: string) => {
    let answer = '';
    await asUser(user, async (conn) => {
      const ch = await conn.createConfirmChannel();
      const closed = new Promise<Error>((r) => ch.on('error', r));
      ch.sendToQueue(queue, Buffer.from('{}'));
      answer = String(await closed);
    });
    return answer;
  };

  it('when a service user tries to declare or delete a queue, then the broker refuses (403)', async () => {
    for (const role of ['paredao-api', 'paredao-consumer'] as const) {
      await asUser(role, async (conn) => {
        await expect((await quietChannel(conn)).assertQueue(`other-${suffix}`), role).rejects.toThrow(/ACCESS_REFUSED|403/);
        await expect((await quietChannel(conn)).deleteQueue('votes'), role).rejects.toThrow(/ACCESS_REFUSED|403/);
      });
    }
  });

  it('when the api user tries to consume the votes, then the broker refuses (403)', async () => {
    await asUser('paredao-api', async (conn) => {
      await expect((await quietChannel(conn)).consume('votes', () => {})).rejects.toThrow(/ACCESS_REFUSED|403/);
    });
  });

  it('when the api user tries to publish straight into the dead-letter queue (default exchange), then the broker refuses (403)', async () => {
    expect(await publishAs('paredao-api', 'votes.dead')).toMatch(/ACCESS_REFUSED|403/);
  });

  it('when the consumer user tries to publish a vote, then the broker refuses (403)', async () => {
    expect(await publishAs('paredao-consumer', 'votes')).toMatch(/ACCESS_REFUSED|403/);
  });

  it('when the service users are listed, then neither is an administrator and only the operator is', () => {
    expect(defs.users.find((u) => u.name === 'paredao-api')!.tags).toEqual([]);
    expect(defs.users.find((u) => u.name === 'paredao-consumer')!.tags).toEqual([]);
    expect(defs.users.find((u) => u.name === passwords.RABBITMQ_USER)!.tags).toEqual(['administrator']);
  });
});
