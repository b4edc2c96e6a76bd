import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Results } from '@paredao/contract';
import amqp from 'amqplib';
import { testPasswordHash } from './admin.js';
import { solvedPayload } from './antibot.js';
import { freePort, waitFor } from './ports.js';
import { stopProcess } from './process.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Connects to the first node of a comma-separated AMQP_URL that answers (a cluster may miss one). */
export async function connectAny(urls = AMQP_URL): Promise<amqp.ChannelModel> {
  let last: unknown;
  for (const url of urls.split(',')) {
    try {
      return await amqp.connect(url.trim());
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

export interface StackOptions {
  apiWorkers?: number;
  rateLimitPerIp?: number;
  difficulty?: number;
  /** The broker(s) for api and consumer, comma-separated (a cluster); AMQP_URL by default. */
  amqpUrl?: string;
  /** Extra environment for api and consumer. */
  env?: Record<string, string>;
  /** Rewrites a service's command line, e.g. to start it inside a memory cgroup (memory-cgroup.ts). */
  launch?: Partial<Record<ServiceName, (cmd: string[]) => string[]>>;
}

export type ServiceName = 'api' | 'consumer' | 'proxy';

/**
 * The real system on free ports, as ./run.sh runs it (compiled services, the rendered nginx config),
 * with its own SQLite file and its own queue so test files never see each other's votes.
 * Needs `npm run build` first (scripts/test.sh does it).
 */
export class Stack {
  readonly queue = `test-votes-${randomBytes(4).toString('hex')}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'paredao-stack-'));
  readonly storePath = join(this.dir, 'paredao.db');
  readonly rabbitmqMetricsUrl = 'http://127.0.0.1:15692';
  readonly amqpUrl: string;
  url = '';
  apiUrl = '';
  consumerUrl = '';
  private ports = { http: 0, api: 0, consumer: 0 };
  private readonly procs = new Map<ServiceName, ChildProcess>();
  env: NodeJS.ProcessEnv = {};

  constructor(private readonly opts: StackOptions = {}) {
    this.amqpUrl = opts.amqpUrl ?? AMQP_URL;
  }

  async start(): Promise<this> {
    this.ports = { http: await freePort(), api: await freePort(), consumer: await freePort() };
    this.url = `http://127.0.0.1:${this.ports.http}`;
    this.apiUrl = `http://127.0.0.1:${this.ports.api}`;
    this.consumerUrl = `http://127.0.0.1:${this.ports.consumer}`;
    this.env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AMQP_URL: this.amqpUrl,
      STORE_URL: `sqlite:${this.storePath}`,
      QUEUE_NAME: this.queue,
      API_PORT: String(this.ports.api),
      // As ./run.sh: nginx reaches the api over a Unix socket in the run folder.
      API_SOCKET: join(this.dir, 'api.sock'),
      CONSUMER_PORT: String(this.ports.consumer),
      HTTP_PORT: String(this.ports.http),
      API_WORKERS: String(this.opts.apiWorkers ?? 1),
      ANTIBOT_SECRET: randomBytes(32).toString('hex'),
      ANTIBOT_DIFFICULTY: String(this.opts.difficulty ?? 1),
      RATE_LIMIT_PER_IP: String(this.opts.rateLimitPerIp ?? 0),
      LOG_LEVEL: 'debug',
      ADMIN_USER: 'admin',
      ADMIN_PASSWORD_HASH: await testPasswordHash(),
      ADMIN_SESSION_SECRET: randomBytes(32).toString('hex'),
      CPF_HMAC_SECRET: randomBytes(32).toString('hex'),
      ...this.opts.env,
    };
    const rendered = spawnSync(join(ROOT, 'proxy/render-local.sh'), [join(this.dir, 'nginx')], { env: this.env, encoding: 'utf8' });
    if (rendered.status !== 0) throw new Error(`render-local.sh failed: ${rendered.stderr}`);
    await this.startService('consumer');
    await this.startService('api');
    await this.startService('proxy');
    return this;
  }

  command(name: ServiceName): string[] {
    switch (name) {
      case 'api':
        return ['node', 'api/dist/main.js'];
      case 'consumer':
        return ['node', 'consumer/dist/main.js'];
      case 'proxy':
        return ['nginx', '-c', join(this.dir, 'nginx/nginx.conf'), '-p', join(this.dir, 'nginx')];
    }
  }

  /** Starts a service and waits until it is ready. */
  async startService(name: ServiceName): Promise<void> {
    const launch = this.opts.launch?.[name] ?? ((c: string[]) => c);
    const [cmd, ...args] = launch(this.command(name));
    const log = createWriteStream(join(this.dir, `${name}.log`), { flags: 'a' });
    const child = spawn(cmd!, args, { cwd: ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.procs.set(name, child);
    const readyUrl = { api: `${this.apiUrl}/readyz`, consumer: `${this.consumerUrl}/readyz`, proxy: `${this.url}/api/paredao` }[name];
    await waitFor(`${name} ready (log: ${join(this.dir, `${name}.log`)})`, async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
      // With TLS on (TLS_CERT_FILE), nginx answers plain HTTP with a redirect: that is ready too.
      const res = await fetch(readyUrl, { redirect: 'manual' });
      return res.ok || (name === 'proxy' && res.status === 308);
    });
  }

  /** Sends a signal and waits for the process to exit. */
  async signal(name: ServiceName, sig: NodeJS.Signals): Promise<void> {
    const child = this.procs.get(name);
    await stopProcess(child, sig, 60_000);
    this.procs.delete(name);
  }

  pid(name: ServiceName): number | undefined {
    return this.procs.get(name)?.pid;
  }

  async solve(): Promise<string> {
    return solvedPayload(this.url);
  }

  /** Posts a vote through nginx with a freshly solved proof. */
  async vote(candidateId: string, base = this.url): Promise<Response> {
    const altcha = await solvedPayload(base);
    return fetch(`${base}/api/votes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ candidateId, altcha }) });
  }

  async results(base = this.url): Promise<Results> {
    const res = await fetch(`${base}/api/results`);
    if (!res.ok) throw new Error(`results: HTTP ${res.status}`);
    return (await res.json()) as Results;
  }

  async waitForTotal(total: number, timeoutMs = 10_000): Promise<Results> {
    return waitFor(`results total ${total}`, async () => {
      const r = await this.results(this.apiUrl);
      return r.total >= total ? r : undefined;
    }, timeoutMs);
  }

  /** Messages waiting in the vote queue and in its dead-letter queue. */
  async queueDepths(): Promise<{ ready: number; dead: number }> {
    const conn = await connectAny(this.amqpUrl);
    try {
      const ch = await conn.createChannel();
      const q = await ch.checkQueue(this.queue);
      const d = await ch.checkQueue(`${this.queue}.dead`);
      return { ready: q.messageCount, dead: d.messageCount };
    } finally {
      await conn.close();
    }
  }

  async stop(): Promise<void> {
    for (const name of ['proxy', 'api', 'consumer'] as const) await this.signal(name, 'SIGTERM');
    await deleteQueues(this.queue, this.amqpUrl);
  }
}

export async function startStack(opts?: StackOptions): Promise<Stack> {
  const stack = new Stack(opts);
  try {
    return await stack.start();
  } catch (err) {
    await stack.stop().catch(() => {});
    throw err;
  }
}

export async function deleteQueues(queue: string, urls = AMQP_URL): Promise<void> {
  const conn = await connectAny(urls);
  try {
    const ch = await conn.createChannel();
    await ch.deleteQueue(queue);
    await ch.deleteQueue(`${queue}.dead`);
    await ch.deleteExchange(`${queue}.dlx`);
    await ch.deleteExchange(`${queue}.in`);
  } finally {
    await conn.close();
  }
}
