/**
 * What the host arbiter (api/src/platform/cluster-arbiter.ts) adds per vote: a cluster primary and one worker
 * that makes, at a steady rate, what a vote makes (one rate-limit count, then on a later turn one proof
 * claim), once through the arbiter over IPC and once in-process as a lone api does (express-rate-limit's
 * MemoryStore and the ReplayGuard's own set). Prints the CPU per vote of worker and primary.
 *
 *   npx tsx bench/arbiter-cost.ts [--rate=2000] [--seconds=10]
 *
 * Run with the machine otherwise idle: the figures are small and a neighbour moves them.
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { MemoryStore } from 'express-rate-limit';
import { ArbiterClient, HostArbiter, serveArbiter } from '@paredao/api/platform/cluster-arbiter';
import { ExpiringIdSet } from '@paredao/api/votes/replay-guard';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const rate = Number(args.get('rate') ?? 2000);
const seconds = Number(args.get('seconds') ?? 10);
const expiryMs = 120_000;
const TICK_MS = 10;

interface Usage {
  mode: string;
  votes: number;
  workerUs: number;
}

if (cluster.isPrimary) {
  const arbiter = new HostArbiter(expiryMs);
  for (const mode of ['in-process', 'arbiter', 'in-process', 'arbiter']) {
    const w = cluster.fork({ ARBITER_BENCH_MODE: mode });
    serveArbiter(arbiter, w);
    const before = process.cpuUsage();
    const r = await new Promise<Usage>((resolve) => w.on('message', (m: Usage & { t?: string }) => m?.t === undefined && m.mode && resolve(m)));
    const primary = process.cpuUsage(before);
    const primaryUs = primary.user + primary.system;
    console.log(
      `${mode.padEnd(10)}: ${r.votes} votes at ${rate}/s, worker ${(r.workerUs / r.votes).toFixed(1)} µs/vote, primary ${(primaryUs / r.votes).toFixed(1)} µs/vote`,
    );
    w.kill();
  }
} else {
  const mode = process.env.ARBITER_BENCH_MODE!;
  const client = mode === 'arbiter' ? new ArbiterClient({ send: (m, done) => process.send!(m, done), on: (_e, l) => process.on('message', l) }) : null;
  const limit = client ? client.limitStore('votes') : new MemoryStore();
  limit.init?.({ windowMs: 60_000 } as never);
  const claims = new ExpiringIdSet(expiryMs);
  const claim = (id: string) => (client ? client.claim(id, Date.now() + expiryMs, 'participante-1') : Promise.resolve(claims.claim(id, Date.now() + expiryMs, Date.now())));
  // Voters from a few thousand addresses; each vote's id is new (an HMAC's hex).
  const addresses = Array.from({ length: 5000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
  const ids = Array.from({ length: rate * seconds }, () => randomBytes(16).toString('hex'));
  let sent = 0;
  let done = 0;
  const before = process.cpuUsage();
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (let i = 0; i < perTick && sent < ids.length; i++, sent++) {
        const id = ids[sent]!;
        void Promise.resolve(limit.increment(addresses[sent % addresses.length]!)).then(() =>
          // The claim comes on a later turn, once the body has arrived and the proof is verified.
          setImmediate(() =>
            void claim(id).then(() => {
              if (++done === ids.length) resolve();
            }),
          ),
        );
      }
      if (sent === ids.length) clearInterval(timer);
    }, TICK_MS);
  });
  const used = process.cpuUsage(before);
  process.send!({ mode, votes: done, workerUs: used.user + used.system } satisfies Usage);
}
