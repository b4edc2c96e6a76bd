import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { decodeMessage, openStore, type Store, type VoteMessage } from '@paredao/core';
import { afterAll, beforeAll } from 'vitest';
import { loadApiConfig } from '@paredao/api/platform/config';
import { startApi, type RunningApi } from '@paredao/api/platform/worker';
import { testPasswordHash } from '@paredao/testkit/admin';
import { AMQP_URL, connectAny, deleteQueues } from '@paredao/testkit/stack';

export const quietLog = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export interface ApiUnderTest {
  url: string;
  api: RunningApi;
  env: Record<string, string>;
}

/** The real api (app + Publisher + SQLite store) in this process, on a free port. */
export async function startApiInProcess(env: Record<string, string>, log = quietLog()): Promise<ApiUnderTest> {
  const full = {
    API_PORT: '0',
    API_WORKERS: '1',
    AMQP_URL,
    ANTIBOT_SECRET: randomBytes(32).toString('hex'),
    ANTIBOT_DIFFICULTY: '1',
    RATE_LIMIT_PER_IP: '0',
    RESULTS_REFRESH_MS: '200',
    PUBLISH_TIMEOUT_MS: '2000',
    SHUTDOWN_DRAIN_MS: '0',
    ADMIN_PASSWORD_HASH: await testPasswordHash(),
    ADMIN_SESSION_SECRET: randomBytes(32).toString('hex'),
    CPF_HMAC_SECRET: randomBytes(32).toString('hex'),
    ...env,
  };
  const api = await startApi(loadApiConfig(full), log);
  const { port } = api.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, api, env: full };
}

export const tempStoreUrl = () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'paredao-')), 'votes.db')}`;
export const uniqueQueue = (prefix: string) => `test-${prefix}-${randomBytes(4).toString('hex')}`;

/** Puts message bodies straight into a queue, persistent, and waits for the broker's confirms: what an api (or a redelivery) would leave there. */
export async function publishBodies(queue: string, bodies: Buffer[]): Promise<void> {
  const conn = await connectAny();
  try {
    const ch = await conn.createConfirmChannel();
    for (const b of bodies) ch.sendToQueue(queue, b, { persistent: true });
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }
}

/** The broker's view of a queue (messages ready, consumers), asked on a connection of its own. */
export async function queueState(queue: string) {
  const conn = await connectAny();
  try {
    return await (await conn.createChannel()).checkQueue(queue);
  } finally {
    await conn.close();
  }
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, json: json as { error?: { code: string; message: string }; voteId?: string } | null, text };
}

/** Takes every message waiting in the queue (and acks it), as the consumer would. */
export async function drainQueue(queue: string): Promise<VoteMessage[]> {
  return (await drainMessages(queue)).votes;
}

export async function drainMessages(queue: string): Promise<{ messages: number; votes: VoteMessage[] }> {
  const conn = await connectAny();
  try {
    const ch = await conn.createChannel();
    const out: VoteMessage[] = [];
    for (let messages = 0; ; messages++) {
      const msg = await ch.get(queue, { noAck: true });
      if (!msg) return { messages, votes: out };
      const d = decodeMessage(msg.content);
      if (!d.ok || d.rejected.length > 0) throw new Error(`queued message is not a vote: ${d.ok ? JSON.stringify(d.rejected) : d.reason}`);
      out.push(...d.votes);
    }
  } finally {
    await conn.close();
  }
}

/**
 * For a describe block: an in-process api on a queue and store file of its own, started before its
 * tests (handed to `started` with the store, opened beside it) and stopped, closed and deleted after.
 */
export function apiForSuite(name: string, env: Record<string, string>, started: (api: ApiUnderTest, store: Store) => void): { queue: string } {
  const queue = uniqueQueue(name);
  const storeUrl = tempStoreUrl();
  let api: ApiUnderTest | undefined;
  let store: Store | undefined;
  beforeAll(async () => {
    api = await startApiInProcess({ QUEUE_NAME: queue, STORE_URL: storeUrl, ...env });
    store = await openStore(storeUrl);
    started(api, store);
  });
  afterAll(async () => {
    await api?.api.stop();
    await store?.close();
    await deleteQueues(queue);
  });
  return { queue };
}
