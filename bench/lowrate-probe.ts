/**
 * Where the CPU of an ordinary rate goes, per process: the system as the bench starts it (nginx, the api
 * as API_WORKERS says, one process by default, consumer, RabbitMQ, Prometheus and Alertmanager), measured idle and
 * then under open-loop votes at each given rate. Per process: CPU µs (per second idle, per vote under load)
 * and voluntary context switches (≈ wakeups: each time the process slept and was woken).
 *
 *   flock /work/bench.lock npx tsx bench/lowrate-probe.ts [--idle=30] [--rates=1000,5000] [--duration=20] [--env=KEY=VALUE ...]
 *     [--profile-consumer=DIR]  (the consumer started with --cpu-prof into DIR; see bench/cpuprofile-top.ts)
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { presolve, runLoad } from '@paredao/testkit/load';
import { startMonitoring } from '@paredao/testkit/monitoring';
import { startStack } from '@paredao/testkit/stack';
import { benchApiWorkers, envPairs, stepLoad } from './ceiling.js';
import { pgrep, processTree } from './procstat.js';

const { values: args } = parseArgs({
  options: {
    idle: { type: 'string', default: '30' },
    rates: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '20' },
    env: { type: 'string', multiple: true, default: [] },
    /** Also an idle phase with this many GET /metrics per second on the api: what one aggregated scrape costs. */
    scrapes: { type: 'string', default: '0' },
    'profile-consumer': { type: 'string' },
  },
  strict: true,
});
const env = envPairs(args.env);
const apiWorkers = benchApiWorkers(env);
const CLK_TCK = 100;

interface P {
  cpuUs: number;
  wakeups: number;
  name: string;
}
function read(pid: number, label: string): P | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    let wakeups = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const st = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      wakeups += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(st)?.[1] ?? 0);
    }
    return { cpuUs: ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK, wakeups, name: label };
  } catch {
    return null;
  }
}

const profileDir = args['profile-consumer'];
if (profileDir) mkdirSync(profileDir, { recursive: true });
const stack = await startStack({
  apiWorkers,
  difficulty: 1,
  rateLimitPerIp: 0,
  env: { ANTIBOT_EXPIRY_SECONDS: '3600', LOG_LEVEL: 'info', ...env },
  // node refuses --cpu-prof in NODE_OPTIONS, so the consumer's command line carries it.
  ...(profileDir ? { launch: { consumer: ([cmd, ...rest]: string[]) => [cmd!, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...rest] } } : {}),
});
const monitoring = await startMonitoring({ dir: stack.dir, targets: stack });
const rabbit = pgrep('beam.smp');
function labelled(): Map<number, string> {
  const out = new Map<number, string>();
  const add = (root: number, name: string, childName: string) => processTree(root).forEach((p, i) => out.set(p, i === 0 ? name : `${childName}#${i}`));
  add(stack.pid('proxy')!, 'nginx master', 'nginx worker');
  add(stack.pid('api')!, apiWorkers > 1 ? 'api primary' : 'api', 'api worker');
  add(stack.pid('consumer')!, 'consumer', 'consumer child');
  for (const r of rabbit) add(r, 'rabbitmq beam', 'rabbitmq child');
  add(monitoring.pids.prometheus, 'prometheus', 'prometheus child');
  add(monitoring.pids.alertmanager, 'alertmanager', 'alertmanager child');
  return out;
}
function snap(): Map<number, P> {
  const out = new Map<number, P>();
  for (const [pid, name] of labelled()) {
    const p = read(pid, name);
    if (p) out.set(pid, p);
  }
  return out;
}
function diff(a: Map<number, P>, b: Map<number, P>, per: number, unit: string, title: string) {
  console.log(`\n#### ${title}\n\n| process | CPU ${unit} | wakeups ${unit === 'µs/s' ? '/s' : 'per vote'} |\n|---|---:|---:|`);
  let cpu = 0;
  let wk = 0;
  for (const [pid, p] of b) {
    const q = a.get(pid);
    if (!q) continue;
    const c = (p.cpuUs - q.cpuUs) / per;
    const w = (p.wakeups - q.wakeups) / per;
    cpu += c;
    wk += w;
    if (c > 0 || w > 0.01) console.log(`| ${p.name} (${pid}) | ${c.toFixed(unit === 'µs/s' ? 0 : 1)} | ${w.toFixed(unit === 'µs/s' ? 0 : 2)} |`);
  }
  console.log(`| **total** | ${cpu.toFixed(unit === 'µs/s' ? 0 : 1)} | ${wk.toFixed(2)} |`);
}

try {
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; env ${JSON.stringify(env)}`);
  await runLoad({ url: stack.url, ratePerSec: 200, durationSec: 8, proofs: await presolve(stack.apiUrl, 1600), candidates: ['participante-1', 'participante-2'], connections: 32 });
  await new Promise((r) => setTimeout(r, 3000));
  const idle = Number(args.idle);
  if (idle > 0) {
    const a = snap();
    await new Promise((r) => setTimeout(r, idle * 1000));
    diff(a, snap(), idle, 'µs/s', `idle, ${idle} s (load average before ${loadavg()[0]!.toFixed(2)})`);
  }
  const scrapes = Number(args.scrapes);
  if (idle > 0 && scrapes > 0) {
    const a = snap();
    let n = 0;
    const until = Date.now() + idle * 1000;
    while (Date.now() < until) {
      await (await fetch(`${stack.apiUrl}/metrics`)).text();
      n++;
      await new Promise((r) => setTimeout(r, 1000 / scrapes));
    }
    diff(a, snap(), idle, 'µs/s', `idle with ${n} GET /metrics on the api in ${idle} s`);
  }
  for (const rate of args.rates.split(',').map(Number)) {
    const duration = Number(args.duration);
    const proofs = await presolve(stack.url, rate * duration, { concurrency: 32 });
    await new Promise((r) => setTimeout(r, 3000));
    const la = loadavg()[0]!;
    const a = snap();
    const r = await runLoad(stepLoad(stack.url, rate, duration, proofs, ['participante-1', 'participante-2']));
    await new Promise((r) => setTimeout(r, 1000));
    const b = snap();
    diff(a, b, r.accepted.length, 'µs/vote', `${rate}/s for ${duration} s: ${r.accepted.length} accepted, p50 ${r.latency.p50.toFixed(1)} p99 ${r.latency.p99.toFixed(1)} ms, statuses ${JSON.stringify(r.statuses)} (load average before ${la.toFixed(2)})`);
  }
} finally {
  await monitoring.stop?.();
  await stack.stop();
}
