/**
 * Overload without collapse: the system as ./run.sh runs it (nginx, the api as one process, consumer, SQLite,
 * RabbitMQ), its ceiling found as bench/run.ts finds it (open loop through nginx, ladder then
 * bisection, p99 ≤ 100 ms and ≤ 0.1 % errors), then 2× and 3× that ceiling offered open loop. For each:
 * goodput, p99 of the accepted votes and of the refusals, crashes (api workers replaced, services gone),
 * votes lost or doubled (audited by vote id in the store), and how long after the overload a normal load
 * (half the ceiling) takes to see normal latency again: every answer a 202, p99 within twice what the
 * same load saw just before the overload (at least bench/run.ts's 100 ms), three seconds in a row.
 *
 *   npx tsx bench/overload.ts            writes bench/results/overload-<date>.json (commit it) and
 *                                        regenerates the overload section of docs/BENCHMARKS.md
 *   options: --duration=10 (s per step) --ladder=500,1000,… --resolution=250
 *            --max-in-flight=N (the api's VOTE_MAX_IN_FLIGHT; default: the api's default)
 *            --edge-in-flight=N (nginx's NGINX_VOTES_IN_FLIGHT, 0 = no bound at the edge; default: its default)
 *            --quick (short steps, a short ladder; bench/results/scratch/)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeGeneratedDocs } from '@paredao/testkit/docs';
import { presolve, runLoad, summarize } from '@paredao/testkit/load';
import { OVERLOAD_TARGETS, recoverySeconds, type OverloadOutput, type OverloadStep, type RecoveryWindow } from '@paredao/testkit/overload-report';
import { ROOT, startStack, type Stack } from '@paredao/testkit/stack';
import { auditByVoteId } from './audit.js';
import { benchApiWorkers, CEILING_ARGS, driveOptions, envPairs, ERROR_LIMIT, findCeiling, P99_LIMIT_MS, stepLoad } from './ceiling.js';

const { values: args } = parseArgs({
  options: {
    ...CEILING_ARGS,
    'max-in-flight': { type: 'string' },
    'edge-in-flight': { type: 'string' },
    /** Skip the search: multiply this rate (votes/s) as the ceiling, so A/B runs offer the same rates. */
    ceiling: { type: 'string' },
    /** A setting for the stack's services (repeatable), for A/B. */
    env: { type: 'string', multiple: true, default: [] },
  },
  strict: true,
});
const quick = args.quick;
const durationSec = Number(args.duration ?? (quick ? 5 : 10));
const ladder = args.ladder?.split(',').map(Number) ?? (quick ? [100, 250, 500, 1000] : [100, 250, 500, 1000, 1500, 2000, 3000, 4000]);
const resolution = Number(args.resolution ?? 250);
const { drive, custom: customDrive } = driveOptions(args);
const maxInFlight = args['max-in-flight'];
const edgeInFlight = args['edge-in-flight'];
const extraEnv = envPairs(args.env);
const apiWorkerCount = benchApiWorkers(extraEnv);
const fullRun = !quick && !args.duration && !args.ladder && !args.resolution && !customDrive && !maxInFlight && !edgeInFlight && args.env.length === 0 && !args.ceiling;
const candidates = ['participante-1', 'participante-2'];
/** The normal load offered while the system recovers, as a share of the ceiling, and for how long. */
const RECOVERY_SHARE = 0.5;
const RECOVERY_SEC = 10;

function log(msg: string) {
  process.stderr.write(`[overload ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function resultsTotal(stack: Stack): Promise<number> {
  const res = await fetch(`${stack.apiUrl}/api/results`);
  if (!res.ok) throw new Error(`results: HTTP ${res.status}`);
  return ((await res.json()) as { total: number }).total;
}

/** The api's worker processes (the cluster primary's children): a replaced one is a crash. */
function apiWorkers(stack: Stack): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(stack.pid('api'))], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number).sort();
  } catch {
    return [];
  }
}

const accessLogPath = (stack: Stack) => join(stack.dir, 'nginx/nginx-access.log');
const accessLogSize = (stack: Stack) => (existsSync(accessLogPath(stack)) ? statSync(accessLogPath(stack)).size : 0);

/** Votes nginx refused itself (NGINX_VOTES_IN_FLIGHT) in the access log written since byte `from`. */
function edgeRefusals(stack: Stack, from: number): number {
  const text = readFileSync(accessLogPath(stack)).subarray(from).toString('utf8');
  return text.split('\n').filter((l) => l.includes('"uri":"/api/votes"') && l.includes('"limit_conn":"REJECTED"')).length;
}

function codeOf(body: Buffer): string {
  try {
    return String((JSON.parse(body.toString()) as { error?: { code?: unknown } }).error?.code ?? '?');
  } catch {
    return 'not_json';
  }
}

/** One ceiling step: does the stack take `rate` votes/s open loop within the limits? */
async function ceilingStep(stack: Stack, rate: number, record: (s: OverloadOutput['ceilingSteps'][number]) => void): Promise<boolean> {
  const n = rate * durationSec;
  const proofs = await presolve(stack.url, n, { concurrency: 32 });
  await sleep(1000);
  const accessLogFrom = accessLogSize(stack);
  const r = await runLoad(stepLoad(stack.url, rate, durationSec, proofs, candidates, drive));
  const errorRate = (n - (r.statuses[202] ?? 0)) / n;
  const passed = r.latency.p99 <= P99_LIMIT_MS && errorRate <= ERROR_LIMIT;
  // Which admission line refused: nginx's access log is written in 64 KiB or 1 s batches.
  await sleep(1500);
  const edgeRefused = edgeRefusals(stack, accessLogFrom);
  record({ rate, p99: r.latency.p99, errorRate, passed, statuses: r.statuses, edgeRefused });
  log(`ceiling step ${rate}/s: p99 ${r.latency.p99.toFixed(1)} ms, errors ${(errorRate * 100).toFixed(2)} %, ${passed ? 'pass' : 'fail'}; statuses ${JSON.stringify(r.statuses)} (${edgeRefused} refused by nginx)`);
  return passed;
}

/**
 * Offers `multiple` × ceiling for durationSec, and from the instant that load stops, half the ceiling
 * for RECOVERY_SEC; then waits for the count and audits every 202 by vote id.
 */
async function overloadStep(stack: Stack, ceiling: number, multiple: number): Promise<OverloadStep> {
  const rate = Math.round(ceiling * multiple);
  const normalRate = Math.max(1, Math.round(ceiling * RECOVERY_SHARE));
  log(`${multiple}× = ${rate}/s: presolving ${rate * durationSec + normalRate * RECOVERY_SEC * 2} proofs`);
  const proofs = await presolve(stack.url, rate * durationSec, { concurrency: 32 });
  const normalProofs = await presolve(stack.url, normalRate * RECOVERY_SEC * 2, { concurrency: 32 });
  await sleep(2000);
  // Normal latency: the p99 of the same normal load just before the overload.
  const before = await runLoad({ url: stack.url, ratePerSec: normalRate, durationSec: RECOVERY_SEC, proofs: normalProofs.slice(RECOVERY_SEC * normalRate), candidates, connections: 64, nice: drive.nice });
  const normalP99Ms = before.latency.p99;
  const normalLimitMs = Math.max(P99_LIMIT_MS, 2 * normalP99Ms);
  const workersBefore = apiWorkers(stack);
  const accessLogFrom = accessLogSize(stack);
  const base = await resultsTotal(stack);
  const loadAvgBefore = loadavg();
  const acceptedMs: number[] = [];
  const refusedMs: number[] = [];
  const codes: Record<string, number> = {};
  const windows: { n: number; refused: number; latencies: number[] }[] = Array.from({ length: RECOVERY_SEC }, () => ({ n: 0, refused: 0, latencies: [] }));

  const over = runLoad({
    ...stepLoad(stack.url, rate, durationSec, proofs, candidates, drive),
    onAnswer: (a) => {
      if (a.status === 202) return void acceptedMs.push(a.latencyMs);
      refusedMs.push(a.latencyMs);
      const code = codeOf(a.body);
      codes[`${a.status} ${code}`] = (codes[`${a.status} ${code}`] ?? 0) + 1;
    },
  });
  // The normal load starts as the overload's last request is due, not once its stragglers are answered.
  await sleep(durationSec * 1000);
  const normal = runLoad({
    url: stack.url,
    ratePerSec: normalRate,
    durationSec: RECOVERY_SEC,
    proofs: normalProofs.slice(0, RECOVERY_SEC * normalRate),
    candidates,
    connections: 64,
    nice: drive.nice,
    onAnswer: (a) => {
      const w = windows[Math.min(RECOVERY_SEC - 1, Math.floor(a.dueMs / 1000))]!;
      w.n++;
      if (a.status !== 202) w.refused++;
      w.latencies.push(a.latencyMs);
    },
  });
  const [r, nr] = await Promise.all([over, normal]);
  const accepted = [...before.accepted, ...r.accepted, ...nr.accepted];
  const expected = base + accepted.length;
  const deadline = Date.now() + 60_000;
  let counted = await resultsTotal(stack);
  while (counted < expected && Date.now() < deadline) {
    await sleep(100);
    counted = await resultsTotal(stack);
  }
  await sleep(1500); // one more snapshot, so a vote counted twice has time to show
  counted = (await resultsTotal(stack)) - base;
  const audit = auditByVoteId(stack.storePath, accepted, counted);
  const edgeRefused = edgeRefusals(stack, accessLogFrom);
  const workersAfter = apiWorkers(stack);
  const replaced = workersBefore.filter((p) => !workersAfter.includes(p)).length;
  const servicesDown = (['api', 'consumer', 'proxy'] as const).filter((s) => {
    const pid = stack.pid(s);
    if (pid === undefined) return true;
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
  const recovery: RecoveryWindow[] = windows.map((w, i) => {
    const p99 = summarize(Float64Array.from(w.latencies)).p99;
    return { second: i + 1, answered: w.n, refused: w.refused, p99Ms: p99, normal: w.n > 0 && w.refused === 0 && p99 <= normalLimitMs };
  });
  const recoverySec = recoverySeconds(recovery);
  const step: OverloadStep = {
    multiple,
    rate,
    durationSec,
    loadAvgBefore,
    sent: r.sent,
    dropped: r.dropped,
    networkErrors: r.errors,
    statuses: r.statuses,
    refusals: codes,
    edgeRefused,
    acceptedPerSec: r.accepted.length / durationSec,
    acceptedP99Ms: summarize(Float64Array.from(acceptedMs)).p99,
    refusedP99Ms: summarize(Float64Array.from(refusedMs)).p99,
    sendLagP99Ms: r.sendLag.p99,
    apiWorkersReplaced: replaced,
    servicesDown: [...servicesDown],
    counted,
    lost: audit.lost,
    doubled: audit.doubled,
    recoveryRate: normalRate,
    normalP99Ms,
    normalLimitMs,
    recoverySec,
    recovery,
  };
  log(
    `${multiple}× ${rate}/s: goodput ${step.acceptedPerSec.toFixed(0)}/s, accepted p99 ${step.acceptedP99Ms.toFixed(1)} ms, refused p99 ${step.refusedP99Ms.toFixed(1)} ms, ` +
      `refusals ${JSON.stringify(codes)} (${edgeRefused} by nginx), network errors ${r.errors}, dropped ${r.dropped}, workers replaced ${replaced}, lost ${audit.lost}, doubled ${audit.doubled}, recovery ${recoverySec ?? `> ${RECOVERY_SEC}`} s`,
  );
  return step;
}

async function main() {
  if (!existsSync(join(ROOT, 'api/dist/main.js'))) throw new Error('build the services first: npm run build');
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const loadAvgAtStart = loadavg();
  log(`machine: ${cpuModel}, ${cpus().length} cores, load average ${loadAvgAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  const stack = await startStack({ apiWorkers: apiWorkerCount, difficulty: 1, env: { ANTIBOT_EXPIRY_SECONDS: '3600', LOG_LEVEL: 'info', ...(maxInFlight ? { VOTE_MAX_IN_FLIGHT: maxInFlight } : {}), ...(edgeInFlight ? { NGINX_VOTES_IN_FLIGHT: edgeInFlight } : {}), ...extraEnv } });
  const ceilingSteps: OverloadOutput['ceilingSteps'] = [];
  const steps: OverloadStep[] = [];
  let search;
  try {
    const warm = await presolve(stack.url, 1600);
    await runLoad({ url: stack.url, ratePerSec: 200, durationSec: 8, proofs: warm, candidates, connections: 32 });
    const given = args.ceiling === undefined ? null : Number(args.ceiling);
    search = given === null ? await findCeiling((rate) => ceilingStep(stack, rate, (s) => ceilingSteps.push(s)), { ladder, resolution }) : { ceiling: given, firstFailing: null, capped: false, tried: [] };
    log(`ceiling ${search.ceiling}/s${search.capped ? ' (every rate passed: raise the ladder)' : ''}`);
    if (search.ceiling === 0) throw new Error('the first rung failed: no ceiling to multiply');
    for (const multiple of [2, 3]) steps.push(await overloadStep(stack, search.ceiling, multiple));
  } finally {
    await stack.stop();
  }
  const date = new Date().toISOString();
  const out: OverloadOutput = {
    machine: {
      cpuModel,
      cores: cpus().length,
      node: process.version,
      date,
      command: `npx tsx bench/overload.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
      gitCommit: execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
      loadAvgAtStart,
    },
    settings: { durationSec, ladder, resolution, p99LimitMs: P99_LIMIT_MS, errorLimit: ERROR_LIMIT, connections: drive.connections, driverNice: drive.nice, apiWorkers: apiWorkerCount, recoveryShare: RECOVERY_SHARE, recoverySec: RECOVERY_SEC, admission: [maxInFlight ? `VOTE_MAX_IN_FLIGHT=${maxInFlight}` : '', edgeInFlight ? `NGINX_VOTES_IN_FLIGHT=${edgeInFlight}` : ''].filter(Boolean).join(', ') || 'NGINX_VOTES_IN_FLIGHT, VOTE_MAX_IN_FLIGHT and VOTE_RETRY_AFTER_SECONDS at their defaults' },
    targets: OVERLOAD_TARGETS,
    ceiling: search,
    ceilingSteps,
    steps,
  };
  const stamp = date.slice(0, 16).replace(':', '-');
  const file = fullRun ? join(ROOT, 'bench/results', `overload-${stamp}.json`) : join(ROOT, 'bench/results/scratch', `overload-${stamp}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  log(`wrote ${file}`);
  if (fullRun) for (const doc of writeGeneratedDocs({ overload: file.slice(ROOT.length + 1) })) log(`regenerated ${doc}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
