import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ConfigError } from '@paredao/core/env';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { openMongoStore } from '@paredao/core/store/mongodb';
import { fakeMongo } from '../support/fake-mongo.js';
import { freePort } from '@paredao/testkit/ports';

/**
 * A MongoDB that cannot run the store's transactions is refused at start, with the setting named,
 * rather than a consumer retrying a batch for ever. No MongoDB server runs here: tests/support/fake-mongo.ts
 * answers the driver's hello at the wire level as such a server would.
 */
const root = resolve(import.meta.dirname, '../..');
const standalone = { isWritablePrimary: true, maxWireVersion: 25, minWireVersion: 0, maxBsonObjectSize: 16777216, maxMessageSizeBytes: 48000000, maxWriteBatchSize: 100000, logicalSessionTimeoutMinutes: 30, localTime: new Date() };
const notInitiated = { ...standalone, isWritablePrimary: false, secondary: false, info: 'Does not have a valid replica set config', isreplicaset: true };

describe('openMongoStore against a server that cannot run transactions', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('when STORE_URL names a standalone mongod, then it fails at once with a ConfigError naming STORE_URL, touches no data and closes its connections', async () => {
    const mongo = await fakeMongo(standalone);
    servers.push(mongo);
    const opening = openMongoStore(`mongodb://127.0.0.1:${mongo.port}/paredao`);
    await expect(opening).rejects.toBeInstanceOf(ConfigError);
    await expect(opening).rejects.toThrow(/^STORE_URL names a MongoDB that cannot run the store's transactions: it is a standalone server/);
    expect(mongo.commands).toContain('hello');
    expect(mongo.commands.filter((c) => !['hello', 'ismaster', 'isMaster', 'endSessions'].includes(c))).toEqual([]);
    await vi.waitFor(() => expect(mongo.openSockets()).toBe(0), { timeout: 5000 });
  });

  it('when it names a replica set member that was never initiated, then the error says to run rs.initiate()', async () => {
    const mongo = await fakeMongo(notInitiated);
    servers.push(mongo);
    await expect(openMongoStore(`mongodb://127.0.0.1:${mongo.port}/paredao?directConnection=true`)).rejects.toThrow(/^STORE_URL .*not initiated \(run rs\.initiate\(\)/);
    expect(mongo.commands).not.toContain('createIndexes');
  });
});

describe('consumer start against a MongoDB that cannot run transactions', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('when STORE_URL names a standalone mongod, then the consumer exits 1 with the reason instead of retrying', async () => {
    const mongo = await fakeMongo(standalone);
    servers.push(mongo);
    const child = spawn(process.execPath, ['--import', 'tsx', 'consumer/src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, STORE_URL: `mongodb://127.0.0.1:${mongo.port}/paredao`, CONSUMER_PORT: String(await freePort()), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    clearTimeout(timer);
    expect(code, out).toBe(1);
    expect(out).toMatch(/STORE_URL names a MongoDB that cannot run the store's transactions: it is a standalone server/);
    expect(out).not.toMatch(/store unreachable/);
  }, 30_000);
});
