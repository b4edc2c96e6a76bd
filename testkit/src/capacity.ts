/**
 * The capacity plan of docs/SCALING.md (generated section `capacity`): CPU per vote of each role from a
 * committed `npm run bench` result, a quorum-queue leader's cost per message from a committed
 * bench/quorum-leader.ts result, and the cores each takes for the record rate at a stated utilisation.
 */
import { fastestLeaderCosts, leaderCost, spreadSplit, type LeaderCost, type QuorumOutput } from './quorum.js';
import { appProcesses, usPerVote, type BenchOutput, type StepReport } from './bench-report.js';

/** The record paredão's peak, votes/s. */
export const TARGET = 25_000;
/** The share of each core a plan fills: the rest absorbs bursts and a lost machine's load. */
export const UTILISATION = 0.6;

/** Cores that `usPerVote` µs of CPU per vote take at `rate` votes/s, each filled to `u`. */
export function coresFor(usPerVote: number, rate = TARGET, u = UTILISATION): number {
  return (rate * usPerVote) / 1e6 / u;
}

/** The roles of the bench's system, in the order a vote meets them, with what each one's figure holds. */
export const ROLES: { group: string; role: string }[] = [
  { group: 'nginx', role: 'nginx' },
  { group: 'api', role: 'api (anti-bot check, publish with confirm)' },
  { group: 'consumer', role: 'consumer, **with the SQLite store** (in its process here)' },
  { group: 'rabbitmq', role: 'RabbitMQ, one node (a quorum queue without followers)' },
  { group: 'monitoring', role: 'Prometheus and Alertmanager (not per vote: scrapes)' },
];

/** The highest passing votes step, the 1000/s step and the first failing step of a bench run. */
export function benchSteps(out: BenchOutput): { top: StepReport; at1000: StepReport | undefined; failing: StepReport | undefined } {
  const votes = out.steps.filter((s) => s.kind === 'votes').sort((a, b) => a.rate - b.rate);
  const top = votes.filter((s) => s.passed).at(-1);
  if (!top) throw new Error('the bench run has no passing votes step');
  return { top, at1000: votes.find((s) => s.rate === 1000), failing: votes.find((s) => s.rate > top.rate && !s.passed) };
}

/** The broker's plan for one message size: cluster cores, and queues so that no leader passes `u` of a core. */
export function brokerPlan(c: LeaderCost, rate = TARGET, u = UTILISATION, nodes = 3) {
  const usPerVote = c.totalUs / c.votesPerMessage;
  // One queue's leader is one Erlang process: counting the leader node's whole cost per message as its
  // serial work bounds what one queue carries (the connections' and the log writer's share run
  // elsewhere, so this errs towards more queues).
  const queueVotesPerSec = (u * 1e6 * c.votesPerMessage) / c.leaderUs;
  const queues = Math.ceil(rate / queueVotesPerSec);
  return { usPerVote, cores: coresFor(usPerVote, rate, u), queueVotesPerSec, queues, leadersPerNode: Math.ceil(queues / nodes) };
}

const f0 = (v: number) => Math.round(v).toLocaleString('en-US');
const f1 = (v: number) => v.toFixed(1);
const perVote = (v: number) => (v < 100 ? f1(v) : f0(v));
const loads = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');

/** The generated section: bench run and quorum run, each named by its committed file. */
export function renderCapacity(bench: { source: string; out: BenchOutput }, quorum: { source: string; out: QuorumOutput }): string {
  const { top, at1000, failing } = benchSteps(bench.out);
  const m = bench.out.machine;
  const q = quorum.out;
  const pct = Math.round(UTILISATION * 100);
  const lines: string[] = [];
  lines.push(
    `Per role, from \`${bench.source}\` (\`${m.command}\`, ${m.date.slice(0, 10)}, ${m.cores} cores of ${m.cpuModel}, load average ${m.loadAvgAtStart[0]?.toFixed(2)} at the start): ` +
      `CPU time of each role's processes over a step, per accepted vote, at the highest passing step (${top.rate}/s) and at 1000/s; ` +
      `the cores are for ${f0(TARGET)} votes/s with every core ${pct} % busy, at the highest passing step's cost.`,
  );
  lines.push('');
  lines.push(`| role | µs/vote at ${top.rate}/s | µs/vote at 1000/s | cores for ${f0(TARGET)}/s at ${pct} % |`);
  lines.push('|---|---:|---:|---:|');
  let sum = 0;
  for (const { group, role: what } of ROLES) {
    const role = group === 'api' ? what.replace('api (', `api (${appProcesses(bench.out.settings.apiWorkers)}; `) : what;
    const us = usPerVote(top, group);
    if (us === null) continue;
    const low = at1000 ? usPerVote(at1000, group) : null;
    // The single node's broker figure is replaced by the quorum measurement below.
    const cores = group === 'rabbitmq' || group === 'monitoring' ? '(below)' : f1(coresFor(us));
    if (group !== 'rabbitmq' && group !== 'monitoring') sum += coresFor(us);
    lines.push(`| ${role} | ${f0(us)} | ${low === null ? '–' : f0(low)} | ${cores} |`);
  }
  lines.push(`| store: MongoDB (replica set) | not measured here (no MongoDB server on this machine) | – | – |`);
  lines.push('');
  const cpuOf = (s: StepReport) => Object.values(s.cpu).reduce((n, g) => n + g.cpuUs, 0) / (s.durationSec * 1e6);
  const ranked = ROLES.map(({ group }) => ({ group, us: usPerVote(top, group) ?? 0 })).sort((a, b) => b.us - a.us);
  const total = ranked.reduce((n, r) => n + r.us, 0);
  lines.push(
    `**What saturates first.** The api: ${f0(ranked[0]!.us)} of the ${f0(total)} µs a vote costs at ${top.rate}/s (${Math.round((ranked[0]!.us / total) * 100)} %), so ${f1(coresFor(ranked[0]!.us))} of the ${f1(sum)} cores nginx, api and consumer take. ` +
      (failing ? limitAt(failing, cpuOf(failing), m.cores) : '') +
      `The RabbitMQ figure of that run falls as the rate rises (${at1000 ? `${f0(usPerVote(at1000, 'rabbitmq') ?? 0)} µs at 1000/s, ` : ''}${f0(usPerVote(top, 'rabbitmq') ?? 0)} at ${top.rate}/s): ` +
      `the api's group commit puts more votes in each message as the rate grows, and the broker's cost is per message, measured next.`,
  );
  lines.push('');
  lines.push(
    `Quorum queue on three nodes, from \`${quorum.source}\` (\`${q.machine.command}\`, ${q.machine.date.slice(0, 10)}, RabbitMQ ${q.machine.rabbitmq}, ${q.machine.cores} cores shared by the three nodes and the client, ` +
      `load average ${loads(q.machine.loadAvgAtStart)} at the start, ${q.settings.seconds} s per run): each node's beam.smp CPU over the run minus its idle rate, per message; ` +
      `the ${q.settings.clients}. Messages are the api's batch format with 1 or more votes.`,
  );
  lines.push('');
  lines.push('| votes/message | bytes | messages/s | leader µs/msg | follower µs/msg | three nodes µs/msg | µs/vote | load avg before | others, cores |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const oneRuns = q.runs.filter((r) => r.layout === 'one').sort((a, b) => a.votesPerMessage - b.votesPerMessage || a.ratePerSec - b.ratePerSec);
  for (const r of oneRuns) {
    const c = leaderCost(r);
    lines.push(
      `| ${c.votesPerMessage} | ${c.messageBytes} | ${c.ratePerSec} | ${f0(c.leaderUs)} | ${f0(c.followerUs)} | ${f0(c.totalUs)} | ${perVote(c.totalUs / c.votesPerMessage)} | ${r.loadAvgBefore[0]?.toFixed(2)} | ${r.otherProcessesCores.toFixed(2)} |`,
    );
  }
  lines.push('');
  const spread = q.runs.filter((r) => r.layout === 'spread');
  if (spread.length) {
    lines.push(`Spread over ${spread[0]!.queues.length} queues whose leaders sit on different nodes, at the full rate (each queue gets its share): µs of each node's CPU per message of the whole run.`);
    lines.push('');
    lines.push(`| votes/message | messages/s | ${spread[0]!.nodes.map((_, i) => `node ${i + 1} (queues it leads)`).join(' | ')} | three nodes µs/msg |`);
    lines.push(`|---:|---:|${spread[0]!.nodes.map(() => '---:').join('|')}|---:|`);
    for (const r of spread) {
      const split = spreadSplit(r);
      lines.push(`| ${r.votesPerMessage} | ${r.ratePerSec} | ${split.map((s) => `${f0(s.us)} (${s.leads})`).join(' | ')} | ${f0(split.reduce((n, s) => n + s.us, 0))} |`);
    }
    lines.push('');
  }
  lines.push(`The broker for ${f0(TARGET)} votes/s at ${pct} %, from the fastest one-queue run of each size (three members per queue; a queue's leader counted as one core at most):`);
  lines.push('');
  lines.push('| votes/message | cluster cores | votes/s one queue carries | queues | leaders per node (3 nodes) |');
  lines.push('|---:|---:|---:|---:|---:|');
  for (const c of fastestLeaderCosts(q)) {
    const p = brokerPlan(c);
    lines.push(`| ${c.votesPerMessage} | ${f1(p.cores)} | ${f0(p.queueVotesPerSec)} | ${p.queues} | ${p.leadersPerNode} |`);
  }
  return lines.join('\n');
}

/**
 * What stopped the bench machine at the first failing step: its CPU as a whole when the system and the
 * load generator kept (nearly) every core busy, else what failed the step (503s past the error limit,
 * or the latency) with cores to spare.
 */
function limitAt(failing: StepReport, systemCores: number, cores: number): string {
  const generator = failing.loadGeneratorCpuUs / (failing.durationSec * 1e6);
  const used = `the system used ${systemCores.toFixed(2)} cores and the load generator ${generator.toFixed(2)} of its ${cores}`;
  if (systemCores + generator >= 0.85 * cores) return `On the bench machine the limit was its CPU as a whole: at the first failing step (${failing.rate}/s) ${used}. `;
  const refused = failing.statuses[503] ?? 0;
  const why = refused > 0 ? `admission control's 503s (${((refused / failing.scheduled) * 100).toFixed(2)} % of the votes), p99 ${Math.round(failing.latency.p99)} ms` : `its latency, p99 ${Math.round(failing.latency.p99)} ms`;
  return `At the first failing step (${failing.rate}/s) ${used}: it failed on ${why}, with CPU to spare. `;
}
