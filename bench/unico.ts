/**
 * Voto Único beside Voto da Torcida, one stack, one run (docs/decisions/0005-voto-unico.md): N distinct
 * voters each send two Único votes at the same instant (two devices, two candidates), `concurrency`
 * voters at a time; then N Torcida votes with presolved proofs, the same client and concurrency. For
 * each path: votes/s accepted (202s over the wall time), the answers, the 202 latency; then, once the
 * consumer caught up, what the store counted against the 202s, and persons counted twice (must be 0).
 *
 * Sessions are written to the stack's store directly (an account, a passkey row, a session each: what a
 * finished sign-up leaves), so the WebAuthn ceremony is not measured. Both paths go to the api directly
 * (its TCP port), not through nginx, whose per-client limit on /api/voters/ (30/min) would refuse one
 * client sending thousands: the api's own admission bound and the store claim are what is measured.
 *
 *   npx tsx bench/unico.ts             writes bench/results/unico-<date>.json (commit it) and
 *                                      regenerates the unico section of docs/BENCHMARKS.md
 *   options: --voters=6000 --concurrency=64 --quick (1000 voters; bench/results/scratch/)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore, type Store } from '@paredao/core';
import { openParedaoWithRules } from '@paredao/testkit/admin';
import { writeGeneratedDocs } from '@paredao/testkit/docs';
import { presolve, summarize } from '@paredao/testkit/load';
import { ROOT, startStack } from '@paredao/testkit/stack';
import { UNICO_TARGETS, type PathRun, type UnicoOutput } from '@paredao/testkit/unico-report';
import { candidateOf, inPool, keepAliveAgent, postWith as post, type Answer } from '@paredao/testkit/unico-client';
import { signedInVoter } from '@paredao/testkit/voters';

const { values: args } = parseArgs({ options: { voters: { type: 'string' }, concurrency: { type: 'string' }, quick: { type: 'boolean' } }, strict: true });
const voters = Number(args.voters ?? (args.quick ? 1000 : 6000));
const concurrency = Number(args.concurrency ?? 64);
const fullRun = !args.quick && !args.voters && !args.concurrency;
const API_WORKERS = 2;

function log(msg: string) {
  process.stderr.write(`[unico ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function pathRun(answers: Answer[], wallSec: number): PathRun {
  const statuses: Record<string, number> = {};
  for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
  const accepted = answers.filter((a) => a.status === 202);
  return { requests: answers.length, wallSec, accepted: accepted.length, votesPerSec: accepted.length / wallSec, statuses, acceptedLatency: summarize(Float64Array.from(accepted.map((a) => a.latencyMs))) };
}

async function countedOnce(store: Store, paredaoId: string, want: { unico: number; torcida: number }) {
  for (let i = 0; i < 600; i++) {
    const t = await store.tally(paredaoId);
    const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
    const got = { unico: sum(t.modes.unico.byCandidate), torcida: sum(t.modes.torcida.byCandidate) };
    if (got.unico >= want.unico && got.torcida >= want.torcida) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the consumer did not count every accepted vote within 60 s');
}

async function main() {
  if (!existsSync(join(ROOT, 'api/dist/main.js'))) throw new Error('build the services first: npm run build');
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const loadAvgBefore = loadavg();
  log(`machine: ${cpuModel}, ${cpus().length} cores, load average ${loadAvgBefore.map((l) => l.toFixed(2)).join(' ')}`);
  const stack = await startStack({ apiWorkers: API_WORKERS, difficulty: 1, env: { ANTIBOT_EXPIRY_SECONDS: '3600', LOG_LEVEL: 'info' } });
  const agent = keepAliveAgent(concurrency * 2);
  const base = new URL(stack.apiUrl);
  let store: Store | null = null;
  let out: UnicoOutput;
  try {
    const { id: paredaoId, candidateIds } = await openParedaoWithRules(stack.url, {
      title: 'Bench Voto Único',
      candidates: ['Participante 1', 'Participante 2'],
      voting: { modes: ['torcida', 'unico'], weights: { unico: 70, torcida: 30 }, showPartials: true },
    });
    const [a, b] = candidateIds as [string, string];
    store = await openStore(stack.env.STORE_URL!);
    log(`${voters} voter sessions written to the store`);
    const cookies: string[] = [];
    for (let i = 0; i < voters; i++) cookies.push((await signedInVoter(store, stack.env.ADMIN_SESSION_SECRET!)).cookie);
    log(`presolving ${voters} Torcida proofs`);
    const proofs = await presolve(stack.url, voters, { concurrency: 32 });
    await new Promise((r) => setTimeout(r, 2000));

    log('Voto Único: two attempts per voter at once');
    const pairs: [Answer, Answer][] = new Array(voters);
    const headers = (cookie: string) => ({ cookie, origin: stack.url });
    const unicoWall = await inPool(voters, concurrency, async (i) => {
      const [x, y] = i % 2 ? [a, b] : [b, a];
      pairs[i] = await Promise.all([
        post(agent, base, '/api/voters/vote', JSON.stringify({ candidateId: x }), headers(cookies[i]!)),
        post(agent, base, '/api/voters/vote', JSON.stringify({ candidateId: y }), headers(cookies[i]!)),
      ]);
    });
    let onePlusConflict = 0;
    let twoAccepted = 0;
    let noneAccepted = 0;
    for (const [x, y] of pairs) {
      const ok = [x, y].filter((p) => p.status === 202).length;
      if (ok === 2) twoAccepted++;
      else if (ok === 0) noneAccepted++;
      else if ([x.status, y.status].includes(409) && candidateOf(x) === candidateOf(y)) onePlusConflict++;
    }
    const unico = { ...pathRun(pairs.flat(), unicoWall), onePlusConflict, twoAccepted, noneAccepted };
    log(`Único: ${Math.round(unico.votesPerSec)} votes/s, ${JSON.stringify(unico.statuses)}, p99 ${unico.acceptedLatency.p99.toFixed(1)} ms`);

    log('Voto da Torcida: one vote per proof');
    const torcidaAnswers: Answer[] = new Array(voters);
    const torcidaWall = await inPool(voters, concurrency, async (i) => {
      torcidaAnswers[i] = await post(agent, base, '/api/votes', JSON.stringify({ candidateId: i % 2 ? a : b, altcha: proofs[i] }), {});
    });
    const torcida = pathRun(torcidaAnswers, torcidaWall);
    log(`Torcida: ${Math.round(torcida.votesPerSec)} votes/s, ${JSON.stringify(torcida.statuses)}, p99 ${torcida.acceptedLatency.p99.toFixed(1)} ms`);

    const counted = await countedOnce(store, paredaoId, { unico: unico.accepted, torcida: torcida.accepted });
    const recount = Object.values((await store.recount(paredaoId)).modes.unico).reduce((x, y) => x + y, 0);
    // Every voter has one claim (the store's unique key); a person counted twice would show as more
    // Único votes counted than voters who got a 202, or as a voter with two 202s.
    const doubled = Math.max(0, counted.unico - (voters - noneAccepted)) + twoAccepted;
    const date = new Date().toISOString();
    out = {
      machine: {
        cpuModel,
        cores: cpus().length,
        node: process.version,
        date,
        command: `npx tsx bench/unico.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
        gitCommit: execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
        loadAvgBefore,
        loadAvgAfter: loadavg(),
      },
      settings: {
        voters,
        concurrency,
        apiWorkers: API_WORKERS,
        target: 'the api directly, not nginx',
        sessions: 'Sessions were written to the store, not made by passkey sign-ins: the WebAuthn ceremony is not measured.',
      },
      targets: UNICO_TARGETS,
      unico,
      torcida,
      counted: { unico: counted.unico, torcida: counted.torcida, unicoRecount: recount, doubled },
    };
  } finally {
    agent.destroy();
    await store?.close();
    await stack.stop();
  }
  const stamp = out.machine.date.slice(0, 16).replace(':', '-');
  const file = fullRun ? join(ROOT, 'bench/results', `unico-${stamp}.json`) : join(ROOT, 'bench/results/scratch', `unico-${stamp}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  log(`wrote ${file}`);
  if (fullRun) for (const doc of writeGeneratedDocs({ unico: file.slice(ROOT.length + 1) })) log(`regenerated ${doc}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
