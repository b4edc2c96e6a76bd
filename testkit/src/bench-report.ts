import type { LatencySummary } from './load.js';

/** What bench/ceiling.ts's search found; `capped`: every rate tried passed, so `ceiling` is only a floor. */
export interface CeilingSearch {
  /** The highest passing rate, or 0 when even the first failed. */
  ceiling: number;
  /** The lowest failing rate, or null when nothing failed (the ceiling is above `ladder`'s top). */
  firstFailing: number | null;
  /** True when every rate tried passed: `ceiling` is only a lower bound. */
  capped: boolean;
  /** Rates in the order they were run. */
  tried: number[];
}

/** One process group's use between two /proc snapshots (bench/procstat.ts). */
export interface GroupUsage {
  /** CPU time used between the two snapshots, µs, summed over the group's processes. */
  cpuUs: number;
  /** Largest VmHWM of any one process in the group, MiB, and the sum over the group. */
  peakRssMiB: number;
  sumPeakRssMiB: number;
  processes: number;
}

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
  /** Votes per message to the broker over the step (the api's group commit), from its paredao_publish_batch_size. */
  votesPerMessage?: number;
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
  settings: {
    durationSec: number;
    /** Older runs: a fixed list of rates. */
    stepRates?: number[];
    ladder?: number[];
    resolution?: number;
    p99LimitMs: number;
    errorLimit: number;
    connections: number;
    /** The load driver's nice value during a step; older runs: none (it ran at the system's priority). */
    driverNice?: number;
    resultsRate: number;
    apiWorkers: number;
    difficulty: number;
    store?: string;
    /** The process groups whose CPU counts as the system's. */
    stackProcesses?: string[];
  };
  /** Runs since ceilings are searched for; older runs have only `summary`. */
  ceilings?: {
    votes: CeilingSearch;
    floor: CeilingSearch | null;
    baseline: CeilingSearch | null;
    ratioToFloor: { ratio: number } | { why: string } | null;
    ratioToBaseline: { ratio: number } | { why: string } | null;
  };
  /** Older runs: the highest passing step of a fixed ladder. */
  summary?: {
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
export const statusText = (s: Record<number, number>, networkErrors: number, dropped: number) => {
  const parts = Object.entries(s)
    .filter(([code]) => code !== '202')
    .map(([code, n]) => `${code}×${n}`);
  if (networkErrors) parts.push(`network×${networkErrors}`);
  if (dropped) parts.push(`dropped×${dropped}`);
  return parts.join(', ') || 'none';
};
export const mark = (ok: boolean) => (ok ? 'yes' : '**no**');
const loads = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
const GROUPS = ['nginx', 'api', 'consumer', 'rabbitmq', 'monitoring'];
/** One process group's CPU per accepted request in a step (null when the step has no such group). */
export const usPerVote = (s: StepReport, group: string): number | null => (s.cpu[group] && s.accepted ? s.cpu[group].cpuUs / s.accepted : null);

/** "5250/s (first failing 5500/s)", or what the run can say of a ceiling. */
function ceilingText(c: CeilingSearch | null | undefined): string {
  if (!c) return 'not run';
  if (c.capped) return `above ${c.ceiling}/s (passed every rate tried: not reached)`;
  return `${c.ceiling}/s (first failing ${c.firstFailing}/s)`;
}

/** The stack's highest passing rate: the searched ceiling, or an older run's highest passing step. */
export function stackCeiling(out: BenchOutput): { rate: number; searched: boolean } {
  if (out.ceilings) return { rate: out.ceilings.votes.ceiling, searched: true };
  return { rate: out.summary?.highestPassingVotesPerSec ?? 0, searched: false };
}

/** One target of the benchmark against a run: `met` null when the run could not measure it. */
export interface TargetResult {
  target: string;
  measured: string;
  met: boolean | null;
  /** How README's headline names it when missed or not measured. */
  short: string;
}

/** Every target, judged once: the BENCHMARKS table and README's headline both read these. */
export function targets(out: BenchOutput): TargetResult[] {
  const { settings } = out;
  const votes = out.steps.filter((s) => s.kind === 'votes');
  const mixed = out.steps.find((s) => s.kind === 'votes+results');
  const at1000 = votes.find((s) => s.rate === 1000);
  const at5000 = votes.find((s) => s.rate === 5000);
  const stack = stackCeiling(out);
  const list: TargetResult[] = [];
  list.push({
    target: `≥ 5000 accepted votes/s through nginx: p99 < ${settings.p99LimitMs} ms, < ${pct(settings.errorLimit)} errors, 0 lost, 0 doubled by vote id`,
    measured:
      (at5000 ? `at 5000/s: ${at5000.acceptedPerSec.toFixed(0)} accepted/s, p99 ${ms(at5000.latency.p99)} ms, errors ${pct(at5000.errorRate)}, lost ${at5000.lost}, doubled ${at5000.doubled}` : 'no 5000/s step run') +
      `; ceiling ${out.ceilings ? ceilingText(out.ceilings.votes) : `not searched (highest passing step of a fixed ladder: ${stack.rate}/s)`}`,
    met: !!at5000 && at5000.passed && at5000.lost === 0 && at5000.doubled === 0,
    short: `5000 votes/s within p99 ${settings.p99LimitMs} ms`,
  });
  if (at1000) {
    list.push({
      target: '1000 votes/s: p99 < 25 ms',
      measured: `p99 ${ms(at1000.latency.p99)} ms, errors ${pct(at1000.errorRate)}, lost ${at1000.lost}, doubled ${at1000.doubled}`,
      met: at1000.latency.p99 < 25 && at1000.errorRate < 0.001 && at1000.lost === 0 && at1000.doubled === 0,
      short: `p99 < 25 ms at 1000/s (${ms(at1000.latency.p99)} ms)`,
    });
  }
  const cpuStep = at5000 ?? votes.filter((s) => s.passed).at(-1);
  if (cpuStep) {
    const first = cpuStep.cpuUsPerVote + (cpuStep.challengeCpuUs ?? 0);
    list.push({
      target: '≤ 200 µs CPU per vote across the system at 5000/s',
      measured: `at ${cpuStep.rate}/s: ${cpuStep.cpuUsPerVote.toFixed(0)} µs for a repeat vote, ${first.toFixed(0)} µs for a first vote (+ GET /api/challenge); ${cpuStep.cpuUsPerVoteWithoutBroker.toFixed(0)} µs without RabbitMQ`,
      met: cpuStep.rate === 5000 && cpuStep.cpuUsPerVote <= 200,
      short: `≤ 200 µs CPU per vote (${cpuStep.cpuUsPerVote.toFixed(0)} µs at ${cpuStep.rate}/s)`,
    });
  }
  const floorStep = cpuStep && out.floor?.find((f) => f.rate === cpuStep.rate);
  if (cpuStep && floorStep) {
    const r = cpuStep.cpuUsPerVote / floorStep.cpuUsPerVote;
    const added = GROUPS.filter((g) => cpuStep.cpu[g] || floorStep.cpu[g])
      .map((g) => {
        const d = (usPerVote(cpuStep, g) ?? 0) - (usPerVote(floorStep, g) ?? 0);
        return `${g} ${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(0)}`;
      })
      .join(', ');
    list.push({
      target: "CPU per vote ≤ 1.1 × the floor's at the same rate",
      measured: `at ${cpuStep.rate}/s: ${cpuStep.cpuUsPerVote.toFixed(0)} / ${floorStep.cpuUsPerVote.toFixed(0)} µs = ${r.toFixed(2)}; what the stack adds, µs per vote: ${added}`,
      met: r <= 1.1,
      short: `CPU per vote ≤ 1.1 × the floor's (${r.toFixed(2)})`,
    });
  } else if (cpuStep && out.floor?.length) {
    list.push({
      target: "CPU per vote ≤ 1.1 × the floor's at the same rate",
      measured: `not measured: the floor ran no step at ${cpuStep.rate}/s`,
      met: false,
      short: `CPU per vote ≤ 1.1 × the floor's (not measured at ${cpuStep.rate}/s)`,
    });
  }
  // The saturated cost: at 5000/s, the rate the requirement's own figures call saturated, when the run
  // has that step; else at the ceiling. The other is shown beside it, with the floor's own ratio.
  const atCeiling = votes.find((s) => s.rate === stack.rate && s.passed);
  const saturated = at5000 ?? atCeiling;
  if (at1000 && saturated && saturated !== at1000) {
    const ratioText = (high: StepReport) => `${at1000.cpuUsPerVote.toFixed(0)} / ${high.cpuUsPerVote.toFixed(0)} µs = ${(at1000.cpuUsPerVote / high.cpuUsPerVote).toFixed(2)}`;
    const r = at1000.cpuUsPerVote / saturated.cpuUsPerVote;
    const ceilingToo = atCeiling && atCeiling !== saturated && atCeiling !== at1000 ? `; at the ceiling (${atCeiling.rate}/s): ${ratioText(atCeiling)}` : '';
    const floorLow = out.floor?.find((f) => f.rate === 1000);
    const floorHigh = out.floor?.find((f) => f.rate === saturated.rate);
    const floorRatio = floorLow && floorHigh ? `; the bare-pipeline floor's own, ${floorHigh.rate}/s: ${floorLow.cpuUsPerVote.toFixed(0)} / ${floorHigh.cpuUsPerVote.toFixed(0)} µs = ${(floorLow.cpuUsPerVote / floorHigh.cpuUsPerVote).toFixed(2)}` : '';
    list.push({
      target: 'CPU per vote at 1000/s ≤ 2 × the saturated cost (at 5000/s)',
      measured: `at ${saturated.rate}/s: ${ratioText(saturated)}${ceilingToo}${floorRatio}`,
      met: r <= 2,
      short: `CPU per vote at 1000/s ≤ 2 × at ${saturated.rate}/s (${r.toFixed(2)})`,
    });
  }
  const ratioTarget = (label: string, of: string, ratio: { ratio: number } | { why: string } | null | undefined, theirs: CeilingSearch | null | undefined) => {
    if (ratio === null || ratio === undefined) return;
    list.push(
      'ratio' in ratio
        ? { target: `${label} (ceilings, ours / it)`, measured: `${stack.rate} / ${theirs?.ceiling} = ${ratio.ratio.toFixed(2)}; its ceiling ${ceilingText(theirs)}`, met: ratio.ratio >= 0.8, short: `0.8 × ${of} ceiling (${ratio.ratio.toFixed(2)})` }
        : { target: `${label} (ceilings, ours / it)`, measured: `no ratio: ${ratio.why}`, met: null, short: `the ratio to ${of} ceiling (${ratio.why})` },
    );
  };
  if (out.ceilings) {
    ratioTarget('≥ 0.8 × the bare-pipeline floor', "the floor's", out.ceilings.ratioToFloor, out.ceilings.floor);
    ratioTarget('≥ 0.8 × the Express baseline', "the baseline's", out.ceilings.ratioToBaseline, out.ceilings.baseline);
  } else if (out.floor?.length) {
    const passedAll = out.floor.every((f) => f.passed);
    list.push({
      target: '≥ 0.8 × the bare-pipeline floor (ceilings)',
      measured: `not measured: this run stepped a fixed ladder${passedAll ? `, and the floor passed every step (up to ${Math.max(...out.floor.map((f) => f.rate))}/s), so its ceiling is unknown` : ''}`,
      met: null,
      short: "the ratio to the floor's ceiling (the run predates the ceiling search)",
    });
  }
  if (mixed?.results) {
    const r = mixed.results;
    const alone = votes.find((s) => s.rate === mixed.rate);
    list.push({
      target: `results URL at ${r.rate} reads/s beside ${mixed.rate} votes/s, votes' p99 unchanged`,
      measured: `reads p99 ${ms(r.latency.p99)} ms; votes p99 ${ms(mixed.latency.p99)} ms (alone: ${alone ? ms(alone.latency.p99) : '–'} ms)`,
      met: r.latency.p99 < 100 && alone !== undefined && mixed.latency.p99 <= Math.max(alone.latency.p99 * 1.5, alone.latency.p99 + 5),
      short: `votes' p99 unchanged beside ${r.rate} results reads/s (${ms(mixed.latency.p99)} against ${alone ? ms(alone.latency.p99) : '–'} ms)`,
    });
  }
  return list;
}

/** The figures of one run, as docs/BENCHMARKS.md shows them (generated: edit this, not the doc). */
export function renderMarkdown(out: BenchOutput): string {
  const { machine: m, steps, baseline, settings } = out;
  const mixed = steps.find((s) => s.kind === 'votes+results');
  const processes = settings.stackProcesses ?? ['nginx', 'api', 'consumer', 'rabbitmq'];
  const lines: string[] = [];
  lines.push(`### Run of ${m.date.slice(0, 16).replace('T', ' ')} UTC`);
  lines.push('');
  lines.push(
    `\`${m.command}\` at commit \`${m.gitCommit}\` on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB; Node ${m.node}, nginx ${m.nginx}, RabbitMQ ${m.rabbitmq}, ` +
      `store ${settings.store ?? 'sqlite'}. Load average (1 / 5 / 15 min) at the start: ${loads(m.loadAvgAtStart)}; before each step: in the table. ` +
      `${settings.durationSec} s per step, ${settings.apiWorkers === 1 ? 'one api process' : `${settings.apiWorkers} api workers`}, ANTIBOT_DIFFICULTY=${settings.difficulty}, rate limits off; ` +
      `the load generator runs on the same cores (its CPU is a column)${settings.driverNice === undefined ? '' : `, its sending thread at nice ${settings.driverNice}`}. The system's CPU counts ${processes.join(', ')}` +
      `${processes.includes('monitoring') ? ' (Prometheus and Alertmanager scraping it, as ./run.sh runs them)' : ' (this run did not include Prometheus and Alertmanager)'}. ` +
      `Lost and doubled are by vote id (every 202's id in the store's applied ids exactly once).`,
  );
  lines.push('');
  const groupsShown = GROUPS.filter((g) => steps.some((s) => s.cpu[g]));
  lines.push(
    `| votes/s offered | accepted/s | p50 ms | p99 ms | max ms | errors | error % | last vote counted after | lost | doubled | CPU µs/vote: total (${groupsShown.join(' / ')}) | load generator CPU % | other processes, cores | load avg before | passes |`,
  );
  lines.push('|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---|');
  for (const s of steps) {
    const perVote = groupsShown.map((g) => usPerVote(s, g)?.toFixed(0) ?? '–').join(' / ');
    const label = s.kind === 'votes+results' ? `${s.rate} + ${s.results?.rate ?? 0} results reads/s` : String(s.rate);
    lines.push(
      `| ${label} | ${s.acceptedPerSec.toFixed(0)} | ${ms(s.latency.p50)} | ${ms(s.latency.p99)} | ${ms(s.latency.max)} | ${statusText(s.statuses, s.networkErrors, s.dropped)} | ${pct(s.errorRate)} | ` +
        `${s.lastCountedAfterMs ?? '–'} ms | ${s.lost ?? '–'} | ${s.doubled ?? '–'} | ${s.cpuUsPerVote.toFixed(0)} (${perVote}) | ` +
        `${((s.loadGeneratorCpuUs / (s.durationSec * 1e6)) * 100).toFixed(0)} | ${s.otherProcessesCores.toFixed(2)} | ${s.loadAvgBefore[0]?.toFixed(2) ?? '–'} | ${mark(s.passed)} |`,
    );
  }
  if (mixed?.results) {
    lines.push('');
    const r = mixed.results;
    lines.push(
      `Results URL at ${r.rate} reads/s alongside ${mixed.rate} votes/s: p50 ${ms(r.latency.p50)}, p99 ${ms(r.latency.p99)}, max ${ms(r.latency.max)} ms, ` +
        `non-200: ${statusText(Object.fromEntries(Object.entries(r.statuses).filter(([c]) => c !== '200')), r.networkErrors, 0)}.`,
    );
  }
  const comparison = (list: StepReport[], title: string) => {
    if (!list.length) return;
    lines.push('');
    lines.push(title);
    lines.push('');
    const shown = GROUPS.filter((g) => list.some((b) => b.cpu[g]));
    lines.push(`| req/s offered | accepted/s | p50 ms | p99 ms | max ms | errors | CPU µs/request: total (${shown.join(' / ')}) | other processes, cores | load avg before | passes |`);
    lines.push('|---:|---:|---:|---:|---:|---|---:|---:|---:|---|');
    for (const b of list) {
      const parts = shown.map((g) => usPerVote(b, g)?.toFixed(0) ?? '–').join(' / ');
      lines.push(
        `| ${b.rate} | ${b.acceptedPerSec.toFixed(0)} | ${ms(b.latency.p50)} | ${ms(b.latency.p99)} | ${ms(b.latency.max)} | ${statusText(b.statuses, b.networkErrors, b.dropped)} | ${b.cpuUsPerVote.toFixed(0)} (${parts}) | ${b.otherProcessesCores.toFixed(2)} | ${b.loadAvgBefore[0]?.toFixed(2) ?? '–'} | ${mark(b.passed)} |`,
      );
    }
  };
  comparison(out.floor ?? [], `Bare-pipeline floor (nginx → node:http → quorum queue with confirms, group commit → consumer that parses and acks; no validation, anti-bot, metrics, logs or store), ${appProcesses(out.settings.apiWorkers)}, same nginx config:`);
  comparison(baseline, `Baseline (Express 5, one JSON POST route that does nothing, ${appProcesses(out.settings.apiWorkers)}, same nginx config):`);

  lines.push('');
  lines.push('| target | measured | met |');
  lines.push('|---|---|---|');
  for (const t of targets(out)) lines.push(`| ${t.target} | ${t.measured} | ${t.met === null ? '**not measured**' : mark(t.met)} |`);
  return lines.join('\n');
}

/** README's one-paragraph headline: what was measured, on which store and machine, and which targets were missed. */
export function renderHeadline(out: BenchOutput, source: string): string {
  const { machine: m, settings } = out;
  const votes = out.steps.filter((s) => s.kind === 'votes');
  const at1000 = votes.find((s) => s.rate === 1000);
  const stack = stackCeiling(out);
  const judged = targets(out);
  const missed = judged.filter((t) => t.met === false).map((t) => t.short);
  const unmeasured = judged.filter((t) => t.met === null).map((t) => t.short);
  const lost = votes.reduce((n, s) => n + (s.lost ?? 0), 0);
  const doubled = votes.reduce((n, s) => n + (s.doubled ?? 0), 0);
  return (
    `Measured by \`${m.command}\` (${m.date.slice(0, 10)}, raw output \`${source}\`) on ${m.cores} cores of ${m.cpuModel}, load average ${m.loadAvgAtStart[0]?.toFixed(1)} at the start, ` +
    `with the ${settings.store ?? 'sqlite'} store: the system ${stack.searched ? 'sustained up to' : 'passed steps up to'} **${stack.rate} votes/s** through nginx ` +
    `(p99 ≤ ${settings.p99LimitMs} ms, < ${pct(settings.errorLimit)} errors)${stack.searched ? '' : ' (a fixed ladder, not a searched ceiling)'}, ` +
    `${lost} lost and ${doubled} doubled by vote id over all steps` +
    `${at1000 ? `; at 1000 votes/s p99 was ${ms(at1000.latency.p99)} ms` : ''}. ` +
    (missed.length ? `Targets missed: ${missed.join('; ')}.` : 'Every target measured was met.') +
    (unmeasured.length ? ` Not measured: ${unmeasured.join('; ')}.` : '')
  );
}

// `npx tsx testkit/src/bench-report.ts bench/results/<file>.json` renders a results file again.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import('node:fs');
  for (const f of process.argv.slice(2)) process.stdout.write(`${renderMarkdown(JSON.parse(readFileSync(f, 'utf8')) as BenchOutput)}\n`);
}

/** An app's process count in the reports' words: the bench's floor and baseline, the capacity table, the fault runs. */
export function appProcesses(n: number): string {
  return n === 1 ? 'one process' : `${n} cluster workers`;
}
