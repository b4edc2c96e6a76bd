/**
 * The CPU a quorum-queue leader and its followers spend per message, on the local three-node cluster
 * (tests/support/cluster.ts, scripts/rabbitmq-cluster.sh). For each message size (votes per message, as
 * the api's group commit makes them): one quorum queue, publisher with confirms and consumer with acks
 * both connected to its leader, at a fixed rate and at rate / --queues; then the same messages at the
 * full rate spread over --queues quorum queues led by different nodes (declared `client-local` on a
 * connection to the node meant to lead), so each of them runs at rate / --queues.
 * Each node's CPU is its beam.smp's /proc/<pid>/stat over the run, minus what it used idle just before.
 *
 * CPU per message is the figure, not throughput: the machine has 2 cores shared by three nodes, this
 * script and other people's work, so a fixed rate well under saturation is driven.
 *
 *   npx tsx bench/quorum-leader.ts          writes bench/results/quorum-<date>.json (commit it) and
 *                                           regenerates the capacity section of docs/SCALING.md
 *   options: --rate=1000 --seconds=20 --queues=3 --votes-per-message=1,20 --idle=5
 *            (any non-default option writes to bench/results/scratch/ instead)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { encodeBatch, encodeBatchEntry } from '@paredao/core';
import { clusterUnavailable, LocalCluster } from '@paredao/testkit/cluster';
import { waitFor } from '@paredao/testkit/ports';
import { ROOT } from '@paredao/testkit/stack';
import { writeGeneratedDocs } from '@paredao/testkit/docs';
import { machineBusyUs, ProcessGroups, usageBetween } from './procstat.js';
import { leaderCosts, type QuorumOutput, type QuorumRun } from '@paredao/testkit/quorum';

const DEFAULTS = { rate: '1000', seconds: '20', queues: '3', 'votes-per-message': '1,20', idle: '5' };
const { values: args } = parseArgs({
  options: Object.fromEntries(Object.entries(DEFAULTS).map(([k, v]) => [k, { type: 'string', default: v }])) as Record<keyof typeof DEFAULTS, { type: 'string'; default: string }>,
  strict: true,
});
const fullRate = Number(args.rate);
const seconds = Number(args.seconds);
const spreadQueues = Number(args.queues);
const sizes = args['votes-per-message'].split(',').map(Number);
const idleSec = Number(args.idle);
/** Only a run with every default is the one a document cites. */
const fullRun = Object.entries(DEFAULTS).every(([k, v]) => args[k as keyof typeof DEFAULTS] === v);
/**
 * The nodes run as the machine's broker does (Debian's defaults here): without scheduler busy-wait, so a
 * node's CPU is the work it did, not spinning that shrinks as load grows.
 */
const ERL_ARGS = '+sbwt none +sbwtdcpu none +sbwtdio none';
const TICK_MS = 10;

function log(msg: string) {
  process.stderr.write(`[quorum ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sh(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  return `${r.stdout ?? ''}`.trim();
}

/** A message of `votes` votes in the api's batch format, with ids the size of real ones. */
function message(votes: number): Buffer {
  const now = Date.now();
  const entries = Array.from({ length: votes }, (_, i) =>
    encodeBatchEntry({ voteId: randomBytes(32).toString('hex'), paredaoId: 'paredao-2026-01', candidateId: i % 2 ? 'participante-1' : 'participante-2', acceptedAt: now, reqId: randomBytes(16).toString('hex') }),
  );
  return encodeBatch(entries);
}

interface QueueClients {
  name: string;
  pub: ConfirmChannel;
  sub: Channel;
  conns: ChannelModel[];
}

/** Publisher (confirm channel) and consumer (acks, several messages at a time) on the node at `port`. */
async function clientsFor(port: number, name: string, onMessage: () => void): Promise<QueueClients> {
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const [pc, sc] = [await amqp.connect(url), await amqp.connect(url)];
  const pub = await pc.createConfirmChannel();
  const sub = await sc.createChannel();
  await sub.prefetch(500);
  let unacked = 0;
  let last: amqp.ConsumeMessage | null = null;
  // Acks go out several at a time (multiple), as the consumer acks a committed batch.
  const flush = () => {
    if (last) sub.ack(last, true);
    last = null;
    unacked = 0;
  };
  const timer = setInterval(flush, 5);
  pc.on('close', () => clearInterval(timer));
  await sub.consume(name, (msg) => {
    if (!msg) return;
    last = msg;
    onMessage();
    if (++unacked >= 100) flush();
  });
  return { name, pub, sub, conns: [pc, sc] };
}

async function runOnce(cluster: LocalCluster, groups: ProcessGroups, layout: 'one' | 'spread', votesPerMessage: number, rate: number): Promise<QuorumRun> {
  const k = layout === 'one' ? 1 : spreadQueues;
  const tag = `${process.pid}-${Date.now()}`;
  // Queue i is meant to be led by node (i mod 3) + 1: declared client-local on a connection to that node.
  const planned = Array.from({ length: k }, (_, i) => ({ name: `quorum-bench-${layout}-${votesPerMessage}-${i}-${tag}`, node: (i % 3) + 1 }));
  for (const q of planned) {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${cluster.amqpPorts[q.node - 1]}`);
    const ch = await conn.createChannel();
    await ch.assertQueue(q.name, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-queue-leader-locator': 'client-local' } });
    await conn.close();
  }
  await waitFor(`members of ${layout} queues online`, async () => {
    const all = await cluster.queues();
    return planned.every((p) => all.find((q) => q.name === p.name)?.online.length === 3);
  }, 60_000, 500);
  const info = await cluster.queues();
  const queues = planned.map((p) => {
    const q = info.find((x) => x.name === p.name)!;
    return { name: p.name, leader: q.leader, members: q.members.length };
  });
  let consumed = 0;
  // Clients on the node that leads each queue: its leader's work and the connections' sit on one node.
  const clients: QueueClients[] = [];
  for (const q of queues) clients.push(await clientsFor(cluster.amqpPorts[cluster.indexOf(q.leader) - 1]!, q.name, () => consumed++));
  try {
    const bodies = Array.from({ length: 64 }, () => message(votesPerMessage));
    const total = rate * seconds;
    log(`${layout} at ${rate}/s, ${k} queue(s), ${votesPerMessage} vote(s)/message (${bodies[0]!.length} bytes): leaders ${queues.map((q) => q.leader).join(', ')}; idle ${idleSec} s`);
    const idleBefore = groups.snapshot();
    const idleStart = performance.now();
    await sleep(idleSec * 1000);
    const idleUsage = usageBetween(idleBefore, groups.snapshot());
    const idleWallUs = (performance.now() - idleStart) * 1000;
    const loadAvgBefore = loadavg();
    const before = groups.snapshot();
    const self = process.cpuUsage();
    const busyBefore = machineBusyUs();
    const start = performance.now();
    let published = 0;
    let confirmed = 0;
    let failed = 0;
    let blocked = false;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
        while (published < due && !blocked) {
          const c = clients[published % clients.length]!;
          const ok = c.pub.sendToQueue(c.name, bodies[published % bodies.length]!, { persistent: true, contentType: 'application/json' }, (err) => {
            if (err) failed++;
            else confirmed++;
          });
          published++;
          if (!ok) {
            blocked = true;
            c.pub.once('drain', () => (blocked = false));
          }
        }
        if (published === total) {
          clearInterval(timer);
          resolve();
        }
      }, TICK_MS);
    });
    await waitFor('every message confirmed and consumed', async () => confirmed + failed === total && consumed >= total, 120_000, 20);
    const after = groups.snapshot();
    const wallUs = (performance.now() - start) * 1000;
    const selfUsed = process.cpuUsage(self);
    const busy = machineBusyUs() - busyBefore;
    const usage = usageBetween(before, after);
    const nodesCpu = Object.values(usage).reduce((s, u) => s + u.cpuUs, 0);
    const run: QuorumRun = {
      layout,
      queues,
      votesPerMessage,
      messageBytes: bodies[0]!.length,
      ratePerSec: rate,
      published,
      confirmed,
      consumed,
      wallSec: wallUs / 1e6,
      loadAvgBefore,
      otherProcessesCores: (busy - nodesCpu - selfUsed.user - selfUsed.system) / wallUs,
      clientCpuUs: selfUsed.user + selfUsed.system,
      nodes: [1, 2, 3].map((i) => {
        const node = cluster.nodeName(i);
        return { node, leads: queues.filter((q) => q.leader === node).map((q) => q.name), cpuUs: usage[node]!.cpuUs, idleCores: idleUsage[node]!.cpuUs / idleWallUs };
      }),
    };
    const perMsg = run.nodes.map((n) => `${n.node.split('@')[0]} ${((n.cpuUs - n.idleCores * wallUs) / consumed).toFixed(0)}`).join(', ');
    log(`${layout}: ${confirmed}/${published} confirmed, ${consumed} consumed in ${run.wallSec.toFixed(1)} s; µs/message net of idle: ${perMsg}; others ${run.otherProcessesCores.toFixed(2)} cores`);
    return run;
  } finally {
    for (const c of clients) for (const conn of c.conns) await conn.close().catch(() => {});
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${cluster.amqpPorts[0]}`);
    const ch = await conn.createChannel();
    for (const q of queues) await ch.deleteQueue(q.name);
    await conn.close();
  }
}

async function main() {
  const why = clusterUnavailable();
  if (why) throw new Error(`no local cluster: ${why}`);
  process.env.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS = ERL_ARGS;
  const cluster = new LocalCluster();
  const date = new Date().toISOString();
  const loadAvgAtStart = loadavg();
  log(`starting a three-node cluster under ${cluster.dir}; load average ${loadAvgAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  await cluster.start();
  const runs: QuorumRun[] = [];
  let rabbitmq = 'unknown';
  try {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${cluster.amqpPorts[0]}`);
    rabbitmq = String((conn.connection as unknown as { serverProperties?: { version?: string } }).serverProperties?.version ?? 'unknown');
    await conn.close();
    const groups = new ProcessGroups(Object.fromEntries([1, 2, 3].map((i) => [cluster.nodeName(i), [cluster.pid(i)!]])));
    // The spread run gives each queue rate / K messages/s, so one queue at that rate is its like-for-like.
    for (const size of sizes) {
      runs.push(await runOnce(cluster, groups, 'one', size, fullRate));
      runs.push(await runOnce(cluster, groups, 'one', size, Math.round(fullRate / spreadQueues)));
      runs.push(await runOnce(cluster, groups, 'spread', size, fullRate));
    }
  } finally {
    await cluster.stop();
  }
  const out: QuorumOutput = {
    machine: {
      cpuModel: /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      node: process.version,
      rabbitmq,
      kernel: sh('uname', ['-r']),
      date,
      command: `npx tsx bench/quorum-leader.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
      gitCommit: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
      loadAvgAtStart,
    },
    settings: { ratePerSec: fullRate, seconds, spreadQueues, votesPerMessage: sizes, idleSec, clients: 'publisher (confirms) and consumer (acks) on the node leading their queue', erlArgs: ERL_ARGS },
    runs,
  };
  const stamp = date.slice(0, 16).replace(':', '-');
  const file = join(ROOT, 'bench/results', fullRun ? `quorum-${stamp}.json` : `scratch/quorum-${stamp}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  log(`wrote ${file}`);
  for (const c of leaderCosts(out)) log(`${c.votesPerMessage} vote(s)/message: leader ${c.leaderUs.toFixed(0)} µs, follower ${c.followerUs.toFixed(0)} µs per message`);
  if (fullRun) for (const doc of writeGeneratedDocs({ quorum: file.slice(ROOT.length + 1) })) log(`regenerated ${doc}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
