/**
 * The voter's wait on a throttled phone (bench/phone.ts): the raw output's shape, its targets, and the
 * generated sections of docs/BENCHMARKS.md (`phone`) and docs/ANTIBOT.md (`phone-difficulty`).
 * Pure: no browser, no stack, so phone-report.test.ts can check every figure it derives.
 */
import { Ajv } from 'ajv';
import { summarize } from './load.js';
import { mark } from './bench-report.js';

/** The issue's targets, in ms, judged on p95 (nearest rank) of the raw samples. */
export const PHONE_TARGETS = { tapToConfirmationP95Ms: 1500, proofReadyP95Ms: 3000 } as const;

/** One first visit: a fresh browser context opens the vote page. */
export interface FirstLoad {
  /** Navigation start → the check's `verified` (the form's data-antibot="verified"). */
  readyMs: number;
  /** The check's last `verifying` → `verified`: fetching and solving the challenge, in its workers. */
  solvingMs: number;
  /** Where the time went: ms from navigation start (the page's clock), and the hashing's own length. */
  phases: {
    /** The HTML received (navigation responseEnd). */
    htmlMs: number;
    /** The page's scripts run (DOMContentLoaded ended: module scripts run before it). */
    scriptsMs: number;
    /** The check began verifying. */
    verifyingMs: number;
    /** The challenge's response received (GET /api/challenge); 0 when none was fetched. */
    challengeMs: number;
    /** The winning worker's own time from its work message to the key (the payload's solution.time). */
    hashingMs: number;
  };
}

/** One repeat vote, in the page's own flow (vote page → resultado.html → "Votar novamente" → …). */
export interface RepeatVote {
  /** Touch on "Votar" → the confirmation (#confirmacao) shown on resultado.html, both in page clocks. */
  tapToConfirmationMs: number;
  /** Touch on "Votar novamente" → the next proof verified on the vote page (the carried challenge). */
  againToReadyMs: number;
  solvingMs: number;
}

/** One calibration round: the cgroup's limit and how much slower the loop ran under it. */
export interface Calibration {
  quotaUs: number;
  /** Absent in runs made before the period could change. */
  periodUs?: number;
  ratio: number;
}

/** What one emulation of the phone measured, and how its CPU was slowed. */
export interface Emulated {
  throttling: {
    /**
     * 'devtools': `Emulation.setCPUThrottlingRate` on pages, each dedicated worker's thread in a cpu cgroup
     * of its own; 'cgroup v1' / 'cgroup v2': the whole browser in one CPU cgroup; 'cdp': the protocol on
     * pages only (older runs).
     */
    method: string;
    /** The DevTools rate set on pages (1: none); absent in older runs. */
    pageRate?: number;
    /** The whole browser's cgroup: its final quota, the calibration rounds that set it, and how often the limit bit. */
    cgroup: { quotaUs: number; periodUs: number; calibration: Calibration[]; periods: number; throttledPeriods: number } | null;
    /** devtools: the limit each worker thread's own cgroup had, its calibration, and how many workers started and were moved. */
    workerCgroups?: { quotaUs: number; periodUs: number; calibration: Calibration[]; attached: number; moved: number; errors: string[]; refused: string } | null;
    /** Why no cgroup was used ('' when one was). */
    fallback: string;
    /** Whether the check's dedicated workers were slowed too, and how (or Chromium's answer to the protocol call). */
    workers: { applied: boolean; answer: string };
    /** The same fixed load (a JS loop in older runs, JSON parsing since), in ms, on a phone page and on a page of an unconfined browser, after the votes: in the page, and in a worker. */
    loops: { page: { throttled: number[]; unthrottled: number[] }; worker: { throttled: number[]; unthrottled: number[] } };
  };
  firstLoads: FirstLoad[];
  repeatVotes: RepeatVote[];
}

/** The judged emulation at the top level; `harsher`, when present, the whole-browser cgroup measured in the same run. */
export interface PhoneOutput extends Emulated {
  machine: {
    cpuModel: string;
    cores: number;
    memoryGiB: number;
    node: string;
    chromium: string;
    kernel: string;
    date: string;
    command: string;
    gitCommit: string;
    loadAvgBefore: number[];
    loadAvgAfter: number[];
  };
  settings: {
    throttle: number;
    votes: number;
    loads: number;
    difficulty: number;
    apiWorkers: number;
    rateLimitPerIp: number;
    botProofs: number;
    device: { width: number; height: number; deviceScaleFactor: number; isMobile: boolean; hasTouch: boolean };
  };
  harsher?: Emulated;
  /** Votes the pages made (every one answered 202, or the page would not have confirmed it), and what the results URL counted. */
  counted: { expected: number; counted: number };
  /** The same api challenges solved in a phone page's worker by altcha's SHA worker and by ours (web/src/antibot-worker.ts). */
  solvers: { hashes: number; altchaMs: number; oursMs: number }[];
  /** The same stack's challenges solved by a bot: a native SHA-256 loop on one core (load.ts presolve). */
  bot: { proofs: number; hashes: number; cpuMs: number; wallMs: number };
}

const num = { type: 'number' } as const;
const nums = { type: 'array', items: num } as const;
const str = { type: 'string' } as const;
const obj = (properties: Record<string, unknown>) => ({ type: 'object', required: Object.keys(properties), properties });
const list = (item: Record<string, unknown>, minItems = 1) => ({ type: 'array', minItems, items: obj(item) });

const calibration = { type: 'array', items: { type: 'object', required: ['quotaUs', 'ratio'], properties: { quotaUs: num, periodUs: num, ratio: num } } } as const;
const throttling = {
  ...obj({
    method: str,
    cgroup: { anyOf: [{ type: 'null' }, obj({ quotaUs: num, periodUs: num, calibration, periods: num, throttledPeriods: num })] },
    fallback: str,
    workers: obj({ applied: { type: 'boolean' }, answer: str }),
    loops: obj({ page: obj({ throttled: nums, unthrottled: nums }), worker: obj({ throttled: nums, unthrottled: nums }) }),
  }),
};
const optional = {
  pageRate: num,
  workerCgroups: { anyOf: [{ type: 'null' }, obj({ quotaUs: num, periodUs: num, calibration, attached: num, moved: num, errors: { type: 'array', items: str }, refused: str })] },
};
Object.assign(throttling.properties, optional);
const emulated = {
  throttling,
  firstLoads: list({ readyMs: num, solvingMs: num, phases: obj({ htmlMs: num, scriptsMs: num, verifyingMs: num, challengeMs: num, hashingMs: num }) }),
  repeatVotes: list({ tapToConfirmationMs: num, againToReadyMs: num, solvingMs: num }),
};

const schema = obj({
  machine: obj({ cpuModel: str, cores: num, memoryGiB: num, node: str, chromium: str, kernel: str, date: str, command: str, gitCommit: str, loadAvgBefore: nums, loadAvgAfter: nums }),
  settings: obj({
    throttle: num,
    votes: num,
    loads: num,
    difficulty: num,
    apiWorkers: num,
    rateLimitPerIp: num,
    botProofs: num,
    device: obj({ width: num, height: num, deviceScaleFactor: num, isMobile: { type: 'boolean' }, hasTouch: { type: 'boolean' } }),
  }),
  ...emulated,
  counted: obj({ expected: num, counted: num }),
  solvers: list({ hashes: num, altchaMs: num, oursMs: num }, 0),
  bot: obj({ proofs: num, hashes: num, cpuMs: num, wallMs: num }),
});
(schema.properties as Record<string, unknown>).harsher = obj(emulated);
const validate = new Ajv({ allErrors: true }).compile<PhoneOutput>(schema);

/** `json` as a PhoneOutput, or an error naming what is missing or mistyped. */
export function parsePhoneOutput(json: unknown): PhoneOutput {
  if (validate(json)) return json;
  throw new Error(`not a bench/phone.ts output: ${validate.errors!.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
}

/** p50 / p95 / max (nearest rank) of a list of ms. */
export function percentiles(xs: number[]) {
  const s = summarize(Float64Array.from(xs));
  return { count: s.count, p50: s.p50, p95: s.p95, max: s.max };
}

/**
 * Each first load's proof-ready time at difficulty `to` instead of the run's, with the check's workers
 * `workerSlowdown` times slower: the part outside the check's solving stays, the solving scales with
 * the expected hashes (linear in the difficulty). An extrapolation from the measured samples.
 */
export function readyAt(loads: Pick<FirstLoad, 'readyMs' | 'solvingMs'>[], from: number, to: number, workerSlowdown: number): number[] {
  return loads.map((l) => l.readyMs - l.solvingMs + l.solvingMs * workerSlowdown * (to / from));
}

/** The largest difficulty (1 … 100 000, the api's bounds) whose extrapolated p95 stays within `limitMs`; 0 if none. */
export function largestDifficultyWithin(loads: Pick<FirstLoad, 'readyMs' | 'solvingMs'>[], from: number, limitMs: number, workerSlowdown: number): number {
  const fits = (d: number) => percentiles(readyAt(loads, from, d, workerSlowdown)).p95 <= limitMs;
  if (!fits(1)) return 0;
  let [lo, hi] = [1, 100_000];
  if (fits(hi)) return hi;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** How much slower the check's workers would have to be made by hand: 1 when Chromium throttled them itself. */
export const workerSlowdown = (out: PhoneOutput) => (out.throttling.workers.applied ? 1 : out.settings.throttle);

/** Bot figures: SHA-256 hashes per second of one core's CPU time, and ms of one core for a proof of the stated mean. */
export function botCost(out: PhoneOutput) {
  const hashesPerCoreSecond = out.bot.hashes / (out.bot.cpuMs / 1000);
  return { hashesPerCoreSecond, coreMsPerProof: ((1000 * out.settings.difficulty) / hashesPerCoreSecond) * 1000 };
}

export interface PhoneTarget {
  target: string;
  measured: string;
  met: boolean;
}

const ceilMs = (v: number) => `${Math.ceil(v)} ms`;

/** The issue's table, judged on the raw samples (never on a rounded figure). */
export function phoneTargets(out: PhoneOutput): PhoneTarget[] {
  const tap = percentiles(out.repeatVotes.map((v) => v.tapToConfirmationMs));
  const ready = percentiles(out.firstLoads.map((l) => l.readyMs));
  const judged: PhoneTarget[] = [
    {
      target: `tap "Votar" → confirmation, ${tap.count} repeat votes: p95 ≤ ${PHONE_TARGETS.tapToConfirmationP95Ms} ms`,
      measured: `p50 ${ceilMs(tap.p50)}, p95 ${ceilMs(tap.p95)}`,
      met: tap.p95 <= PHONE_TARGETS.tapToConfirmationP95Ms,
    },
    {
      target: `page load → proof ready, first vote, ${ready.count} fresh loads: p95 ≤ ${PHONE_TARGETS.proofReadyP95Ms} ms`,
      measured: `p50 ${ceilMs(ready.p50)}, p95 ${ceilMs(ready.p95)}`,
      met: ready.p95 <= PHONE_TARGETS.proofReadyP95Ms,
    },
  ];
  const slow = workerSlowdown(out);
  if (slow !== 1) {
    const est = percentiles(readyAt(out.firstLoads, out.settings.difficulty, out.settings.difficulty, slow));
    judged.push({
      target: `the same with the check's workers ${slow}× slower too (extrapolated): p95 ≤ ${PHONE_TARGETS.proofReadyP95Ms} ms`,
      measured: `p50 ${ceilMs(est.p50)}, p95 ${ceilMs(est.p95)}`,
      met: est.p95 <= PHONE_TARGETS.proofReadyP95Ms,
    });
  }
  return judged;
}

const median = (xs: number[]) => percentiles(xs).p50;
const loadText = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');

/** How much slower the fixed loop ran on a phone page than unconfined: in the page, in a worker (medians). */
export function loopSlowdown(run: Emulated) {
  const { page, worker } = run.throttling.loops;
  return { page: median(page.throttled) / median(page.unthrottled), worker: median(worker.throttled) / median(worker.unthrottled) };
}

/**
 * Why an emulation's figures cannot stand for a phone `throttle` times slower: its page or its workers
 * ran less than half as slow as asked after the votes (a worker left at full speed would report a fast
 * proof), or a worker started that was not moved onto its slowed core. Empty when it was slowed.
 */
export function throttlingProblems(run: Emulated, throttle: number): string[] {
  const slow = loopSlowdown(run);
  const problems: string[] = [];
  const floor = throttle / 2;
  if (!(slow.page >= floor)) problems.push(`the loop ran ${slow.page.toFixed(2)}× slower in a phone page: under ${floor}× (asked ${throttle}×)`);
  if (!(slow.worker >= floor)) problems.push(`the loop ran ${slow.worker.toFixed(2)}× slower in a phone page's worker: under ${floor}×, the workers were not throttled (asked ${throttle}×)`);
  const w = run.throttling.workerCgroups;
  if (w && w.moved < w.attached) problems.push(`${w.attached} workers started but ${w.moved} were moved onto a slowed core`);
  if (w && w.errors.length) problems.push(...w.errors);
  return problems;
}

const rounds = (c: Calibration[]) => c.map((r) => `${r.quotaUs} µs${r.periodUs ? ` per ${r.periodUs} µs` : ''} → ${r.ratio.toFixed(2)}×`).join(', ');

/** How the CPU was slowed, in one sentence for the section. */
function emulationText(run: Emulated, throttle: number): string {
  const t = run.throttling;
  const slow = loopSlowdown(run);
  const measured = `the self-check's fixed load ran ${slow.page.toFixed(1)}× slower in a phone page and ${slow.worker.toFixed(1)}× slower in its Web Worker than in an unconfined Chromium (medians of ${t.loops.page.throttled.length}, after the votes)`;
  if (t.method === 'devtools' && t.workerCgroups) {
    const w = t.workerCgroups;
    return (
      `DevTools throttling (\`Emulation.setCPUThrottlingRate\`, rate ${t.pageRate ?? throttle}) on every page; Chromium refuses that call on a worker ("${w.refused}"), ` +
      `so each dedicated worker started paused and its thread ran in a CPU cgroup of its own of ${w.quotaUs} µs per ${w.periodUs} µs ` +
      `(${((100 * w.quotaUs) / w.periodUs).toFixed(1)} % of one core, calibrated for ${throttle}× on the load in a worker; rounds: ${rounds(w.calibration)}; ` +
      `${w.moved} of ${w.attached} workers so slowed). Measured: ${measured}`
    );
  }
  if (t.cgroup) {
    const c = t.cgroup;
    return (
      `the whole browser (pages, their workers, its other processes) ran in a CPU cgroup (${t.method}) of ${c.quotaUs} µs per ${c.periodUs} µs, ` +
      `${((100 * c.quotaUs) / c.periodUs).toFixed(1)} % of one core, calibrated for ${throttle}× (the load in a page and a worker together; rounds: ${rounds(c.calibration)}); ` +
      `the limit bit in ${c.throttledPeriods} of ${c.periods} periods; no DevTools throttling. Measured: ${measured}`
    );
  }
  return (
    `CPU throttled ${throttle}× with \`Emulation.setCPUThrottlingRate\` on every page` +
    (t.fallback ? ` (no cgroup: ${t.fallback})` : '') +
    `; ${measured}`
  );
}

/** Why the targets are judged on the DevTools emulation, and what the cgroup beside it is. */
function judgedText(out: PhoneOutput): string {
  const h = out.harsher!;
  const c = h.throttling.cgroup;
  const share = c ? `${((100 * c.quotaUs) / c.periodUs).toFixed(0)} % of one core` : 'a fraction of one core';
  return (
    `**The targets are judged on the DevTools emulation**, the method the requirement names: Chromium's own ${out.settings.throttle}× throttling of each page's main thread, ` +
    `and, since Chromium will not throttle a worker, each proof worker on a core of its own slowed as much, as a phone with several slow cores runs it. ` +
    `Beside it, in the same run (first loads interleaved), the **whole browser in one CPU cgroup** (${share}): every process and thread of the browser ` +
    `(the renderers a fresh context starts, the network service, V8's compiler threads, the workers) takes turns on that one slowed core, a one-core phone. ` +
    `It is harsher than the phone the requirement names and is shown, not judged.`
  );
}

type Row = [figure: string, samples: (run: Emulated) => number[] | null];

const ROWS: Row[] = [
  ['page load → proof ready, first vote (a fresh context each)', (r) => r.firstLoads.map((l) => l.readyMs)],
  ['… the HTML received', (r) => r.firstLoads.map((l) => l.phases.htmlMs)],
  ["… the page's scripts run (DOMContentLoaded)", (r) => r.firstLoads.map((l) => l.phases.scriptsMs)],
  ['… the anti-bot check starts verifying', (r) => r.firstLoads.map((l) => l.phases.verifyingMs)],
  ['… the challenge received', (r) => {
    const xs = r.firstLoads.map((l) => l.phases.challengeMs).filter((x) => x > 0);
    return xs.length ? xs : null;
  }],
  ['… of which the check fetching and solving its challenge', (r) => r.firstLoads.map((l) => l.solvingMs)],
  ["… of which hashing, on the winning worker's clock", (r) => r.firstLoads.map((l) => l.phases.hashingMs)],
];
const VOTE_ROWS: Row[] = [
  ['tap "Votar" → confirmation shown (resultado.html), repeat votes', (r) => r.repeatVotes.map((v) => v.tapToConfirmationMs)],
  ['tap "Votar novamente" → the next proof ready, repeat votes', (r) => r.repeatVotes.map((v) => v.againToReadyMs)],
  ['… of which the check solving the carried challenge', (r) => r.repeatVotes.map((v) => v.solvingMs)],
];

/** docs/BENCHMARKS.md's `phone` section. */
export function renderPhone(out: PhoneOutput, source: string): string {
  const { machine: m, settings: s, harsher } = out;
  const d = s.device;
  const cells = (xs: number[] | null) => {
    if (!xs) return ['', '', '', ''];
    const p = percentiles(xs);
    return [String(p.count), String(Math.ceil(p.p50)), String(Math.ceil(p.p95)), String(Math.ceil(p.max))];
  };
  const row = ([figure, f]: Row) => {
    const mine = f(out);
    if (!harsher) return mine ? `| ${figure} | ${cells(mine).join(' | ')} |` : null;
    const other = f(harsher);
    if (!mine && !other) return null;
    return `| ${figure} | ${cells(mine).join(' | ')} | ${cells(other).slice(1).join(' | ')} |`;
  };
  const bot = botCost(out);
  const slow = workerSlowdown(out);
  const extrapolated: Row[] = slow !== 1 ? [[`… extrapolated with the check's workers ${slow}× slower too`, (r) => readyAt(r.firstLoads, s.difficulty, s.difficulty, slow)]] : [];
  const lines = [
    `### Run of ${m.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `\`${m.command}\` at commit \`${m.gitCommit}\` (raw output \`${source}\`) on ${m.cores} cores of ${m.cpuModel}, ${m.memoryGiB} GiB; ` +
      `Node ${m.node}, Chromium ${m.chromium} headless. Load average (1 / 5 / 15 min) before: ${loadText(m.loadAvgBefore)}; after: ${loadText(m.loadAvgAfter)} ` +
      `(a shared machine: other sessions ran beside it, so these are this machine's figures under that load, not an idle phone's). ` +
      `ANTIBOT_DIFFICULTY=${s.difficulty} (the api's default), ${s.apiWorkers} api workers, rate limit ${s.rateLimitPerIp} votes/min per address; ` +
      `a ${d.width}×${d.height} touch screen at ${d.deviceScaleFactor}×; ` +
      (harsher
        ? `**DevTools emulation (judged)**: ${emulationText(out, s.throttle)}. **Whole-browser cgroup (harsher, shown)**: ${emulationText(harsher, s.throttle)}.`
        : `${emulationText(out, s.throttle)}.`),
    ...(harsher ? ['', judgedText(out)] : []),
    '',
    ...(harsher
      ? ['| figure (ms) | samples | DevTools p50 | p95 | max | cgroup p50 | p95 | max |', '|---|---:|---:|---:|---:|---:|---:|---:|']
      : ['| figure (ms) | samples | p50 | p95 | max |', '|---|---:|---:|---:|---:|']),
    ...[...ROWS, ...extrapolated, ...VOTE_ROWS].map(row).filter((l): l is string => l !== null),
    '',
    `Every vote the page confirmed was counted: ${out.counted.counted} of ${out.counted.expected} in the results URL. ` +
      `A bot on one desktop core (a native SHA-256 loop, challenges of the same stack): ${out.bot.proofs} proofs, ` +
      `${Math.round(out.bot.hashes / out.bot.proofs)} hashes each on average, ${Math.round(bot.hashesPerCoreSecond / 1000)} k hashes per second of CPU, ` +
      `so **${Math.ceil(bot.coreMsPerProof)} ms of one core per proof** at the stated mean (${1000 * s.difficulty} hashes).`,
  ];
  if (out.solvers.length > 0) {
    const rate = (ms: (x: PhoneOutput['solvers'][number]) => number) => out.solvers.reduce((n, x) => n + x.hashes, 0) / (out.solvers.reduce((t, x) => t + ms(x), 0) / 1000);
    const [altcha, ours] = [rate((x) => x.altchaMs), rate((x) => x.oursMs)];
    lines.push(
      '',
      `The solver in a phone page's worker, the same ${out.solvers.length} api challenges each (${out.solvers.map((x) => x.hashes).join(', ')} hashes): ` +
        `altcha's SHA-256 worker (an await of \`crypto.subtle.digest\` per counter) ${Math.round(altcha / 1000)} k hashes/s, ` +
        `ours (\`web/src/antibot-worker.ts\`) ${Math.round(ours / 1000)} k hashes/s: ${(ours / altcha).toFixed(1)}× faster.`,
    );
  }
  if (!out.throttling.workers.applied) {
    lines.push(
      '',
      `Chromium throttles a page's main thread only: asked to throttle the widget's dedicated workers too, it answered "${out.throttling.workers.answer}". ` +
        `The proof of work runs in those workers, unthrottled, so the measured proof-ready times are a phone's page with this machine's workers. ` +
        `The extrapolated row adds (${slow} − 1) × each load's solving time: the same load with the workers as slow as the page. It is an upper estimate ` +
        `when the machine is busy, since the solving measured here was already slowed by the other processes.`,
    );
  }
  if (harsher) {
    const theirs = phoneTargets({ ...out, ...harsher });
    lines.push('', '| target | DevTools emulation (judged) | met | whole-browser cgroup (shown) | met |', '|---|---|---|---|---|');
    phoneTargets(out).forEach((t, i) => lines.push(`| ${t.target} | ${t.measured} | ${mark(t.met)} | ${theirs[i]?.measured ?? ''} | ${theirs[i] ? mark(theirs[i].met) : ''} |`));
  } else {
    lines.push('', '| target | measured | met |', '|---|---|---|');
    for (const t of phoneTargets(out)) lines.push(`| ${t.target} | ${t.measured} | ${mark(t.met)} |`);
  }
  return lines.join('\n');
}

/** How the judged figures' CPU was slowed, in a few words. */
function how(run: Emulated, throttle: number): string {
  if (run.throttling.method === 'devtools') return `throttled ${throttle}× by the DevTools protocol on the page, each proof worker on a core slowed ${throttle}× (a CPU cgroup of its own)`;
  if (run.throttling.cgroup) return `${throttle}× slower (the browser in a calibrated CPU cgroup, workers included)`;
  return `throttled ${throttle}× (pages only)`;
}

/** docs/ANTIBOT.md's `phone-difficulty` paragraph: the default difficulty against these figures. */
export function renderDifficulty(out: PhoneOutput, source: string): string {
  const { settings: s, machine: m } = out;
  const [tapTarget, readyTarget, slowTarget] = phoneTargets(out);
  const ready = percentiles(out.firstLoads.map((l) => l.readyMs));
  const tap = percentiles(out.repeatVotes.map((v) => v.tapToConfirmationMs));
  const slow = workerSlowdown(out);
  const bot = botCost(out);
  const verdict = (t: PhoneTarget | undefined) => (t?.met ? 'met' : 'missed');
  const limit = PHONE_TARGETS.proofReadyP95Ms;
  const asMeasured = largestDifficultyWithin(out.firstLoads, s.difficulty, limit, 1);
  const withSlowWorkers = largestDifficultyWithin(out.firstLoads, s.difficulty, limit, slow);
  const pageAlone = percentiles(out.firstLoads.map((l) => l.readyMs - l.solvingMs)).p95;
  const bounds =
    asMeasured === 0
      ? `no difficulty meets the ${limit / 1000} s target here: before the check began, the page had taken ${Math.ceil(pageAlone)} ms (p95), ` +
        `so these figures cannot justify the default ${s.difficulty} against that target, only price it`
      : `the ${limit / 1000} s target holds up to difficulty ${asMeasured} as measured` +
        (slow !== 1 ? ` and ${withSlowWorkers === 0 ? 'at none' : `up to ${withSlowWorkers}`} with the workers throttled too` : '') +
        `: the default ${s.difficulty} is ` +
        (s.difficulty <= withSlowWorkers ? 'within it' : s.difficulty <= asMeasured ? 'within it only with desktop-speed workers' : `above what it allows`);
  const parts = [
    `Measured with the CPU ${how(out, s.throttle)} (\`${m.command}\`, ${m.date.slice(0, 10)}, \`${source}\`, ` +
      `load average ${m.loadAvgBefore[0]?.toFixed(1)} at the start on ${m.cores} shared cores): at ANTIBOT_DIFFICULTY=${s.difficulty} a first vote's proof was ready ` +
      `${Math.ceil(ready.p95)} ms after the page began to load (p95; target ${limit / 1000} s: ${verdict(readyTarget)}) and a tap on "Votar" reached the ` +
      `confirmation in ${Math.ceil(tap.p95)} ms (p95; target ${PHONE_TARGETS.tapToConfirmationP95Ms / 1000} s: ${verdict(tapTarget)}).`,
  ];
  if (out.harsher) {
    const [hTap, hReady] = phoneTargets({ ...out, ...out.harsher });
    parts.push(
      `With the whole browser on one slowed core instead (a CPU cgroup, the harsher figure shown beside it, not judged), the proof was ready in ` +
        `${hReady!.measured.replace(/^p50 \d+ ms, p95 /u, '')} (p95; ${verdict(hReady)}) and the tap took ${hTap!.measured.replace(/^p50 \d+ ms, p95 /u, '')} (p95; ${verdict(hTap)}).`,
    );
  }
  if (slowTarget) {
    parts.push(
      `Chromium does not throttle the check's workers: with them ${slow}× slower too, the proof would be ready in ` +
        `${Math.ceil(percentiles(readyAt(out.firstLoads, s.difficulty, s.difficulty, slow)).p95)} ms (p95, extrapolated; ${verdict(slowTarget)}).`,
    );
  }
  const hashing = percentiles(out.firstLoads.map((l) => l.phases.hashingMs));
  parts.push(
    `Of that wait, the hashing itself, the only part the difficulty sets, took ${Math.ceil(hashing.p50)} ms (p50; p95 ${Math.ceil(hashing.p95)} ms) on the winning worker's clock.`,
    `The same proof costs a bot ${Math.ceil(bot.coreMsPerProof)} ms of one desktop core: one bot core makes about ` +
      `${Math.round(ready.p50 / bot.coreMsPerProof)} votes in the time this phone waits for its first proof (p50), ` +
      `${Math.round(hashing.p50 / bot.coreMsPerProof)} in the time the phone spends hashing.`,
    `Scaling each load's solving time with the difficulty, ${bounds}.`,
  );
  return parts.join(' ');
}
