// npm run faults: runs the fault scenarios under sustained load against the real stack on this
// machine, prints the table and writes the raw rows to faults/results/<date>.json, from which
// docs/RELIABILITY.md's table is generated (npm run gen:docs).
// Scenarios 1-5 need RabbitMQ on 127.0.0.1:5672 and permission to run rabbitmqctl (scenario 2 stops the
// broker's app for a few seconds; it is always started again, see restartBroker). Scenarios 6-9 start
// their own three-node cluster (scripts/rabbitmq-cluster.sh, temporary folder and free ports) and stop
// it at the end. Scenario 10 is the Voto Único (testkit/src/fault-unico.ts): voters double-submitting
// while the consumer is SIGKILLed and the broker restarted. Takes about 15 minutes.
//
//   npm run faults                 all scenarios
//   npm run faults -- 1 3          only scenarios 1 and 3
//   npm run faults -- --env=PROOF_CLAIMS=store 5   a setting for the services of scenarios 1-9 (repeatable)
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { clusterUnavailable, LocalCluster } from '@paredao/testkit/cluster';
import { renderFaults, type FaultsOutput } from '@paredao/testkit/fault-report';
import type { FaultRow } from '@paredao/testkit/fault-audit';
import { brokerAvailable, clusterScenarios, runScenario, scenarios, type Scenario } from '@paredao/testkit/fault-scenarios';
import { runUnicoScenario } from '@paredao/testkit/fault-unico';

const ROOT = resolve(import.meta.dirname, '..');
/** What else the machine was doing as the run began, recorded in the run's own output. */
const loadAvgAtStart = loadavg();
const startedAt = new Date().toISOString();

/**
 * A short dedup window, so applied ids are pruned while the faults happen (docs/ARCHITECTURE.md,
 * "Bounded storage"): the consumer's slack is 10 s of proof lifetime + 10 s (twice the publish
 * timeout) and it prunes every 2 s. The api's proofs keep their default lifetime (the driver solves
 * them all before the load starts, and retries with a new proof, never the same one), so the window is
 * shorter than a real deployment's: a redelivery or resend it misses would show as lost or doubled.
 * Scenario 12 retries with the same proof, as the page does, so it sets a window as long as its proofs live.
 */
const SHORT_WINDOW = { DEDUP_PROOF_EXPIRY_SECONDS: '10', DEDUP_RESEND_MS: '10000', DEDUP_MARGIN_MS: '0', PRUNE_INTERVAL_MS: '2000' };
const args = process.argv.slice(2);
/** Settings given with --env=KEY=VALUE, for every scenario's stack (after the short window's). */
const extraEnv = Object.fromEntries(args.filter((a) => a.startsWith('--env=')).map((a) => a.slice('--env='.length).split(/=(.*)/s).slice(0, 2) as [string, string]));
const withShortWindow = (s: Scenario): Scenario => ({ ...s, stack: { ...s.stack, env: { ...SHORT_WINDOW, ...s.stack?.env, ...extraEnv } } });

const all: [string, () => Scenario][] = [
  ['1', () => scenarios.consumerKill(300, 30)],
  ['2', () => scenarios.brokerRestart(300, 20, 4000)],
  ['3', () => scenarios.storeLocked(300, 45, 30_000)],
  ['4', () => scenarios.apiWorkerTerm(300, 30)],
  ['5', () => scenarios.apiWorkerKill(300, 30)],
  ['11', () => scenarios.apiKill(300, 30)],
  ['12', () => scenarios.apiKillPageRetry(300, 30)],
];
// Need the cluster, started once for all of them (after the single-broker scenarios).
const onCluster: [string, (c: LocalCluster) => Scenario][] = [
  ['6', (c) => clusterScenarios.leaderKill(c, 300, 30, 5000)],
  ['7', (c) => clusterScenarios.leaderStopApp(c, 300, 30, 8000)],
  ['8', (c) => clusterScenarios.rollingRestart(c, 300, 90)],
  ['9', (c) => clusterScenarios.oneNodeDown(c, 300, 30)],
];
const picked = args.filter((a) => !a.startsWith('--'));
const chosen = all.filter(([id]) => picked.length === 0 || picked.includes(id));

const log = (m: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${m}`);
const build = spawnSync('npx', ['tsc', '-b', 'contract', 'core', 'api', 'consumer'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const brokerProblem = brokerAvailable();

const rows: FaultRow[] = [];
for (const [id, make] of chosen) {
  if (id === '2' && brokerProblem) {
    console.warn(`SKIPPED scenario 2: ${brokerProblem}`);
    continue;
  }
  rows.push(await runScenario(withShortWindow(make()), log));
}
// Voto Único: 100 voters/s, each two attempts at once (200 requests/s), for 30 s; it restarts the broker too.
if (picked.length === 0 || picked.includes('10')) {
  if (brokerProblem) console.warn(`SKIPPED scenario 10: ${brokerProblem}`);
  else rows.push(await runUnicoScenario({ votersPerSec: 100, durationSec: 30 }, log));
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
        rows.push(await runScenario(withShortWindow(make(cluster)), log));
      }
    } finally {
      await cluster.stop();
    }
  }
}

const finishedAt = new Date().toISOString();
const out: FaultsOutput = {
  machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`,
  command: `npm run faults${args.length ? ` -- ${args.join(' ')}` : ''}`,
  gitCommit: spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim(),
  startedAt,
  finishedAt,
  loadAvgAtStart,
  rows,
};
const file = resolve(ROOT, 'faults/results', `${startedAt.slice(0, 16).replace(':', '-')}.json`);
mkdirSync(resolve(file, '..'), { recursive: true });
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`\n${renderFaults([{ source: file.slice(ROOT.length + 1), out }])}\n`);
console.log(`raw output: ${file} (commit it; npm run gen:docs -- --faults ${file.slice(ROOT.length + 1)} puts it into docs/RELIABILITY.md)`);
const bad = rows.filter((r) => r.lost || r.doubled || r.unknown || r.dead || !r.hourlyAddsUp);
if (bad.length) {
  console.error(`FAILED: ${bad.map((r) => r.scenario).join(', ')}`);
  process.exit(1);
}
