/**
 * Bounded storage on a virtual clock (docs/ARCHITECTURE.md, "Bounded storage"): --votes votes spread
 * over --days days go through the SQLite store's applyBatch, the consumer's low watermark (LowWatermark,
 * the same class the consumer uses) and the store's prune, with copies injected as they happen for real
 * (redelivered batches, publisher resends, voters' retries with the same proof) and a consumer outage
 * of --outage-hours in the middle. No broker: the queue is modelled (enqueue order, FIFO), the store is
 * real. Samples the hot store and the archive every virtual hour; writes bench/results/storage-<stamp>.json
 * (rendered into docs/BENCHMARKS.md by npm run gen:docs).
 *
 *   npm run bench:storage -- [--votes=10000000] [--days=3] [--outage-hours=2]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { decodeIds, LowWatermark, openStore, watermarkSlackMs, type VoteMessage } from '@paredao/core';
import { insertOpenParedao } from '@paredao/testkit/paredao';
import type { StorageOutput, StorageSample } from '@paredao/testkit/storage-report';

const ROOT = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: { votes: { type: 'string', default: '10000000' }, days: { type: 'string', default: '3' }, 'outage-hours': { type: 'string', default: '2' } },
  strict: true,
});
const loadAvgAtStart = loadavg();
const TOTAL = Number(args.votes);
const DAYS = Number(args.days);
const OUTAGE_H = Number(args['outage-hours']);
const BATCH = 500;
const EXPIRY_S = 120;
const RESEND_MS = 10_000;
const MARGIN_MS = 60_000;
const SLACK = watermarkSlackMs({ proofExpirySeconds: EXPIRY_S, resendMs: RESEND_MS, marginMs: MARGIN_MS });
const PRUNE_EVERY_MS = 60_000;
/** Shares of votes with a copy: a voter's retry (same proof, accepted up to the expiry later), a publisher resend (same acceptedAt, up to RESEND_MS later). */
const RETRY_SHARE = 0.002;
const RESEND_SHARE = 0.001;
/** Share of batches whose ack is lost: the whole batch comes again (a consumer crash). */
const REDELIVER_SHARE = 0.005;

const T0 = Date.UTC(2026, 11, 6, 0, 0);
const SPAN = DAYS * 86_400_000;
const STEP = SPAN / TOTAL; // ms between accepted votes
const OUTAGE_START = T0 + SPAN / 2;
const OUTAGE_END = OUTAGE_START + OUTAGE_H * 3_600_000;

const dir = mkdtempSync(join(tmpdir(), 'paredao-storage-sim-'));
const path = join(dir, 'votes.db');
const store = await openStore(`sqlite:${path}`);
const paredaoId = 'sim';
const candidates = ['a', 'b', 'c'];
await insertOpenParedao(store, paredaoId, 'Simulação', { a: 'A', b: 'B', c: 'C' }, { openedAt: new Date(T0 - 3_600_000).toISOString() });
const probe = new Database(path, { readonly: true });
const hotRows = probe.prepare('SELECT COALESCE(SUM(votes), 0) FROM applied_batches').pluck();
const archiveStats = probe.prepare('SELECT COUNT(*) AS rows, COALESCE(SUM(LENGTH(ids)), 0) AS bytes FROM archive');
const pages = () => (probe.pragma('page_count', { simple: true }) as number) * (probe.pragma('page_size', { simple: true }) as number);
const freePages = () => (probe.pragma('freelist_count', { simple: true }) as number) * (probe.pragma('page_size', { simple: true }) as number);

// The queue, in enqueue order: the main stream of votes (by acceptance) merged with the copies, each
// due at its own enqueue time (a small heap: copies are a fraction of a percent).
interface Msg { vote: VoteMessage; enqueueAt: number }
const copies: Msg[] = [];
const pushCopy = (m: Msg) => {
  copies.push(m);
  for (let i = copies.length - 1; i > 0; ) {
    const p = (i - 1) >> 1;
    if (copies[p]!.enqueueAt <= copies[i]!.enqueueAt) break;
    [copies[p], copies[i]] = [copies[i]!, copies[p]!];
    i = p;
  }
};
const popCopy = (): Msg => {
  const top = copies[0]!;
  const last = copies.pop()!;
  if (copies.length > 0) {
    copies[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < copies.length && copies[l]!.enqueueAt < copies[m]!.enqueueAt) m = l;
      if (r < copies.length && copies[r]!.enqueueAt < copies[m]!.enqueueAt) m = r;
      if (m === i) break;
      [copies[m], copies[i]] = [copies[i]!, copies[m]!];
      i = m;
    }
  }
  return top;
};
let made = 0;
const injected = { retries: 0, resends: 0, redeliveredBatches: 0, redeliveredVotes: 0 };
const next = (): Msg | null => {
  const mainAt = made < TOTAL ? T0 + made * STEP : Infinity;
  if (copies.length > 0 && copies[0]!.enqueueAt <= mainAt) return popCopy();
  if (made >= TOTAL) return null;
  made++;
  const vote: VoteMessage = { v: 1, voteId: randomBytes(16).toString('hex'), paredaoId, candidateId: candidates[made % 3]!, acceptedAt: Math.floor(mainAt) };
  const r = Math.random();
  if (r < RETRY_SHARE) {
    const at = vote.acceptedAt + Math.floor(Math.random() * EXPIRY_S * 1000);
    pushCopy({ vote: { ...vote, acceptedAt: at }, enqueueAt: at });
    injected.retries++;
  } else if (r < RETRY_SHARE + RESEND_SHARE) {
    pushCopy({ vote, enqueueAt: vote.acceptedAt + Math.floor(Math.random() * RESEND_MS) });
    injected.resends++;
  }
  return { vote, enqueueAt: mainAt };
};

const watermark = new LowWatermark(SLACK);
const samples: StorageSample[] = [];
let counted = 0;
let duplicates = 0;
let below = 0;
let lastPruneAt = T0;
let nextSampleAt = T0 + 3_600_000;
const prune = { calls: 0, deleted: 0, compacted: 0, wallMs: 0, cpuUs: 0 };
const apply = { batches: 0, wallMs: 0, cpuUs: 0 };
const backlog = { votes: 0, olderThanWindow: 0, oldestAcceptedAt: 0, newestAcceptedAt: 0, counted: 0 };
const t0 = performance.now();

const sample = (virtualAt: number) => {
  const a = archiveStats.get() as { rows: number; bytes: number };
  samples.push({ hour: (virtualAt - T0) / 3_600_000, counted, hotRows: hotRows.get() as number, archiveRows: a.rows, archiveBytes: a.bytes, fileBytes: statSync(path).size, usedBytes: pages() - freePages() });
};

// The consumer: batches of BATCH in enqueue order; nothing consumed during the outage (the queue
// holds it); after it, the backlog goes through in full at the consumer's pace.
for (;;) {
  const batch: Msg[] = [];
  while (batch.length < BATCH) {
    const m = next();
    if (!m) break;
    batch.push(m);
  }
  if (batch.length === 0) break;
  const lastEnq = batch[batch.length - 1]!.enqueueAt;
  const inOutage = batch[0]!.enqueueAt >= OUTAGE_START && batch[0]!.enqueueAt < OUTAGE_END;
  if (inOutage) {
    backlog.votes += batch.length;
    // Accepted longer than the window before the consumer came back: a wall-clock rule would refuse them.
    for (const m of batch) if (m.vote.acceptedAt < OUTAGE_END - SLACK) backlog.olderThanWindow++;
    backlog.oldestAcceptedAt ||= batch[0]!.vote.acceptedAt;
    backlog.newestAcceptedAt = batch[batch.length - 1]!.vote.acceptedAt;
  }
  const votes = batch.map((m) => m.vote);
  const key = {};
  watermark.delivered(key, Math.min(...votes.map((v) => v.acceptedAt)));
  const c = process.cpuUsage();
  const w = performance.now();
  const out = await store.applyBatch(votes, lastEnq);
  apply.wallMs += performance.now() - w;
  const u = process.cpuUsage(c);
  apply.cpuUs += u.user + u.system;
  apply.batches++;
  counted += out.applied;
  if (inOutage) backlog.counted += out.applied;
  duplicates += out.duplicates;
  below += out.belowMark?.length ?? 0;
  if (Math.random() < REDELIVER_SHARE) {
    // The consumer died between commit and ack: the same batch comes again and counts nothing.
    const again = await store.applyBatch(votes, lastEnq);
    duplicates += again.duplicates;
    counted += again.applied;
    injected.redeliveredBatches++;
    injected.redeliveredVotes += votes.length;
  }
  watermark.acked(key, Math.max(...votes.map((v) => v.acceptedAt)));
  // The consumer's clock: the batch's enqueue time, or the end of the outage while the backlog drains.
  const now = inOutage ? OUTAGE_END : lastEnq;
  if (now - lastPruneAt >= PRUNE_EVERY_MS) {
    lastPruneAt = now;
    const mark = watermark.mark();
    if (mark !== null) {
      const pc = process.cpuUsage();
      const pw = performance.now();
      const r = await store.prune('votes', mark);
      prune.wallMs += performance.now() - pw;
      const pu = process.cpuUsage(pc);
      prune.cpuUs += pu.user + pu.system;
      prune.calls++;
      prune.deleted += r.deleted;
      prune.compacted += r.compacted;
    }
  }
  while (lastEnq >= nextSampleAt) {
    sample(nextSampleAt);
    nextSampleAt += 3_600_000;
    if (samples.length % 6 === 0) console.log(`virtual hour ${samples.length}: ${counted} counted, ${samples.at(-1)!.hotRows} hot ids, ${(samples.at(-1)!.archiveBytes / Math.max(1, counted)).toFixed(1)} B/vote archived`);
  }
}
// After the last vote: one more prune once the window has passed, as a consumer that goes on would.
const final = await store.prune('votes', watermark.mark()!);
prune.deleted += final.deleted;
prune.compacted += final.compacted;
sample(T0 + SPAN);

// A copy of the very first vote after all that: below the mark, refused (dead-lettered by the consumer).
const late = await store.applyBatch([{ v: 1, voteId: 'f'.repeat(32), paredaoId, candidateId: 'a', acceptedAt: T0 + 1 }], T0 + SPAN);

// The audit: the recount reads the archive; every archived id once; all generated votes counted.
const tally = await store.tally(paredaoId);
const recount = await store.recount(paredaoId);
const tallyTotal = Object.values(tally.byCandidate).reduce((a, b) => a + b, 0);
const ids = new BigUint64Array(tallyTotal + 1024);
let n = 0;
for (const r of probe.prepare('SELECT ids FROM archive WHERE paredao_id = ?').iterate(paredaoId) as Iterable<{ ids: Buffer }>) {
  for (const { ids: list } of decodeIds(r.ids).values()) for (const id of list) ids[n++] = Buffer.from(id.slice(0, 16), 'hex').readBigUInt64BE();
}
const sorted = ids.subarray(0, n).sort();
let doubled = 0;
for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) doubled++;
const archive = archiveStats.get() as { rows: number; bytes: number };
const wallSec = (performance.now() - t0) / 1000;
const afterWindow = samples.filter((s) => s.hour >= 1);
const out: StorageOutput = {
  machine: {
    cpuModel: /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    command: `npm run bench:storage -- ${process.argv.slice(2).join(' ')}`.trim(),
    gitCommit: execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
    loadAvgAtStart,
    loadAvgAtEnd: loadavg(),
  },
  settings: { votes: TOTAL, days: DAYS, batch: BATCH, slackMs: SLACK, pruneEveryMs: PRUNE_EVERY_MS, retryShare: RETRY_SHARE, resendShare: RESEND_SHARE, redeliverShare: REDELIVER_SHARE, outageHours: OUTAGE_H },
  injected,
  result: {
    generated: TOTAL,
    counted,
    tallyTotal,
    recountEqualsTallies: JSON.stringify(recount.byCandidate) === JSON.stringify(tally.byCandidate),
    archivedIds: n,
    doubled,
    lost: TOTAL - counted,
    duplicatesSkipped: duplicates,
    belowMark: below,
    lateCopyRefused: (late.belowMark?.length ?? 0) === 1,
    backlog,
    archiveBytes: archive.bytes,
    archiveRows: archive.rows,
    archiveBytesPerVote: archive.bytes / Math.max(1, counted),
    hotRowsMaxAfterFirstHour: Math.max(...afterWindow.map((s) => s.hotRows)),
    hotRowsEnd: samples.at(-1)!.hotRows,
    applyUsPerVote: apply.cpuUs / (TOTAL + injected.retries + injected.resends),
    prune: { ...prune, usPerDeletedId: prune.deleted ? prune.cpuUs / prune.deleted : 0 },
    wallSec,
  },
  samples,
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const file = join(ROOT, `bench/results/storage-${new Date().toISOString().slice(0, 16).replace(':', '-')}.json`);
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(out.result, null, 2));
console.log(`wrote ${file}`);
probe.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
