// npm run faults: runs the fault scenarios of issues 8 and 15 under sustained load against the real
// stack on this machine, prints the table and writes it into docs/RELIABILITY.md (between the markers).
// Scenarios 1-5 need RabbitMQ on 127.0.0.1:5672 and permission to run rabbitmqctl (scenario 2 stops the
// broker's app for a few seconds; it is always started again, see restartBroker). Scenarios 6-9 start
// their own three-node cluster (scripts/rabbitmq-cluster.sh, temporary folder and free ports) and stop
// it at the end. Takes about 15 minutes.
//
//   npm run faults                 all scenarios
//   npm run faults -- 1 3          only scenarios 1 and 3
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { clusterUnavailable, LocalCluster } from '../tests/support/cluster.js';
import { brokerAvailable, clusterScenarios, runScenario, scenarios, type FaultRow, type Scenario } from './scenarios.js';

const ROOT = resolve(import.meta.dirname, '..');
/** What else the machine was doing, as the run began (it used to be a fixed sentence about other people's work). */
const loadAtStart = loadavg().map((l) => l.toFixed(1)).join(' / ');
const DOC = resolve(ROOT, 'docs/RELIABILITY.md');
const BEGIN = '<!-- faults:begin (written by npm run faults) -->';
const END = '<!-- faults:end -->';

const all: [string, () => Scenario][] = [
  ['1', () => scenarios.consumerKill(300, 30)],
  ['2', () => scenarios.brokerRestart(300, 20, 4000)],
  ['3', () => scenarios.storeLocked(300, 45, 30_000)],
  ['4', () => scenarios.apiWorkerTerm(300, 30)],
  ['5', () => scenarios.apiWorkerKill(300, 30)],
];
// Need the cluster, started once for all of them (after the single-broker scenarios).
const onCluster: [string, (c: LocalCluster) => Scenario][] = [
  ['6', (c) => clusterScenarios.leaderKill(c, 300, 30, 5000)],
  ['7', (c) => clusterScenarios.leaderStopApp(c, 300, 30, 8000)],
  ['8', (c) => clusterScenarios.rollingRestart(c, 300, 90)],
  ['9', (c) => clusterScenarios.oneNodeDown(c, 300, 30)],
];
const picked = process.argv.slice(2);
const chosen = all.filter(([id]) => picked.length === 0 || picked.includes(id));

const log = (m: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${m}`);
const build = spawnSync('npx', ['tsc', '-b', 'core', 'api', 'consumer'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const brokerProblem = brokerAvailable();

const rows: FaultRow[] = [];
for (const [id, make] of chosen) {
  if (id === '2' && brokerProblem) {
    console.warn(`SKIPPED scenario 2: ${brokerProblem}`);
    continue;
  }
  rows.push(await runScenario(make(), log));
}
const chosenOnCluster = onCluster.filter(([id]) => picked.length === 0 || picked.includes(id));
if (chosenOnCluster.length) {
  const why = clusterUnavailable();
  if (why) console.warn(`SKIPPED scenarios ${chosenOnCluster.map(([id]) => id).join(', ')}: ${why}`);
  else {
    log('starting a three-node RabbitMQ cluster (scripts/rabbitmq-cluster.sh)');
    const cluster = await new LocalCluster().start();
    try {
      for (const [, make] of chosenOnCluster) {
        await cluster.restartStopped(); // every scenario begins with three running nodes
        rows.push(await runScenario(make(cluster), log));
      }
    } finally {
      await cluster.stop();
    }
  }
}

const statusText = (s: Record<string, number>) =>
  Object.entries(s)
    .filter(([k]) => k !== '202')
    .map(([k, v]) => `${v}× ${k}`)
    .join(', ') || '—';
const header = '| scenario | fault | load | requests | 202 | other answers | voters saw errors for | counted | lost | counted without 202 | doubled | hourly adds up | DLQ | all 202 counted after | notes | measured (UTC) |';
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
const rowLine = (r: FaultRow) =>
  `| ${r.scenario} | ${r.fault} | ${r.ratePerSec}/s × ${r.durationSec} s | ${r.requests} | ${r.accepted} | ${statusText(r.statuses)}${r.retries ? ` (${r.retries} retried with a new proof${r.gaveUp ? `, ${r.gaveUp} given up` : ''})` : ''} | ${r.errorSpanSec === null ? 'never' : `${r.errorSpanSec.toFixed(1)} s`} | ${r.counted} | **${r.lost}** | ${r.extraWithout202}${r.unknown ? ` (+${r.unknown} unknown!)` : ''} | **${r.doubled}** | ${r.hourlyAddsUp ? 'yes' : '**no**'} | ${r.dead} | ${r.drainSec.toFixed(1)} s | ${r.notes} | ${when} |`;
/** Rows measured before the "voters saw errors for" column get "not measured" in it. */
function withErrorColumn(line: string): string {
  const cells = line.split(' | ');
  return cells.length === header.split(' | ').length ? line : [...cells.slice(0, 6), 'not measured', ...cells.slice(6)].join(' | ');
}
const cpu = cpus();
const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}, host ${hostname()}`;

const doc = readFileSync(DOC, 'utf8');
const from = doc.indexOf(BEGIN);
const to = doc.indexOf(END);
if (from < 0 || to < 0) throw new Error(`markers not found in ${DOC}`);
// A partial run (npm run faults -- 2) replaces its own rows and keeps the others.
const byScenario = new Map<string, string>();
for (const l of doc.slice(from, to).split('\n')) {
  const m = /^\| (\d+)\. /.exec(l);
  if (m) byScenario.set(m[1]!, l);
}
for (const r of rows) byScenario.set(r.scenario.split('.')[0]!, rowLine(r));
const lines = [header, '|---|---|---|--:|--:|---|--:|--:|--:|--:|--:|---|--:|--:|---|---|', ...[...byScenario].sort(([a], [b]) => Number(a) - Number(b)).map(([, l]) => withErrorColumn(l))];
const block = [
  BEGIN,
  '',
  `Machine: ${machine}. The driver, nginx, api ×2, consumer, RabbitMQ (one node for 1-5, three for 6-9) and SQLite all run on it; load average (1 / 5 / 15 min) when this run began: ${loadAtStart}.`,
  '',
  ...lines,
  '',
  END,
].join('\n');

console.log(`\n${lines.join('\n')}\n`);
writeFileSync(DOC, doc.slice(0, from) + block + doc.slice(to + END.length));
console.log(`written to ${DOC}`);
const bad = rows.filter((r) => r.lost || r.doubled || r.unknown || r.dead || !r.hourlyAddsUp);
if (bad.length) {
  console.error(`FAILED: ${bad.map((r) => r.scenario).join(', ')}`);
  process.exit(1);
}
