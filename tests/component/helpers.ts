import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { loadApiConfig } from '@paredao/api/platform/config';
import { startApi, type RunningApi } from '@paredao/api/platform/worker';
import { testPasswordHash } from '@paredao/testkit/admin';
import { AMQP_URL, connectAny } from '@paredao/testkit/stack';

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
