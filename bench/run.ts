/**
 * Prime-time benchmark: the system as ./run.sh runs it (nginx, the api as one process, consumer, SQLite,
 * RabbitMQ, Prometheus and Alertmanager scraping them), driven open-loop through nginx. Each system's
 * ceiling (the highest offered rate within the latency and error targets) is found by climbing a
 * ladder of rates and then bisecting (bench/ceiling.ts), for the stack, the bare-pipeline floor and a
 * do-nothing Express baseline behind the same nginx, in the same run.
 *
 *   npm run bench                 full run; writes bench/results/<date>.json (commit it) and regenerates
 *                                 the generated sections of docs/BENCHMARKS.md and README.md from it
 *   npm run bench -- --quick      smoke run (~3 min): a short ladder, 10 s steps; bench/results/scratch/
 *   options: --duration=30 --ladder=1000,2000,… --resolution=250 --no-baseline --no-results-step
 *            --all-steps    run every rung of the ladder, no bisection (CPU per vote as a curve over rates)
 *            --rate-limit=N the per-address vote limit at nginx and in the api (default 0: off)
 *            --profile=DIR  (one api worker started with --cpu-prof into DIR; see bench/cpuprofile-top.ts)
 *            --log-level=debug  the services' LOG_LEVEL (default info; debug logs a line per vote)
 *            --env=KEY=VALUE  a setting for the services and the floor alike (repeatable), for A/B
 *                           runs of one setting (PUBLISH_LINGER_MS=0, say); output in scratch/
 *            --gelf         also ship every log record as GELF over TCP to a listener in this process,
 *                           and report how many arrived against how many the services wrote
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { presolve, runLoad, type LoadResult } from '@paredao/testkit/load';
import { missingMonitoring, startMonitoring, type Monitoring } from '@paredao/testkit/monitoring';
import { freePort, waitFor } from '@paredao/testkit/ports';
import { stopProcess } from '@paredao/testkit/process';
import { AMQP_URL, connectAny, deleteQueues, ROOT, Stack, startStack } from '@paredao/testkit/stack';
import { auditByVoteId } from './audit.js';
import { benchApiWorkers, CEILING_ARGS, ceilingRatio, driveOptions, envPairs, ERROR_LIMIT, findCeiling, P99_LIMIT_MS, stepLoad } from './ceiling.js';
import { writeGeneratedDocs } from '@paredao/testkit/docs';
import { machineBusyUs, ProcessGroups, pgrep, usageBetween } from './procstat.js';
import { renderMarkdown, type BenchOutput, type CeilingSearch, type GroupUsage, type StepReport } from '@paredao/testkit/bench-report';

const { values: args } = parseArgs({
  options: {
    ...CEILING_ARGS,
    'no-baseline': { type: 'boolean', default: false },
    'no-results-step': { type: 'boolean', default: false },
    'all-steps': { type: 'boolean', default: false },
    profile: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    gelf: { type: 'boolean', default: false },
    'rate-limit': { type: 'string', default: '0' },
    env: { type: 'string', multiple: true, default: [] },
  },
  strict: true,
});
const quick = args.quick;
const durationSec = Number(args.duration ?? (quick ? 10 : 30));
// 1000 and 5000 are rungs: the targets are stated at those rates.
const ladder = args.ladder?.split(',').map(Number) ?? (quick ? [500, 1000, 2000] : [1000, 2000, 3000, 5000, 8000, 12000, 16000]);
const resolution = Number(args.resolution ?? (quick ? 500 : 250));
const { drive: driving, custom: customDrive } = driveOptions(args);
const profileDir = args.profile;
const withBaseline = !args['no-baseline'] && !profileDir;
const withResultsStep = !args['no-results-step'] && !profileDir;
/** A full run is the one a document may cite: committed under bench/results/, the rest in scratch/. */
const fullRun = !quick && !profileDir && !args.ladder && !args.duration && !customDrive && !args['all-steps'] && args['rate-limit'] === '0' && args.env.length === 0 && withBaseline && withResultsStep;
/** --env KEY=VALUE pairs, given to the stack's services and to the floor. */
const extraEnv = envPairs(args.env);
/** api processes of the stack, and processes of the floor's and the baseline's app: as many in each. */
const apiWorkers = profileDir ? 1 : benchApiWorkers(extraEnv);
const resultsRate = quick ? 500 : 5000;
/** Votes/s beside the results readers: 5000 reads/s alongside 1000 votes/s. */
const mixedVoteRate = quick ? 500 : 1000;
const candidates = ['participante-1', 'participante-2'];

/** Unmeasured traffic first, so the JIT has compiled the hot paths before the first step is timed. */
const WARMUP_RATE = 200;
const WARMUP_SEC = 8;
async function warmUp(url: string, proofs: string[]) {
  const r = await runLoad({ url, ratePerSec: WARMUP_RATE, durationSec: WARMUP_SEC, proofs, candidates, connections: 32 });
  log(`warm-up: ${r.accepted.length}/${r.sent} accepted, p99 ${r.latency.p99.toFixed(1)} ms (not reported)`);
}

function log(msg: string) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function errorRate(r: LoadResult, scheduled: number): number {
  const ok = r.statuses[202] ?? 0;
  return scheduled === 0 ? 0 : (scheduled - ok) / scheduled;
}

/** Messages the api published so far and the votes they held (paredao_publish_batch_size, summed over workers). */
async function publishedMessages(apiUrl: string): Promise<{ messages: number; votes: number }> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { messages: value('paredao_publish_batch_size_count'), votes: value('paredao_publish_batch_size_sum') };
}

async function resultsTotal(apiUrl: string): Promise<number> {
  const res = await fetch(`${apiUrl}/api/results`);
  if (!res.ok) throw new Error(`results: HTTP ${res.status}`);
  return ((await res.json()) as { total: number }).total;
}

/** Every process of the system as ./run.sh runs it. */
const STACK_GROUPS = ['nginx', 'api', 'consumer', 'rabbitmq', 'monitoring'];

function cpuOf(usage: Record<string, GroupUsage>, groups: string[]) {
  return groups.reduce((s, g) => s + (usage[g]?.cpuUs ?? 0), 0);
}

async function drive(url: string, rate: number, proofs: string[], label: string): Promise<LoadResult> {
  return runLoad({
    ...stepLoad(url, rate, durationSec, proofs, candidates, driving),
    onTick: (t) => {
      if (Math.round(t.elapsedSec) % 10 === 0) log(`${label}: ${Math.round(t.elapsedSec)} s, sent ${t.sent}, in flight ${t.outstanding}, dropped ${t.dropped}`);
    },
  });
}

async function voteStep(stack: Stack, groups: ProcessGroups, rate: number, kind: 'votes' | 'votes+results'): Promise<StepReport> {
  const scheduled = rate * durationSec;
  log(`${kind} ${rate}/s: presolving ${scheduled} proofs`);
  const t = performance.now();
  const beforeSolve = groups.snapshot();
  // Through nginx, as a page's first vote fetches its challenge: the stack's CPU per GET /api/challenge
  // is what a first vote costs on top of a repeat vote (whose challenge rides on the previous 202, and
  // is created inside the vote's own figures below).
  const proofs = await presolve(stack.url, scheduled, { concurrency: 32 });
  const solveUsage = usageBetween(beforeSolve, groups.snapshot());
  const challengeCpuUs = cpuOf(solveUsage, ['nginx', 'api']) / scheduled;
  log(`presolved in ${((performance.now() - t) / 1000).toFixed(1)} s; settling`);
  const brokerIdle = await idleRate(groups, 'rabbitmq', 3000);
  const base = await resultsTotal(stack.apiUrl);
  const publishedBefore = await publishedMessages(stack.apiUrl);
  const loadAvgBefore = loadavg();
  const before = groups.snapshot();
  const selfBefore = process.cpuUsage();
  const busyBefore = machineBusyUs();
  const loadStart = performance.now();
  const votes = drive(stack.url, rate, proofs, `${kind} ${rate}/s`);
  const reads = kind === 'votes+results' ? runLoad({ url: `${stack.url}/api/results`, method: 'GET', ratePerSec: resultsRate, durationSec, connections: 64, warmConnections: true }) : null;
  const r = await votes;
  const rr = await reads;
  // Counting: wait for the results URL to show every accepted vote (or give up: the rest is lost).
  const expected = base + r.accepted.length;
  let counted = await resultsTotal(stack.apiUrl);
  let countedAt = Date.now();
  const deadline = Date.now() + 60_000;
  while (counted < expected && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 50));
    counted = await resultsTotal(stack.apiUrl);
    countedAt = Date.now();
  }
  const after = groups.snapshot();
  const self = process.cpuUsage(selfBefore);
  const busy = machineBusyUs() - busyBefore;
  const wallUs = (performance.now() - loadStart) * 1000;
  // One more snapshot period, so a vote counted twice has time to show.
  await new Promise((res) => setTimeout(res, 1500));
  counted = (await resultsTotal(stack.apiUrl)) - base;
  const publishedAfter = await publishedMessages(stack.apiUrl);
  const votesPerMessage = (publishedAfter.votes - publishedBefore.votes) / (publishedAfter.messages - publishedBefore.messages);
  const depths = await stack.queueDepths();
  const cpu = usageBetween(before, after);
  const accepted = r.accepted.length;
  const audit = auditByVoteId(stack.storePath, r.accepted, counted);
  const report: StepReport = {
    kind,
    ...loadFigures(r, rate, durationSec, scheduled),
    lastCountedAfterMs: r.lastAcceptedAt ? countedAt - r.lastAcceptedAt : 0,
    counted,
    lost: audit.lost,
    doubled: audit.doubled,
    lostByTotals: Math.max(0, accepted - counted),
    doubledByTotals: Math.max(0, counted - accepted),
    deadLettered: depths.dead,
    cpu,
    cpuUsPerVote: accepted ? cpuOf(cpu, STACK_GROUPS) / accepted : 0,
    cpuUsPerVoteWithoutBroker: accepted ? cpuOf(cpu, STACK_GROUPS.filter((g) => g !== 'rabbitmq')) / accepted : 0,
    brokerIdleCores: brokerIdle,
    cpuUsPerVoteNetOfBrokerIdle: accepted ? (cpuOf(cpu, STACK_GROUPS) - brokerIdle * wallUs) / accepted : 0,
    loadGeneratorCpuUs: self.user + self.system,
    loadAvgBefore,
    otherProcessesCores: (busy - cpuOf(cpu, Object.keys(cpu)) - self.user - self.system) / wallUs,
    challengeCpuUs,
    ...(Number.isFinite(votesPerMessage) ? { votesPerMessage } : {}),
  };
  if (rr) report.results = { rate: resultsRate, sent: rr.sent, statuses: rr.statuses, networkErrors: rr.errors, latency: rr.latency };
  log(
    `${kind} ${rate}/s: accepted ${accepted}/${scheduled}, p50 ${r.latency.p50.toFixed(1)} p99 ${r.latency.p99.toFixed(1)} max ${r.latency.max.toFixed(1)} ms, ` +
      `statuses ${JSON.stringify(r.statuses)}, errors ${r.errors}, dropped ${r.dropped}, counted ${counted} (+${report.lastCountedAfterMs} ms), ` +
      `lost ${audit.lost} doubled ${audit.doubled} (by vote id), CPU ${report.cpuUsPerVote.toFixed(0)} µs/vote ${JSON.stringify(Object.fromEntries(Object.entries(cpu).map(([g, u]) => [g, Math.round(u.cpuUs / Math.max(1, accepted))])))}, ${votesPerMessage.toFixed(2)} votes/message (+ ${challengeCpuUs.toFixed(0)} µs for a first vote's GET /api/challenge through nginx)${rr ? `, results p99 ${rr.latency.p99.toFixed(1)} ms` : ''}`,
  );
  return report;
}

/**
 * A comparison system behind nginx rendered from the same template: the do-nothing Express app
 * (`baseline`), or the bare pipeline (`floor`: node:http → quorum queue with confirms → consumer).
 */
async function startComparison(kind: 'baseline' | 'floor'): Promise<{ url: string; groups: ProcessGroups; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `paredao-${kind}-`));
  const [appPort, httpPort] = [await freePort(), await freePort()];
  const queue = `bench-floor-${process.pid}-${Date.now()}`;
  // Reached over a Unix socket, as the stack's api is (API_SOCKET in testkit/src/stack.ts and ./run.sh).
  const socket = join(dir, 'app.sock');
  const env = { ...extraEnv, PATH: process.env.PATH, HOME: process.env.HOME, API_PORT: String(appPort), API_SOCKET: socket, HTTP_PORT: String(httpPort), RATE_LIMIT_PER_IP: '0', AMQP_URL };
  const rendered = spawnSync(join(ROOT, 'proxy/render-local.sh'), [join(dir, 'nginx')], { env, encoding: 'utf8' });
  if (rendered.status !== 0) throw new Error(`render-local.sh failed: ${rendered.stderr}`);
  const procs: ChildProcess[] = [];
  const groups: Record<string, number[]> = {};
  if (kind === 'baseline') {
    const app = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline-app.ts'], { cwd: ROOT, env: { ...env, BASELINE_PORT: String(appPort), BASELINE_SOCKET: socket, BASELINE_WORKERS: String(apiWorkers) }, stdio: 'ignore' });
    procs.push(app);
    groups.api = [app.pid!];
  } else {
    const consumer = spawn(process.execPath, ['--import', 'tsx', 'bench/floor-app.ts'], { cwd: ROOT, env: { ...env, FLOOR_ROLE: 'consumer', FLOOR_QUEUE: queue }, stdio: 'ignore' });
    const app = spawn(process.execPath, ['--import', 'tsx', 'bench/floor-app.ts'], { cwd: ROOT, env: { ...env, FLOOR_ROLE: 'http', FLOOR_QUEUE: queue, FLOOR_PORT: String(appPort), FLOOR_SOCKET: socket, FLOOR_WORKERS: String(apiWorkers) }, stdio: 'ignore' });
    procs.push(consumer, app);
    groups.api = [app.pid!];
    groups.consumer = [consumer.pid!];
    groups.rabbitmq = brokerPids();
  }
  const nginx = spawn('nginx', ['-c', join(dir, 'nginx/nginx.conf'), '-p', join(dir, 'nginx')], { cwd: ROOT, env, stdio: 'ignore' });
  procs.push(nginx);
  groups.nginx = [nginx.pid!];
  const url = `http://127.0.0.1:${httpPort}`;
  await waitFor(`${kind} app behind nginx`, async () => (await fetch(`${url}/api/paredao`)).ok, 30_000);
  return {
    url,
    groups: new ProcessGroups(groups),
    async stop() {
      for (const p of procs.reverse()) await stopProcess(p);
      if (kind === 'floor') await deleteQueues(queue);
    },
  };
}

/**
 * Cores' worth of CPU a group uses while this system is idle, over `ms`: for the shared broker, the
 * traffic of everyone else on it (other engineers' tests), to be told apart from ours.
 */
async function idleRate(groups: ProcessGroups, group: string, ms: number): Promise<number> {
  const before = groups.snapshot();
  const t = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const used = usageBetween(before, groups.snapshot())[group]?.cpuUs ?? 0;
  return used / ((performance.now() - t) * 1000);
}

/**
 * This stack's RabbitMQ: the process listening on the AMQP port (and its children), not every
 * beam.smp on the machine (other engineers' cluster nodes, for one).
 */
function brokerPids(): number[] {
  const port = new URL(AMQP_URL).port || '5672';
  const out = sh('ss', ['-Hltnp', `sport = :${port}`]);
  const pids = [...new Set([...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
  return pids.length ? pids : pgrep('beam.smp');
}

async function baselineStep(kind: 'baseline' | 'floor', url: string, groups: ProcessGroups, rate: number, body: string): Promise<StepReport> {
  const scheduled = rate * durationSec;
  const brokerIdle = kind === 'floor' ? await idleRate(groups, 'rabbitmq', 3000) : 0;
  const loadAvgBefore = loadavg();
  const before = groups.snapshot();
  const selfBefore = process.cpuUsage();
  const busyBefore = machineBusyUs();
  const loadStart = performance.now();
  const r = await drive(url, rate, new Array<string>(scheduled).fill(body), `${kind} ${rate}/s`);
  const cpu = usageBetween(before, groups.snapshot());
  const self = process.cpuUsage(selfBefore);
  const busy = machineBusyUs() - busyBefore;
  const wallUs = (performance.now() - loadStart) * 1000;
  const accepted = r.accepted.length;
  log(`${kind} ${rate}/s: accepted ${accepted}/${scheduled}, p50 ${r.latency.p50.toFixed(1)} p99 ${r.latency.p99.toFixed(1)} ms, statuses ${JSON.stringify(r.statuses)}, CPU ${(accepted ? cpuOf(cpu, Object.keys(cpu)) / accepted : 0).toFixed(0)} µs/request`);
  return {
    kind,
    ...loadFigures(r, rate, durationSec, scheduled),
    cpu,
    cpuUsPerVote: accepted ? cpuOf(cpu, Object.keys(cpu)) / accepted : 0,
    cpuUsPerVoteWithoutBroker: accepted ? cpuOf(cpu, ['nginx', 'api', 'consumer']) / accepted : 0,
    brokerIdleCores: brokerIdle,
    cpuUsPerVoteNetOfBrokerIdle: accepted ? (cpuOf(cpu, Object.keys(cpu)) - brokerIdle * wallUs) / accepted : 0,
    loadGeneratorCpuUs: self.user + self.system,
    loadAvgBefore,
    otherProcessesCores: (busy - cpuOf(cpu, Object.keys(cpu)) - self.user - self.system) / wallUs,
  };
}

function sh(cmd: string, argv: string[]): string {
  try {
    const r = spawnSync(cmd, argv, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  } catch {
    return '';
  }
}

async function machine() {
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  let rabbitmq = 'unknown';
  try {
    const conn = await connectAny();
    rabbitmq = String((conn.connection as unknown as { serverProperties?: { version?: string } }).serverProperties?.version ?? 'unknown');
    await conn.close();
  } catch {
    // reported as unknown
  }
  return {
    cpuModel,
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    nginx: sh('nginx', ['-v']).replace(/^nginx version:\s*/, ''),
    rabbitmq,
    kernel: sh('uname', ['-r']),
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    gitCommit: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    loadAvgAtStart: loadavg(),
  };
}

/** The figures every step reports, votes or baseline, from the load driver's result. */
function loadFigures(r: LoadResult, rate: number, durationSec: number, scheduled: number) {
  const accepted = r.accepted.length;
  const rate_ = errorRate(r, scheduled);
  return {
    rate,
    durationSec,
    scheduled,
    sent: r.sent,
    dropped: r.dropped,
    accepted,
    acceptedPerSec: accepted / durationSec,
    statuses: r.statuses,
    networkErrors: r.errors,
    errorRate: rate_,
    latency: r.latency,
    sendLag: r.sendLag,
    passed: r.latency.p99 <= P99_LIMIT_MS && rate_ <= ERROR_LIMIT,
  };
}

/** A GELF TCP input as Graylog has it: NUL-terminated JSON records, counted. */
async function gelfListener(): Promise<{ port: number; received: () => number; close: () => void }> {
  const { createServer } = await import('node:net');
  let received = 0;
  const server = createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0) received++;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, received: () => received, close: () => server.close() };
}

/** Log lines the services wrote to stdout (their log files in the stack's folder). */
function linesWritten(stack: Stack): number {
  let n = 0;
  for (const name of ['api', 'consumer']) {
    const path = join(stack.dir, `${name}.log`);
    if (existsSync(path)) n += readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('{')).length;
  }
  return n;
}

/** Each rate once (a rate the search or a target step already ran is reused), in the order asked. */
class StepCache {
  readonly steps = new Map<number, StepReport>();
  constructor(private readonly run: (rate: number) => Promise<StepReport>) {}
  async get(rate: number): Promise<StepReport> {
    const done = this.steps.get(rate);
    if (done) return done;
    const s = await this.run(rate);
    this.steps.set(rate, s);
    return s;
  }
  /** The ceiling by ladder and bisection; with --all-steps, every rung instead. */
  async ceiling(): Promise<CeilingSearch> {
    if (args['all-steps']) {
      for (const rate of ladder) await this.get(rate);
      const passing = ladder.filter((r) => this.steps.get(r)!.passed);
      const top = Math.max(0, ...passing);
      return { ceiling: top, firstFailing: ladder.find((r) => r > top) ?? null, capped: passing.length === ladder.length, tried: [...ladder] };
    }
    return findCeiling(async (rate) => (await this.get(rate)).passed, { ladder, resolution });
  }
  /** Steps in the order of their rates. */
  sorted(): StepReport[] {
    return [...this.steps.values()].sort((a, b) => a.rate - b.rate);
  }
}

async function main() {
  if (!existsSync(join(ROOT, 'api/dist/main.js')) || !existsSync(join(ROOT, 'consumer/dist/main.js'))) {
    throw new Error('build the services first: npx tsc -b contract core api consumer (or npm run build)');
  }
  const missing = missingMonitoring();
  if (missing.length) throw new Error(`the system runs with Prometheus and Alertmanager: ${missing.join(', ')} missing (./preflight.sh installs them)`);
  const info = await machine();
  log(`machine: ${info.cpuModel}, ${info.cores} cores, load average ${info.loadAvgAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  const env: Record<string, string> = {
    // Proofs for a whole step are solved before it starts; big steps take longer than the default 120 s.
    ANTIBOT_EXPIRY_SECONDS: '3600',
    // What production runs: the harness's debug level would log a line per vote.
    LOG_LEVEL: args['log-level'],
    ...extraEnv,
  };
  const gelf = args.gelf ? await gelfListener() : null;
  if (gelf) env.GELF_URL = `tcp://127.0.0.1:${gelf.port}`;
  // --rate-limit=N turns the per-address limits on (0: off), so their cost per vote is measured too.
  const opts = { apiWorkers, difficulty: 1, rateLimitPerIp: Number(args['rate-limit']), env };
  let stack: Stack;
  if (profileDir) {
    mkdirSync(profileDir, { recursive: true });
    // node refuses --cpu-prof in NODE_OPTIONS, so the api's command line carries it.
    stack = await startStack({ ...opts, launch: { api: ([cmd, ...rest]) => [cmd!, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...rest] } });
  } else {
    stack = await startStack(opts);
  }
  let monitoring: Monitoring | undefined;
  const stackSteps = new StepCache((rate) => voteStep(stack, groups, rate, 'votes'));
  let groups!: ProcessGroups;
  let votesCeiling: CeilingSearch;
  const mixed: StepReport[] = [];
  try {
    monitoring = await startMonitoring({ dir: stack.dir, targets: stack });
    const rabbit = brokerPids();
    groups = new ProcessGroups({
      nginx: [stack.pid('proxy')!],
      api: [stack.pid('api')!],
      consumer: [stack.pid('consumer')!],
      rabbitmq: rabbit,
      monitoring: [monitoring.pids.prometheus, monitoring.pids.alertmanager],
    });
    log(`stack up at ${stack.url} (api ${stack.apiUrl}), Prometheus ${monitoring.promUrl}, Alertmanager ${monitoring.amUrl}; RabbitMQ pids ${rabbit.join(',') || 'not found'}`);
    await warmUp(stack.url, await presolve(stack.apiUrl, WARMUP_RATE * WARMUP_SEC));
    votesCeiling = await stackSteps.ceiling();
    log(`stack ceiling ${votesCeiling.ceiling}/s${votesCeiling.capped ? ' (every rate passed)' : `, first failing ${votesCeiling.firstFailing}/s`}`);
    // The targets are stated at 1000 and 5000 votes/s: run them if the search did not.
    for (const rate of [1000, 5000]) if (!quick && !profileDir) await stackSteps.get(rate);
    if (withResultsStep) mixed.push(await voteStep(stack, groups, mixedVoteRate, 'votes+results'));
  } finally {
    await monitoring?.stop();
    await stack.stop();
    if (gelf) {
      // The services flush their GELF backlog on a graceful stop; give the last bytes a moment.
      await new Promise((r) => setTimeout(r, 1000));
      const written = linesWritten(stack);
      log(`GELF: ${gelf.received()} records received over TCP, ${written} log lines written to stdout by api and consumer${gelf.received() === written ? ' (none lost)' : ` (${written - gelf.received()} missing)`}`);
      gelf.close();
    }
  }
  const comparisons: Partial<Record<'floor' | 'baseline', { steps: StepReport[]; ceiling: CeilingSearch }>> = {};
  if (withBaseline) {
    // Same body size as a real vote: the altcha payload is most of it.
    const body = 'x'.repeat(700);
    for (const kind of ['floor', 'baseline'] as const) {
      const b = await startComparison(kind);
      try {
        await warmUp(b.url, new Array<string>(WARMUP_RATE * WARMUP_SEC).fill(body));
        const cache = new StepCache((rate) => baselineStep(kind, b.url, b.groups, rate, body));
        const ceiling = await cache.ceiling();
        log(`${kind} ceiling ${ceiling.ceiling}/s${ceiling.capped ? ' (every rate passed)' : `, first failing ${ceiling.firstFailing}/s`}`);
        // The stack's CPU is compared with the floor's at 1000 and 5000 votes/s: run them if the search did not.
        if (kind === 'floor' && !quick) for (const rate of [1000, 5000]) await cache.get(rate);
        comparisons[kind] = { steps: cache.sorted(), ceiling };
      } finally {
        await b.stop();
      }
    }
  }
  const steps = [...stackSteps.sorted(), ...mixed];
  const ratio = (c?: { ceiling: CeilingSearch }) => (c ? ceilingRatio(votesCeiling, c.ceiling) : null);
  const out: BenchOutput = {
    machine: info,
    settings: { durationSec, ladder, resolution, p99LimitMs: P99_LIMIT_MS, errorLimit: ERROR_LIMIT, connections: driving.connections, driverNice: driving.nice, resultsRate, apiWorkers, difficulty: 1, store: 'sqlite', stackProcesses: STACK_GROUPS },
    ceilings: {
      votes: votesCeiling,
      floor: comparisons.floor?.ceiling ?? null,
      baseline: comparisons.baseline?.ceiling ?? null,
      ratioToFloor: ratio(comparisons.floor),
      ratioToBaseline: ratio(comparisons.baseline),
    },
    steps,
    baseline: comparisons.baseline?.steps ?? [],
    floor: comparisons.floor?.steps ?? [],
  };
  const stamp = info.date.slice(0, 16).replace(':', '-');
  const file = fullRun ? join(ROOT, 'bench/results', `${stamp}.json`) : join(ROOT, 'bench/results/scratch', `${profileDir ? 'profile' : quick ? 'quick' : 'custom'}-${stamp}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  log(`wrote ${file}`);
  process.stdout.write(`${renderMarkdown(out)}\n`);
  if (fullRun) {
    for (const doc of writeGeneratedDocs({ bench: file.slice(ROOT.length + 1) })) log(`regenerated ${doc}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

