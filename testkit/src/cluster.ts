import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { ROOT } from './stack.js';
import { waitFor } from './ports.js';

const SCRIPT = join(ROOT, 'scripts/rabbitmq-cluster.sh');
const CTL = '/usr/lib/rabbitmq/bin/rabbitmqctl';
// Asynchronous on purpose: a fault scenario's load generator shares this event loop.
const run = promisify(execFile);

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Why a three-node cluster cannot be run here, or null when it can. */
export function clusterUnavailable(): string | null {
  if (!existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server')) return 'Debian rabbitmq-server is not installed (run ./preflight.sh)';
  return null;
}

export interface QueueInfo {
  name: string;
  leader: string;
  members: string[];
  online: string[];
}

/**
 * A three-node RabbitMQ cluster started with scripts/rabbitmq-cluster.sh (the same script people use),
 * under a temporary folder, with a random node name prefix and free ports, so that tests in two
 * checkouts on one machine never meet each other or the machine's own broker.
 */
export class LocalCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'paredao-rmq-'));
  readonly prefix = `pt${randomBytes(3).toString('hex')}`;
  amqpPorts: number[] = [];
  private env: NodeJS.ProcessEnv = {};

  /** Comma-separated AMQP_URL of the three nodes. */
  get url(): string {
    return this.amqpPorts.map((p) => `amqp://guest:guest@127.0.0.1:${p}`).join(',');
  }

  nodeName(i: number): string {
    return `${this.prefix}${i}@localhost`;
  }

  /** 1, 2 or 3 for a node name. */
  indexOf(node: string): number {
    const i = [1, 2, 3].find((n) => this.nodeName(n) === node);
    if (!i) throw new Error(`${node} is not a node of this cluster`);
    return i;
  }

  private async pickPorts(): Promise<void> {
    // Three consecutive AMQP ports (distribution: +20000) and three Prometheus ports, all free.
    for (let tries = 0; tries < 50; tries++) {
      const base = 5700 + 3 * Math.floor(Math.random() * 300);
      const prom = base + 10_100;
      const ports = [0, 1, 2].flatMap((k) => [base + k, base + k + 20_000, prom + k]);
      const taken = await Promise.all(ports.map(portOpen));
      if (taken.every((t) => !t)) {
        this.amqpPorts = [base, base + 1, base + 2];
        this.env = {
          ...process.env,
          RABBITMQ_CLUSTER_DIR: this.dir,
          RABBITMQ_CLUSTER_NAME: this.prefix,
          RABBITMQ_CLUSTER_PORT: String(base),
          RABBITMQ_CLUSTER_PROMETHEUS_PORT: String(prom),
        };
        return;
      }
    }
    throw new Error('no free ports for a three-node cluster');
  }

  /** Runs the script; rejects with its output when it fails. */
  async script(action: 'start' | 'stop' | 'status', timeoutMs = 240_000): Promise<string> {
    try {
      return (await run(SCRIPT, [action], { env: this.env, encoding: 'utf8', timeout: timeoutMs })).stdout;
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      throw new Error(`rabbitmq-cluster.sh ${action} failed (${e.code}): ${e.stderr ?? ''}${e.stdout ?? ''}`);
    }
  }

  async start(): Promise<this> {
    await this.pickPorts();
    await this.script('start');
    return this;
  }

  /** rabbitmqctl against node i, with the cluster's cookie. */
  async ctl(i: number, args: string[], timeoutMs = 120_000): Promise<string> {
    try {
      return (await run(CTL, ['-n', this.nodeName(i), ...args], { env: { ...this.env, HOME: this.dir }, encoding: 'utf8', timeout: timeoutMs })).stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`rabbitmqctl ${args.join(' ')} on ${this.nodeName(i)} failed: ${e.stderr ?? ''}${e.stdout ?? ''}`);
    }
  }

  pid(i: number): number | null {
    const f = join(this.dir, `${this.prefix}${i}`, 'pid');
    if (!existsSync(f)) return null;
    const pid = Number(readFileSync(f, 'utf8').trim());
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }

  /** The quorum queues as a running node sees them (leader, members, members online). */
  async queues(): Promise<QueueInfo[]> {
    for (const i of [1, 2, 3]) {
      if (!this.pid(i)) continue;
      try {
        const out = await this.ctl(i, ['list_queues', '-q', '--formatter', 'json', 'name', 'leader', 'members', 'online'], 30_000);
        return JSON.parse(out) as QueueInfo[];
      } catch {
        // this node is stopping or its app is stopped: ask the next one
      }
    }
    throw new Error('no node of the cluster answers list_queues');
  }

  async queue(name: string): Promise<QueueInfo> {
    const q = (await this.queues()).find((x) => x.name === name);
    if (!q) throw new Error(`queue ${name} not found`);
    return q;
  }

  /** SIGKILL of node i's Erlang VM: the node dies at once, as on a power cut. */
  async kill(i: number): Promise<void> {
    const pid = this.pid(i);
    if (!pid) throw new Error(`${this.nodeName(i)} is not running`);
    process.kill(pid, 'SIGKILL');
    await waitFor(`${this.nodeName(i)} gone`, async () => this.pid(i) === null, 10_000, 50);
  }

  /** Starts whichever nodes are not running (the script's `start` on existing data) and waits for them. */
  async restartStopped(): Promise<void> {
    await this.script('start');
  }

  /** Waits until every member of `queue` is online again (after a node came back). */
  async waitMembersOnline(queue: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(`all members of ${queue} online`, async () => {
      const q = await this.queue(queue);
      return q.members.length === 3 && q.online.length === 3;
    }, timeoutMs, 500);
  }

  /** Stops the three nodes (idempotent) and removes the folder; throws if a VM of ours is left. */
  async stop(): Promise<void> {
    try {
      if (this.amqpPorts.length) await this.script('stop', 180_000);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
