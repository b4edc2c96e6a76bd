import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { presolve } from './load.js';
import { waitFor } from './ports.js';
import type { LocalCluster } from './cluster.js';
import { startStack, type Stack, type StackOptions } from './stack.js';
import { audit, type FaultRow } from './fault-audit.js';
import { runFaultLoad } from './fault-load.js';

const CANDIDATES = ['participante-1', 'participante-2'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Scenario {
  name: string;
  ratePerSec: number;
  durationSec: number;
  stack?: StackOptions;
  /** Spare proofs for retries, as a share of the planned votes. */
  spare?: number;
  /** What the driver's retries send: a new proof (the default) or the same one, as the page does. */
  retry?: 'new-proof' | 'same-proof';
  /** Prepares the fault before the load starts (after the stack is up and the proofs solved). */
  before?: (stack: Stack) => Promise<void>;
  /** Injects the fault while the load runs (started together with it); returns a note for the table. */
  fault: (stack: Stack, loadDone: Promise<unknown>) => Promise<{ fault: string; notes?: string; injected: number }>;
}

export async function runScenario(s: Scenario, log: (msg: string) => void = () => {}): Promise<FaultRow> {
  const stack = await startStack(s.stack);
  try {
    const n = Math.round(s.ratePerSec * s.durationSec);
    log(`${s.name}: solving ${n} proofs (+${Math.round(n * (s.spare ?? 0.1))} spare)`);
    const proofs = await presolve(stack.url, n + Math.round(n * (s.spare ?? 0.1)));
    await s.before?.(stack);
    log(`${s.name}: ${s.ratePerSec} votes/s for ${s.durationSec} s`);
    const load = runFaultLoad({
      url: stack.url,
      ratePerSec: s.ratePerSec,
      durationSec: s.durationSec,
      proofs,
      candidates: CANDIDATES,
      retry: s.retry,
      onTick: (t) => {
        if (Math.round(t.elapsedSec) % 5 === 0) log(`  t=${t.elapsedSec.toFixed(0)} s accepted=${t.accepted} ${JSON.stringify(t.statuses)}`);
      },
    });
    const [result, injected] = await Promise.all([load, s.fault(stack, load)]);
    log(`${s.name}: load done; ${injected.fault}; waiting for the count`);
    const retriedWith = s.retry === 'same-proof' ? 'the same proof, as the page does' : undefined;
    return { ...(await audit(stack, result)), apiWorkers: Number(stack.env.API_WORKERS), retriedWith, scenario: s.name, fault: injected.fault, notes: injected.notes ?? '', injected: injected.injected, ratePerSec: s.ratePerSec, durationSec: s.durationSec };
  } finally {
    await stack.stop();
  }
}

// ---- faults -------------------------------------------------------------------------------------

/**
 * SIGKILLs a service (the consumer, or the api when it runs as one process), restarts it as ./run.sh's
 * supervisor does and lets it run `upMs` before the next kill, at least `minKills` times and for as long
 * as the load runs.
 */
export async function killRepeatedly(stack: Stack, service: 'consumer' | 'api', loadDone: Promise<unknown>, upMs: number, minKills: number) {
  let done = false;
  void loadDone.finally(() => (done = true));
  let kills = 0;
  const downMs: number[] = [];
  while (!done || kills < minKills) {
    await sleep(upMs);
    const t = Date.now();
    await stack.signal(service, 'SIGKILL');
    kills++;
    await stack.startService(service);
    downMs.push(Date.now() - t);
  }
  const mean = downMs.reduce((a, b) => a + b, 0) / downMs.length;
  return { fault: `${service} SIGKILLed ${kills}×, restarted each time, ${upMs / 1000} s up between kills`, notes: `${service} down ${(mean / 1000).toFixed(1)} s per kill (until ready again)`, injected: kills };
}

const RABBITMQCTL = 'rabbitmqctl';
let brokerStopped = false;

function startApp(): void {
  spawnSync(RABBITMQCTL, ['start_app'], { stdio: 'ignore', timeout: 60_000 });
  brokerStopped = false;
}

/** Whatever happens to this process, a broker we stopped is started again: it is shared by everyone on this machine. */
function onExit() {
  if (brokerStopped) startApp();
}
function onSignal(sig: NodeJS.Signals) {
  onExit();
  process.kill(process.pid, sig);
}

export function brokerAvailable(): string | null {
  const r = spawnSync(RABBITMQCTL, ['-q', 'status'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return `rabbitmqctl not runnable: ${r.error.message}`;
  if (r.status !== 0) return `rabbitmqctl status failed (not allowed to control the broker?): ${(r.stderr || r.stdout).trim().slice(0, 200)}`;
  return null;
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * Stops the broker's application (`rabbitmqctl stop_app`: quick, the Erlang node stays up) for about
 * `downMs`, `afterMs` into the load, then starts it and waits for 5672. The shared broker is always
 * brought back: in `finally`, on process exit, and on SIGINT/SIGTERM.
 */
export async function restartBroker(stack: Stack, afterMs: number, downMs: number) {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  process.once('exit', onExit);
  for (const s of signals) process.once(s, onSignal);
  const t = { stop: 0, port: 0, apiReady: 0, consumerReady: 0 };
  try {
    await sleep(afterMs);
    const began = Date.now();
    brokerStopped = true;
    const r = spawnSync(RABBITMQCTL, ['stop_app'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`rabbitmqctl stop_app failed: ${r.stderr}`);
    t.stop = Date.now() - began;
    await sleep(downMs);
  } finally {
    if (brokerStopped) {
      const began = Date.now();
      startApp();
      await waitFor('RabbitMQ on 5672', () => portOpen(5672), 60_000, 100);
      t.port = Date.now() - began;
    }
    process.off('exit', onExit);
    for (const s of signals) process.off(s, onSignal);
  }
  const back = Date.now();
  await waitFor('api ready again', async () => (await fetch(`${stack.apiUrl}/readyz`)).ok, 30_000, 100);
  t.apiReady = Date.now() - back;
  await waitFor('consumer ready again', async () => (await fetch(`${stack.consumerUrl}/readyz`)).ok, 30_000, 100);
  t.consumerReady = Date.now() - back;
  return {
    fault: `RabbitMQ stop_app ${(downMs / 1000).toFixed(0)} s (+${(t.stop / 1000).toFixed(1)} s to stop), then start_app`,
    notes: `5672 open ${(t.port / 1000).toFixed(1)} s after start_app; api ready +${(t.apiReady / 1000).toFixed(1)} s, consumer ready +${(t.consumerReady / 1000).toFixed(1)} s after that`,
    injected: 1,
  };
}

/** Holds an EXCLUSIVE transaction on the SQLite file for `holdMs`, `afterMs` into the load. */
export async function lockStore(stack: Stack, afterMs: number, holdMs: number) {
  await sleep(afterMs);
  const db = new Database(stack.storePath, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    db.exec('BEGIN EXCLUSIVE');
    const began = Date.now();
    let consumerNotReady = false;
    while (Date.now() - began < holdMs) {
      await sleep(500);
      // A probe that gets no answer at all (a reset on a busy machine) says "not ready" too, not "abort the run".
      const ready = await fetch(`${stack.consumerUrl}/readyz`).then((r) => r.ok, () => false);
      if (!ready) consumerNotReady = true;
    }
    db.exec('COMMIT');
    const released = Date.now();
    await waitFor('consumer ready again', async () => (await fetch(`${stack.consumerUrl}/readyz`)).ok, 60_000, 100).catch(() => {});
    return {
      fault: `SQLite locked (BEGIN EXCLUSIVE from another connection) for ${holdMs / 1000} s`,
      notes: `consumer readyz ${consumerNotReady ? 'went 503 during the lock' : 'stayed 200 during the lock'}; ready again ${((Date.now() - released) / 1000).toFixed(1)} s after release`,
      injected: 1,
    };
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
  }
}

/** Pids whose parent is `ppid` (the api primary's cluster workers). */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // Field 4 of /proc/pid/stat, after the parenthesised command name.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Whether the api worker `pid` has said it listens (its debug line in the stack's api log). */
function workerListening(stack: Stack, pid: number): boolean {
  const log = readFileSync(join(stack.dir, 'api.log'), 'utf8');
  return log.includes(`"pid":${pid},`) && new RegExp(`"pid":${pid},[^\\n]*"msg":"api worker listening"`).test(log);
}

/** Sends `sig` to one api worker `times` times, `everyMs` apart, waiting for the primary to replace it. */
export async function signalApiWorker(stack: Stack, sig: NodeJS.Signals, afterMs: number, everyMs: number, times: number) {
  const primary = stack.pid('api');
  if (!primary) throw new Error('no api primary');
  const workers = await waitFor('two api workers', async () => (childrenOf(primary).length >= 2 ? childrenOf(primary) : undefined));
  await sleep(afterMs);
  const replacedMs: number[] = [];
  for (let i = 0; i < times; i++) {
    const before = childrenOf(primary);
    const victim = before[0]!;
    const t = Date.now();
    process.kill(victim, sig);
    const replacement = await waitFor('worker replaced', async () => {
      const now = childrenOf(primary);
      return !now.includes(victim) && now.length >= 2 ? now.find((p) => !before.includes(p)) : undefined;
    }, 30_000, 50);
    replacedMs.push(Date.now() - t);
    // One worker down at a time: the next signal waits until the new worker listens. A forked worker that
    // has not listened yet takes no connections, and on a busy machine it can take longer than everyMs.
    if (replacement !== undefined) await waitFor('the new worker listening', async () => workerListening(stack, replacement), 60_000, 100);
    if (i < times - 1) await sleep(everyMs);
  }
  void workers;
  const mean = replacedMs.reduce((a, b) => a + b, 0) / replacedMs.length;
  return { fault: `${sig} to one of 2 api workers, ${times}× (every ${everyMs / 1000} s)`, notes: `worker replaced by the primary after ${Math.round(mean)} ms on average`, injected: times };
}

// ---- a three-node RabbitMQ cluster -----------------------------------------------------

/** Waits until api and consumer both say ready (after their broker connections moved). */
async function servicesReady(stack: Stack, timeoutMs = 60_000): Promise<number> {
  const t = Date.now();
  await waitFor('api ready', async () => (await fetch(`${stack.apiUrl}/readyz`)).ok, timeoutMs, 100);
  await waitFor('consumer ready', async () => (await fetch(`${stack.consumerUrl}/readyz`)).ok, timeoutMs, 100);
  return Date.now() - t;
}

/** The leader of the stack's vote queue, as 1, 2 or 3, and its node name. */
async function leaderOf(cluster: LocalCluster, stack: Stack): Promise<{ i: number; node: string }> {
  const q = await cluster.queue(stack.queue);
  if (q.members.length !== 3) throw new Error(`the vote queue has ${q.members.length} members, not one on each of the 3 nodes: ${q.members.join(', ')}`);
  return { i: cluster.indexOf(q.leader), node: q.leader };
}

/** Waits for a leader other than `old` among the online members; ms it took from `since`. */
async function newLeader(cluster: LocalCluster, stack: Stack, old: string, since: number): Promise<{ node: string; ms: number }> {
  const node = await waitFor('a new leader of the vote queue', async () => {
    const q = await cluster.queue(stack.queue).catch(() => null);
    return q && q.leader !== old && q.online.includes(q.leader) ? q.leader : undefined;
  }, 60_000, 200);
  return { node, ms: Date.now() - since };
}

/**
 * SIGKILLs the Erlang VM of the node leading the vote queue, `afterMs` into the load; starts it again
 * `downMs` later (scripts/rabbitmq-cluster.sh start) and waits until the queue's three members are online.
 */
export async function killQueueLeader(cluster: LocalCluster, stack: Stack, afterMs: number, downMs: number) {
  await sleep(afterMs);
  const leader = await leaderOf(cluster, stack);
  const t = Date.now();
  await cluster.kill(leader.i);
  const elected = await newLeader(cluster, stack, leader.node, t);
  await sleep(Math.max(0, downMs - (Date.now() - t)));
  const back = Date.now();
  await cluster.restartStopped();
  await cluster.waitMembersOnline(stack.queue);
  return {
    fault: `SIGKILL of the vote queue's leader node (of 3), started again after ${(downMs / 1000).toFixed(0)} s`,
    notes: `new leader elected ${(elected.ms / 1000).toFixed(1)} s after the kill; node rejoined, 3 members online ${((Date.now() - back) / 1000).toFixed(1)} s after its start`,
    injected: 1,
  };
}

/** `rabbitmqctl stop_app` on the vote queue's leader node `afterMs` into the load, `start_app` `downMs` later. */
export async function stopStartLeaderApp(cluster: LocalCluster, stack: Stack, afterMs: number, downMs: number) {
  await sleep(afterMs);
  const leader = await leaderOf(cluster, stack);
  const t = Date.now();
  try {
    await cluster.ctl(leader.i, ['stop_app']);
    const stopMs = Date.now() - t;
    const elected = await newLeader(cluster, stack, leader.node, t);
    await sleep(Math.max(0, downMs - (Date.now() - t)));
    const back = Date.now();
    await cluster.ctl(leader.i, ['start_app']);
    await cluster.waitMembersOnline(stack.queue);
    return {
      fault: `stop_app on the vote queue's leader node (of 3) for ${(downMs / 1000).toFixed(0)} s, then start_app`,
      notes: `stop_app took ${(stopMs / 1000).toFixed(1)} s; new leader ${(elected.ms / 1000).toFixed(1)} s after it began; 3 members online ${((Date.now() - back) / 1000).toFixed(1)} s after start_app`,
      injected: 1,
    };
  } catch (err) {
    await cluster.ctl(leader.i, ['start_app']).catch(() => {}); // never leave a node stopped
    throw err;
  }
}

/**
 * A rolling restart: each node in turn is stopped (`rabbitmqctl stop`, the whole VM), started again,
 * and the next one waits until the vote queue has its three members online.
 */
export async function rollingRestart(cluster: LocalCluster, stack: Stack, afterMs: number) {
  await sleep(afterMs);
  const perNode: number[] = [];
  for (const i of [1, 2, 3]) {
    const t = Date.now();
    const pid = cluster.pid(i);
    await cluster.ctl(i, ['stop']);
    await waitFor(`${cluster.nodeName(i)} stopped`, async () => cluster.pid(i) === null || cluster.pid(i) !== pid, 60_000, 100);
    await cluster.restartStopped();
    await cluster.waitMembersOnline(stack.queue);
    perNode.push(Date.now() - t);
  }
  return {
    fault: 'rolling restart: each of the 3 nodes stopped (rabbitmqctl stop) and started again, one at a time',
    notes: `each node out ${perNode.map((ms) => (ms / 1000).toFixed(0)).join(' s, ')} s until the queue had 3 members online again`,
    injected: 3,
  };
}

/** A cluster scenario whose fault runs during the load, against the cluster's addresses. */
const duringLoad = (name: string, cluster: LocalCluster, rate: number, durationSec: number, fault: Scenario['fault']): Scenario => ({
  name,
  ratePerSec: rate,
  durationSec,
  spare: 0.5,
  stack: { amqpUrl: cluster.url },
  fault,
});

export const clusterScenarios = {
  leaderKill: (cluster: LocalCluster, rate = 300, durationSec = 30, downMs = 5000): Scenario =>
    duringLoad('6. cluster: leader SIGKILL', cluster, rate, durationSec, (stack) => killQueueLeader(cluster, stack, 5000, downMs)),
  leaderStopApp: (cluster: LocalCluster, rate = 300, durationSec = 30, downMs = 8000): Scenario =>
    duringLoad('7. cluster: leader stop_app', cluster, rate, durationSec, (stack) => stopStartLeaderApp(cluster, stack, 5000, downMs)),
  rollingRestart: (cluster: LocalCluster, rate = 300, durationSec = 90): Scenario =>
    duringLoad('8. cluster: rolling restart', cluster, rate, durationSec, (stack) => rollingRestart(cluster, stack, 5000)),
  oneNodeDown: (cluster: LocalCluster, rate = 300, durationSec = 30): Scenario => {
    let stopped: { i: number; node: string } | null = null;
    let note = '';
    return {
      name: '9. cluster: one node down',
      ratePerSec: rate,
      durationSec,
      stack: { amqpUrl: cluster.url },
      // The leader's node goes before the load: votes run on two nodes for the whole load.
      before: async (stack) => {
        stopped = await leaderOf(cluster, stack);
        const t = Date.now();
        await cluster.ctl(stopped.i, ['stop']);
        const elected = await newLeader(cluster, stack, stopped.node, t);
        const readyMs = await servicesReady(stack);
        note = `new leader ${(elected.ms / 1000).toFixed(1)} s after the stop; api and consumer ready ${(readyMs / 1000).toFixed(1)} s later`;
      },
      fault: async (stack, loadDone) => {
        await loadDone.catch(() => {});
        const back = Date.now();
        await cluster.restartStopped();
        await cluster.waitMembersOnline(stack.queue);
        return {
          fault: 'the vote queue\'s leader node stopped before the load (2 of 3 nodes run it), started after it',
          notes: `${note}; node back with 3 members online ${((Date.now() - back) / 1000).toFixed(1)} s after its start`,
          injected: 1,
        };
      },
    };
  },
};

// ---- the single-broker scenarios ----------------------------------------------------------------

export const scenarios = {
  consumerKill: (rate = 300, durationSec = 30): Scenario => ({
    name: '1. consumer SIGKILL',
    ratePerSec: rate,
    durationSec,
    fault: (stack, done) => killRepeatedly(stack, 'consumer', done, 700, 10),
  }),
  brokerRestart: (rate = 300, durationSec = 20, downMs = 5000): Scenario => ({
    name: '2. RabbitMQ restart',
    ratePerSec: rate,
    durationSec,
    spare: 0.5,
    fault: (stack) => restartBroker(stack, 5000, downMs),
  }),
  storeLocked: (rate = 300, durationSec = 45, holdMs = 30_000): Scenario => ({
    name: '3. store unavailable',
    ratePerSec: rate,
    durationSec,
    fault: (stack) => lockStore(stack, 5000, holdMs),
  }),
  apiWorkerTerm: (rate = 300, durationSec = 30): Scenario => ({
    name: '4. api worker SIGTERM',
    ratePerSec: rate,
    durationSec,
    stack: { apiWorkers: 2 },
    fault: (stack) => signalApiWorker(stack, 'SIGTERM', 4000, 6000, 3),
  }),
  apiWorkerKill: (rate = 300, durationSec = 30): Scenario => ({
    name: '5. api worker SIGKILL',
    ratePerSec: rate,
    durationSec,
    stack: { apiWorkers: 2 },
    fault: (stack) => signalApiWorker(stack, 'SIGKILL', 4000, 6000, 3),
  }),
  // The api as one process (API_WORKERS=1, the default): no primary to replace it, the supervisor does.
  apiKill: (rate = 300, durationSec = 30): Scenario => ({
    name: '11. api SIGKILL (one process)',
    ratePerSec: rate,
    durationSec,
    stack: { apiWorkers: 1 },
    fault: (stack, done) => killRepeatedly(stack, 'api', done, 4000, 4),
  }),
  // The same kills, with the page's retry (docs/ANTIBOT.md, "The page's retry"): a vote without a
  // definitive answer goes again with its proof, and a refusal of that resend as used is the vote
  // confirmed. A resend may then come as long after the first copy as a proof lives, so the proofs and
  // the consumer's dedup window both last 300 s here, not the short window of the other runs.
  apiKillPageRetry: (rate = 300, durationSec = 30): Scenario => ({
    name: "12. api SIGKILL (one process), the page's retry",
    ratePerSec: rate,
    durationSec,
    stack: { apiWorkers: 1, env: { ANTIBOT_EXPIRY_SECONDS: '300', DEDUP_PROOF_EXPIRY_SECONDS: '300' } },
    spare: 0,
    retry: 'same-proof',
    fault: (stack, done) => killRepeatedly(stack, 'api', done, 4000, 4),
  }),
};
