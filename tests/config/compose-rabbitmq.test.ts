// The compose broker: its configuration, its entrypoint and definitions against what the services declare.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRabbitmqEntrypoint } from '../support/rabbitmq-entrypoint.js';
import { skipTestWithoutTool } from '../support/require-tool.js';
import { byName, root } from './compose-model.js';

describe('RabbitMQ configuration', () => {
  const dir = join(root, 'deploy/rabbitmq');
  type Defs = {
    queues: { name: string; arguments: Record<string, unknown> }[];
    exchanges: { name: string; type: string }[];
    bindings: { source: string; destination: string }[];
  };
  const defs = JSON.parse(readFileSync(join(dir, 'definitions.json'), 'utf8')) as Defs;

  it('declares the votes quorum queue with its dead-letter exchange and queue (ARCHITECTURE.md)', () => {
    const votes = defs.queues.find((q) => q.name === 'votes');
    expect(votes?.arguments).toMatchObject({ 'x-queue-type': 'quorum', 'x-dead-letter-exchange': 'votes.dlx' });
    expect(votes?.arguments['x-delivery-limit']).toBeGreaterThan(0);
    expect(defs.exchanges.map((e) => e.name)).toContain('votes.dlx');
    expect(defs.queues.map((q) => q.name)).toContain('votes.dead');
    expect(defs.bindings).toContainEqual(expect.objectContaining({ source: 'votes.dlx', destination: 'votes.dead' }));
    // The api publishes to votes.in (core/src/topology.ts entryExchange), bound to votes only.
    expect(defs.exchanges.map((e) => e.name)).toContain('votes.in');
    expect(defs.bindings.filter((b) => b.source === 'votes.in')).toEqual([expect.objectContaining({ destination: 'votes' })]);
  });

  it('enables the management and prometheus plugins', () => {
    const plugins = readFileSync(join(dir, 'enabled_plugins'), 'utf8');
    expect(plugins.trim()).toMatch(/^\[.*\]\.$/s);
    expect(plugins).toContain('rabbitmq_management');
    expect(plugins).toContain('rabbitmq_prometheus');
  });

  it('blocks publishers at an absolute memory threshold below the container\'s limit', () => {
    // RabbitMQ's memory guide: nodes do not always see the cgroup limit, so use an absolute value.
    const conf = readFileSync(join(dir, 'rabbitmq.conf'), 'utf8');
    expect(conf).not.toMatch(/^vm_memory_high_watermark\.relative/m);
    const bytes = (v: string) => {
      const m = /^(\d+(?:\.\d+)?)\s*(k|kiB|M|MiB|G|GiB|kB|MB|GB)?$/.exec(v.trim());
      if (!m) throw new Error(`unreadable size ${v}`);
      const unit = { k: 2 ** 10, kiB: 2 ** 10, M: 2 ** 20, MiB: 2 ** 20, G: 2 ** 30, GiB: 2 ** 30, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2] ?? ''] ?? 1;
      return Number(m[1]) * unit;
    };
    const threshold = /^vm_memory_high_watermark\.absolute\s*=\s*(.+)$/m.exec(conf)?.[1];
    expect(threshold, 'vm_memory_high_watermark.absolute').toBeDefined();
    const limit = byName.get('rabbitmq')!.svc.deploy!.resources!.limits!.memory!;
    const limitBytes = Number(/^(\d+)/.exec(limit)![1]) * ({ k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[limit.replace(/^\d+/, '').charAt(0).toLowerCase()] ?? 1);
    expect(bytes(threshold!)).toBeLessThanOrEqual(0.7 * limitBytes);
    expect(bytes(threshold!)).toBeGreaterThanOrEqual(0.3 * limitBytes);
  });

  it('imports definitions from the directory the entrypoint writes', () => {
    const conf = readFileSync(join(dir, 'rabbitmq.conf'), 'utf8');
    const path = /^definitions\.local\.path\s*=\s*(\S+)/m.exec(conf)?.[1];
    expect(path).toBeDefined();
    expect(readFileSync(join(dir, 'entrypoint.sh'), 'utf8')).toContain(`:-${path}}`);
  });

  // The image's docker-entrypoint.sh stand-in records argv.
  const runEntrypoint = (env: Record<string, string>) =>
    runRabbitmqEntrypoint(env, 'echo "handed over: $*"', (work) => ({
      users: JSON.parse(readFileSync(join(work, 'defs/10-users.json'), 'utf8')) as {
        users: { name: string; password: string }[];
        permissions: { user: string; vhost: string }[];
      },
      topology: JSON.parse(readFileSync(join(work, 'defs/20-topology.json'), 'utf8')) as Defs,
      mode: statSync(join(work, 'defs/10-users.json')).mode & 0o777,
    }));

  const passwords = { RABBITMQ_PASSWORD: 'abc123', RABBITMQ_API_PASSWORD: 'api123', RABBITMQ_CONSUMER_PASSWORD: 'con123' };

  it('the entrypoint writes the operator and one user per service role from the environment, and hands over to the image entrypoint', () => {
    const { out, users, topology, mode } = runEntrypoint({ RABBITMQ_USER: 'paredao', ...passwords });
    expect(out.trim()).toBe('handed over: rabbitmq-server');
    expect(users.users).toEqual([
      expect.objectContaining({ name: 'paredao', password: 'abc123', tags: ['administrator'] }),
      expect.objectContaining({ name: 'paredao-api', password: 'api123', tags: [] }),
      expect.objectContaining({ name: 'paredao-consumer', password: 'con123', tags: [] }),
    ]);
    expect(users.permissions.map((p) => p.user)).toEqual(['paredao', 'paredao-api', 'paredao-consumer']);
    // The services configure nothing (the definitions declare the topology; compose sets AMQP_DECLARE_TOPOLOGY=false).
    for (const p of users.permissions.slice(1) as unknown as { configure: string }[]) expect(p.configure).toBe('^$');
    for (const s of ['api', 'consumer']) {
      const env = byName.get(s)!.svc.environment as Record<string, string>;
      expect(env.AMQP_URL, s).toMatch(new RegExp(`^amqp://paredao-${s}:`));
      expect(String(env.AMQP_DECLARE_TOPOLOGY), s).toBe('false');
    }
    expect(topology.queues.map((q) => q.name)).toContain('votes');
    expect(mode).toBe(0o600);
  });

  it('the entrypoint refuses a password that would break the JSON it writes', () => {
    expect(() => runEntrypoint({ RABBITMQ_USER: 'paredao', ...passwords, RABBITMQ_PASSWORD: 'a"b' })).toThrow(/may only use/);
    expect(() => runEntrypoint({ RABBITMQ_USER: 'paredao', ...passwords, RABBITMQ_API_PASSWORD: 'a"b' })).toThrow(/may only use/);
    expect(() => runEntrypoint({ RABBITMQ_USER: 'paredao' })).toThrow(/RABBITMQ_PASSWORD is required/);
  });
});

describe('RabbitMQ definitions agree with what the services declare', () => {
  const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

  // The api and the consumer assert the same topology at start (core/src/topology.ts); a queue that
  // exists with other arguments makes that fail with PRECONDITION_FAILED, so the broker itself judges.
  it('declaring the services\' topology and then the definitions\' on a real broker is accepted', async () => {
    const amqp = await import('amqplib');
    let conn: Awaited<ReturnType<typeof amqp.connect>>;
    try {
      conn = await amqp.connect(amqpUrl);
    } catch (err) {
      skipTestWithoutTool({ tool: 'RabbitMQ', why: `does not answer at ${amqpUrl} (${String(err)})`, checks: 'comparing the definitions with core/src/topology.ts' });
      return;
    }
    const { assertTopology } = await import('@paredao/core/topology');
    const defs = JSON.parse(readFileSync(join(root, 'deploy/rabbitmq/definitions.json'), 'utf8')) as {
      queues: { name: string; durable: boolean; arguments: Record<string, unknown> }[];
      exchanges: { name: string; type: string; durable: boolean }[];
    };
    // Same shape under a private name, so the shared broker's real queues are never touched.
    const q = `deploy-check-${process.pid}-${Date.now()}`;
    const rename = (v: unknown) => (typeof v === 'string' ? v.replace(/^votes(?=$|\.)/, q) : v);
    try {
      const ch = await conn.createChannel();
      await assertTopology(ch, q);
      for (const ex of defs.exchanges) await ch.assertExchange(rename(ex.name) as string, ex.type, { durable: ex.durable });
      for (const queue of defs.queues) {
        const args = Object.fromEntries(Object.entries(queue.arguments).map(([k, v]) => [k, rename(v)]));
        await ch.assertQueue(rename(queue.name) as string, { durable: queue.durable, arguments: args });
      }
      await ch.close();
    } finally {
      const ch = await conn.createChannel();
      await ch.deleteQueue(q);
      await ch.deleteQueue(`${q}.dead`);
      await ch.deleteExchange(`${q}.dlx`);
      await ch.deleteExchange(`${q}.in`);
      await conn.close();
    }
  });
});
