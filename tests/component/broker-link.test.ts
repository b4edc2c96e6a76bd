import type { Socket } from 'node:net';
import { BrokerLink } from '@paredao/core';
import type { Channel, ChannelModel } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@paredao/testkit/ports';
import { AMQP_URL } from '@paredao/testkit/stack';
import { quietLog, uniqueQueue } from './helpers.js';

/** What a test sees of one session: the connection it came from, and the address it used. */
interface Session {
  conn: ChannelModel;
  ch: Channel;
  url: string;
}

/** The TCP socket under an amqplib connection, to cut it as a dying node or a network would. */
const socketOf = (conn: ChannelModel) => (conn.connection as unknown as { stream: Socket }).stream;

describe('BrokerLink (core/src/amqp.ts), against the real RabbitMQ', () => {
  const broker = AMQP_URL.split(',')[0]!;
  let link: BrokerLink<Session> | null = null;
  const ups: Session[] = [];
  let downs = 0;
  let failures = 0;

  const start = async (urls: string[]) => {
    link = new BrokerLink<Session>({
      urls,
      firstIndex: 0,
      connectionName: 'paredao-test-broker-link',
      log: quietLog(),
      backoff: { baseMs: 50, maxMs: 200 },
      setup: async (conn, watch) => ({ conn, ch: watch(await conn.createChannel()), url: '' }),
      onUp: (s, url) => ups.push({ ...s, url }),
      onDown: () => downs++,
      onAttemptFailed: () => failures++,
    });
    await link.start();
    return link;
  };

  afterEach(async () => {
    await link?.stop();
    link = null;
    ups.length = 0;
    downs = 0;
    failures = 0;
  });

  it('when the first address refuses connections, then it connects to the next one', async () => {
    const dead = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
    const l = await start([dead, broker]);
    await waitFor('a session', async () => l.session);
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(ups.map((u) => u.url)).toEqual([broker]);
  });

  it('when the connection is cut under it, then it builds a new session on a new connection', async () => {
    const l = await start([broker]);
    const first = await waitFor('first session', async () => l.session);
    // As a node dying under it: the kernel resets the connection.
    socketOf(first.conn).destroy(new Error('ECONNRESET (test)'));
    const second = await waitFor('second session', async () => (l.session && l.session !== first ? l.session : null));
    expect(downs).toBe(1);
    expect(second.conn).not.toBe(first.conn);
    // The new session works: a round trip on its channel.
    const q = await second.ch.assertQueue('', { exclusive: true });
    expect(q.queue).toMatch(/^amq\.gen-/);
  });

  it('when only a watched channel closes (a broker error), then its connection is closed too and a new session comes up', async () => {
    const l = await start([broker]);
    const first = await waitFor('first session', async () => l.session);
    const closed = new Promise<void>((r) => first.conn.once('close', () => r()));
    // 404 NOT_FOUND closes the channel, not the connection.
    await first.ch.checkQueue(uniqueQueue('absent')).catch(() => {});
    await closed; // without this the old connection would stay open: one leaked connection per channel error
    const second = await waitFor('second session', async () => (l.session && l.session !== first ? l.session : null));
    expect(second.conn).not.toBe(first.conn);
    expect(downs).toBe(1);
  });

  it('when stopped, then the connection closes and it does not reconnect', async () => {
    const l = await start([broker]);
    const s = await waitFor('a session', async () => l.session);
    const closed = new Promise<void>((r) => s.conn.once('close', () => r()));
    await l.stop();
    await closed;
    // stop() resolves once the reconnect loop has ended: nothing is left that could reconnect.
    expect(l.session).toBeNull();
    expect(ups).toHaveLength(1);
  });
});
