import type { LatencySummary } from '../tests/support/load.js';
import type { GroupUsage } from './procstat.js';

export interface StepReport {
  kind: 'votes' | 'baseline' | 'floor' | 'votes+results';
  rate: number;
  durationSec: number;
  scheduled: number;
  sent: number;
  dropped: number;
  accepted: number;
  acceptedPerSec: number;
  statuses: Record<number, number>;
  networkErrors: number;
  /** (non-202 + network errors + dropped sends) / scheduled. */
  errorRate: number;
  latency: LatencySummary;
  sendLag: LatencySummary;
  passed: boolean;
  /** From the last 202 to the results URL showing it counted (includes the ≤ 1 s results snapshot). */
  lastCountedAfterMs?: number;
  counted?: number;
  /** 202 ids not among the store's applied ids. */
  lost?: number;
  /** 202 ids repeated, plus counted beyond the distinct applied 202 ids. */
  doubled?: number;
  lostByTotals?: number;
  doubledByTotals?: number;
  deadLettered?: number;
  cpu: Record<string, GroupUsage>;
  /** Stack CPU (nginx, api, consumer, RabbitMQ) per accepted vote. */
  cpuUsPerVote: number;
  cpuUsPerVoteWithoutBroker: number;
  /** RabbitMQ's CPU while this system was idle just before the step (others' traffic on the shared broker), in cores. */
  brokerIdleCores?: number;
  /** cpuUsPerVote minus that idle rate of the broker over the step: the broker's share that is ours. */
  cpuUsPerVoteNetOfBrokerIdle?: number;
  loadGeneratorCpuUs: number;
  loadAvgBefore: number[];
  /** Cores' worth of CPU that processes outside the stack and the load generator used during the step (a shared machine). */
  otherProcessesCores: number;
  /** Stack CPU (nginx + api) per GET /api/challenge through nginx while the step's proofs were presolved: a first vote's extra. */
  challengeCpuUs?: number;
  /** Older runs: the api's CPU per challenge, fetched from the api directly. */
  challengeApiCpuUs?: number;
  results?: { rate: number; sent: number; statuses: Record<number, number>; networkErrors: number; latency: LatencySummary };
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  nginx: string;
  rabbitmq: string;
  kernel: string;
  date: string;
  command: string;
  gitCommit: string;
  loadAvgAtStart: number[];
}

export interface BenchOutput {
  machine: Machine;
  settings: { durationSec: number; stepRates: number[]; p99LimitMs: number; errorLimit: number; connections: number; resultsRate: number; apiWorkers: number; difficulty: number };
  summary: {
    highestPassingVotesPerSec: number;
    highestPassingBaselinePerSec: number | null;
    ratioToBaseline: number | null;
    maxAcceptedPerSec: number;
    maxBaselineAcceptedPerSec: number | null;
    highestPassingFloorPerSec?: number | null;
    ratioToFloor?: number | null;
  };
  steps: StepReport[];
  baseline: StepReport[];
  floor?: StepReport[];
}

const ms = (v: number | undefined) => (v === undefined ? '–' : v < 10 ? v.toFixed(1) : v.toFixed(0));
const pct = (v: number) => `${(v * 100).toFixed(v && v < 0.001 ? 3 : 2)} %`;
const statusText = (s: Record<number, number>, networkErrors: number, dropped: number) => {
  const parts = Object.entries(s)
    .filter(([code]) => code !== '202')
    .map(([code, n]) => `${code}×${n}`);
  if (networkErrors) parts.push(`network×${networkErrors}`);
  if (dropped) parts.push(`dropped×${dropped}`);
  return parts.join(', ') || 'none';
};
const mark = (ok: boolean) => (ok ? 'yes' : '**no**');

/** The dated section appended to docs/BENCHMARKS.md after a full run. */
export function renderMarkdown(out: BenchOutput): string {
  const { machine: m, summary, steps, baseline, settings } = out;
  const votes = steps.filter((s) => s.kind === 'votes');
  const mixed = steps.find((s) => s.kind === 'votes+results');
  const at1000 = votes.find((s) => s.rate === 1000);
  const lines: string[] = [];
  lines.push(`## Run of ${m.date.slice(0, 16).replace('T', ' ')} UTC`);
  lines.push('');
  lines.push(
    `\`${m.command}\` at commit \`${m.gitCommit}\` on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB; Node ${m.node}, nginx ${m.nginx}, RabbitMQ ${m.rabbitmq}. ` +
      `Load average at start ${m.loadAvgAtStart.map((l) => l.toFixed(2)).join(' / ')}. ${settings.durationSec} s per step, ${settings.apiWorkers} api workers, ` +
      `ANTIBOT_DIFFICULTY=${settings.difficulty}, rate limits off, load generator (node:net keep-alive client, open loop) on the same machine and cores (its CPU is a column). ` +
      `Lost and doubled are by vote id (every 202's id in the store's applied ids exactly once); RabbitMQ is the process on the AMQP port only.`,
  );
  lines.push('');
  lines.push('| votes/s offered | accepted/s | p50 ms | p95 ms | p99 ms | max ms | errors | error % | last vote counted after | lost | doubled | CPU µs/vote: total (nginx / api / consumer / rabbitmq) | peak RSS MiB nginx / api / consumer / rabbitmq | load generator CPU % | other processes, cores | passes |');
  lines.push('|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|---:|---:|---|');
  for (const s of steps) {
    const groups = ['nginx', 'api', 'consumer', 'rabbitmq'];
    const rss = groups.map((g) => (s.cpu[g] ? s.cpu[g].sumPeakRssMiB.toFixed(0) : '–')).join(' / ');
    const perVote = groups.map((g) => (s.cpu[g] && s.accepted ? (s.cpu[g].cpuUs / s.accepted).toFixed(0) : '–')).join(' / ');
    const label = s.kind === 'votes+results' ? `${s.rate} + ${s.results?.rate ?? 0} results reads/s` : String(s.rate);
    lines.push(
      `| ${label} | ${s.acceptedPerSec.toFixed(0)} | ${ms(s.latency.p50)} | ${ms(s.latency.p95)} | ${ms(s.latency.p99)} | ${ms(s.latency.max)} | ${statusText(s.statuses, s.networkErrors, s.dropped)} | ${pct(s.errorRate)} | ` +
        `${s.lastCountedAfterMs ?? '–'} ms | ${s.lost ?? '–'} | ${s.doubled ?? '–'} | ${s.cpuUsPerVote.toFixed(0)} (${perVote}) | ${rss} | ` +
        `${((s.loadGeneratorCpuUs / (s.durationSec * 1e6)) * 100).toFixed(0)} | ${s.otherProcessesCores === undefined ? '–' : s.otherProcessesCores.toFixed(2)} | ${mark(s.passed)} |`,
    );
  }
  const uncertain = steps.filter((s) => (s.doubled ?? 0) > 0 && (s.statuses[503] ?? 0) > 0);
  if (uncertain.length) {
    lines.push('');
    lines.push(
      `In ${uncertain.map((s) => `the ${s.kind} step at ${s.rate}/s`).join(', ')}, counted − accepted > 0 together with 503 answers: votes answered 503 ` +
        `(no broker confirm in time, or the connection lost) whose message had reached the queue are counted; the api says so ` +
        `("the vote may still arrive"). That is a vote the voter was told failed, not an accepted vote counted twice.`,
    );
  }
  if (mixed?.results) {
    lines.push('');
    const r = mixed.results;
    const delta = at1000 && mixed.rate === at1000.rate ? ` (votes alone at ${at1000.rate}/s: p50 ${ms(at1000.latency.p50)}, p99 ${ms(at1000.latency.p99)} ms)` : '';
    lines.push(
      `Results URL at ${r.rate} reads/s alongside ${mixed.rate} votes/s: p50 ${ms(r.latency.p50)}, p95 ${ms(r.latency.p95)}, p99 ${ms(r.latency.p99)}, max ${ms(r.latency.max)} ms, ` +
        `non-200: ${statusText(Object.fromEntries(Object.entries(r.statuses).filter(([c]) => c !== '200')), r.networkErrors, 0)}. ` +
        `Votes in that step: p50 ${ms(mixed.latency.p50)}, p99 ${ms(mixed.latency.p99)} ms${delta}.`,
    );
  }
  const comparison = (list: StepReport[], title: string) => {
    if (!list.length) return;
    lines.push('');
    lines.push(title);
    lines.push('');
    lines.push('| req/s offered | accepted/s | p50 ms | p99 ms | max ms | errors | CPU µs/request (all its processes) | other processes, cores | passes | ours / it, accepted |');
    lines.push('|---:|---:|---:|---:|---:|---|---:|---:|---|---:|');
    for (const b of list) {
      const ours = votes.find((s) => s.rate === b.rate);
      lines.push(
        `| ${b.rate} | ${b.acceptedPerSec.toFixed(0)} | ${ms(b.latency.p50)} | ${ms(b.latency.p99)} | ${ms(b.latency.max)} | ${statusText(b.statuses, b.networkErrors, b.dropped)} | ${b.cpuUsPerVote.toFixed(0)} | ${b.otherProcessesCores === undefined ? '–' : b.otherProcessesCores.toFixed(2)} | ${mark(b.passed)} | ${ours ? (ours.acceptedPerSec / b.acceptedPerSec).toFixed(2) : 'not run (ours saturated earlier)'} |`,
      );
    }
  };
  comparison(out.floor ?? [], 'Bare-pipeline floor (nginx → node:http → quorum queue with confirms, group commit → consumer that parses and acks; no validation, anti-bot, metrics, logs or store), 2 workers, same nginx config, same rates:');
  comparison(baseline, 'Baseline (Express 5, one JSON POST route that does nothing, 2 cluster workers, same nginx config, same rates):');
  if (votes.length) {
    lines.push('');
    lines.push(
      `CPU per vote by rate (whole stack, repeat-vote path: the next challenge is created inside the vote; + a first vote's GET /api/challenge through nginx): ` +
        votes.map((s) => `${s.rate}/s → ${s.cpuUsPerVote.toFixed(0)} µs (+ ${(s.challengeCpuUs ?? s.challengeApiCpuUs ?? 0).toFixed(0)})`).join(', ') +
        '. Net of the shared broker\'s idle rate (others\' traffic on it, measured for 3 s before each step): ' +
        votes.map((s) => `${s.rate}/s → ${s.cpuUsPerVoteNetOfBrokerIdle?.toFixed(0) ?? '–'} µs (broker idle ${s.brokerIdleCores?.toFixed(2) ?? '–'} cores)`).join(', ') +
        '.',
    );
  }
  lines.push('');
  lines.push('Targets (issue 12) beside the figures:');
  lines.push('');
  lines.push('| target | measured | met |');
  lines.push('|---|---|---|');
  const at5000 = votes.find((s) => s.rate === 5000);
  const best = votes.filter((s) => s.passed).at(-1);
  lines.push(
    `| ≥ 5000 accepted votes/s through nginx: p99 < 100 ms, < 0.1 % errors, 0 lost, 0 doubled by vote id | ` +
      (at5000
        ? `at 5000/s: ${at5000.acceptedPerSec.toFixed(0)} accepted/s, p99 ${ms(at5000.latency.p99)} ms, errors ${pct(at5000.errorRate)}, lost ${at5000.lost}, doubled ${at5000.doubled}`
        : 'no 5000/s step run') +
      `; highest passing step ${summary.highestPassingVotesPerSec.toFixed(0)}/s | ${mark(!!at5000 && at5000.passed && at5000.lost === 0 && at5000.doubled === 0)} |`,
  );
  if (at1000) {
    const ok = at1000.latency.p99 < 25 && at1000.errorRate < 0.001 && at1000.lost === 0 && at1000.doubled === 0;
    lines.push(`| 1000 votes/s: p99 < 25 ms | p99 ${ms(at1000.latency.p99)} ms, errors ${pct(at1000.errorRate)}, lost ${at1000.lost}, doubled ${at1000.doubled} | ${mark(ok)} |`);
  }
  const cpuStep = at5000 ?? best;
  if (cpuStep) {
    const first = cpuStep.cpuUsPerVote + (cpuStep.challengeCpuUs ?? 0);
    lines.push(
      `| ≤ 200 µs CPU per vote across the stack at 5000/s, challenge included | at ${cpuStep.rate}/s: ${cpuStep.cpuUsPerVote.toFixed(0)} µs for a repeat vote (its next challenge created in the 202), ${first.toFixed(0)} µs for a first vote (+ GET /api/challenge through nginx); ${cpuStep.cpuUsPerVoteNetOfBrokerIdle?.toFixed(0) ?? '–'} µs net of the shared broker's idle rate; ${cpuStep.cpuUsPerVoteWithoutBroker.toFixed(0)} µs without RabbitMQ | ${mark(cpuStep.rate === 5000 && cpuStep.cpuUsPerVote <= 200)} |`,
    );
  }
  if (summary.ratioToFloor !== undefined && summary.ratioToFloor !== null) {
    lines.push(`| ≥ 0.8 × the bare-pipeline floor (highest passing step, ours / floor) | ${summary.highestPassingVotesPerSec.toFixed(0)} / ${summary.highestPassingFloorPerSec?.toFixed(0)} = ${summary.ratioToFloor.toFixed(2)} | ${mark(summary.ratioToFloor >= 0.8)} |`);
  }
  if (summary.ratioToBaseline !== null) {
    lines.push(`| (issue 7) ≥ 0.8 × the Express baseline | ${summary.highestPassingVotesPerSec.toFixed(0)} / ${summary.highestPassingBaselinePerSec?.toFixed(0)} = ${summary.ratioToBaseline.toFixed(2)} | ${mark(summary.ratioToBaseline >= 0.8)} |`);
  }
  if (mixed?.results) {
    const r = mixed.results;
    const alone = votes.find((s) => s.rate === mixed.rate);
    const ok = r.latency.p99 < 100 && alone !== undefined && mixed.latency.p99 <= Math.max(alone.latency.p99 * 1.5, alone.latency.p99 + 5);
    lines.push(
      `| results URL at ${r.rate} reads/s beside ${mixed.rate} votes/s, votes' p99 unchanged | reads p99 ${ms(r.latency.p99)} ms; votes p99 ${ms(mixed.latency.p99)} ms (alone: ${alone ? ms(alone.latency.p99) : '–'} ms) | ${mark(ok)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

// `npx tsx bench/report.ts bench/results/latest.json` renders a results file again.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import('node:fs');
  for (const f of process.argv.slice(2)) process.stdout.write(`${renderMarkdown(JSON.parse(readFileSync(f, 'utf8')) as BenchOutput)}\n`);
}
