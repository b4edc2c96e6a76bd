import Database from 'better-sqlite3';
import { decodeIds } from '@paredao/core';
import type { VoteMode } from '@paredao/contract';
import type { FaultLoadResult } from './fault-load.js';
import { waitFor } from './ports.js';
import type { Stack } from './stack.js';

/**
 * The counted vote ids in a SQLite store file, from its archive (the hot applied ids below the
 * pruned-through mark are gone), each as often as it was archived: of one paredão and mode, or all.
 */
export function archivedIds(db: Database.Database, of: { paredaoId?: string; mode?: VoteMode } = {}): string[] {
  const blobs = db
    .prepare('SELECT ids FROM archive WHERE (@paredaoId IS NULL OR paredao_id = @paredaoId) AND (@mode IS NULL OR mode = @mode)')
    .pluck()
    .all({ paredaoId: of.paredaoId ?? null, mode: of.mode ?? null }) as Buffer[];
  return blobs.flatMap((b) => [...decodeIds(b).values()].flatMap((c) => c.ids));
}

/** What one scenario measured; one row of the table in docs/RELIABILITY.md. */
export interface FaultRow {
  scenario: string;
  fault: string;
  ratePerSec: number;
  durationSec: number;
  requests: number;
  accepted: number;
  statuses: Record<string, number>;
  retries: number;
  gaveUp: number;
  counted: number;
  /** 202 (or a vote the page confirms on a replay: `confirmedByReplay`) whose vote id is not among the applied ids: must be 0. */
  lost: number;
  /** Votes whose resend with the same proof got 403 antibot_replayed, which the page takes as counted (retry: 'same-proof'). */
  confirmedByReplay?: number;
  /** Counted ids that got no 202 (publish confirmed after a timeout, or worker died before answering). */
  extraWithout202: number;
  /** Counted ids that no request of the driver carried: must be 0. */
  unknown: number;
  /** counted − distinct applied ids, plus tallies or hourly rows that disagree: must be 0. */
  doubled: number;
  hourlyAddsUp: boolean;
  dead: number;
  /** Counted ids no longer among the hot applied ids (pruned below the low watermark; still archived). */
  pruned?: number;
  /** From the end of the load until every 202 was counted, s. */
  drainSec: number;
  /** From the first answer other than 202 to the last, s; null when voters saw no error at all. */
  errorSpanSec: number | null;
  notes: string;
  /** How many times the fault was injected (kills, restarts, …). */
  injected: number;
  /** api processes of the scenario's stack (runs before it was recorded: two cluster workers). */
  apiWorkers?: number;
  /** What a retry sent again (default, for Torcida votes: "a new proof"). */
  retriedWith?: string;
}

/**
 * Waits until every 202 is counted (or 90 s pass) and the queue is empty, then compares the store's
 * applied vote ids (SQLite, opened read-only) with what the driver saw.
 */
export async function audit(stack: Stack, load: FaultLoadResult): Promise<Omit<FaultRow, 'scenario' | 'fault' | 'notes' | 'injected' | 'ratePerSec' | 'durationSec'>> {
  const started = Date.now();
  // What a voter was told is in: a 202, or the page's confirmation of a resend refused as used.
  const accepted = new Set([...load.accepted, ...load.confirmedByReplay]);
  const db = new Database(stack.storePath, { readonly: true, fileMustExist: true });
  try {
    const paredaoId = (await stack.results(stack.apiUrl)).paredaoId;
    const appliedIds = () => archivedIds(db, { paredaoId });
    // A fault run's stack holds one paredão: every id in the batch rows is its.
    const hotIds = () => db.prepare('SELECT COALESCE(SUM(votes), 0) FROM applied_batches').pluck().get() as number;
    const missing = () => {
      const applied = new Set(appliedIds());
      let m = 0;
      for (const id of accepted) if (!applied.has(id)) m++;
      return m;
    };
    await waitFor('every 202 counted', async () => missing() === 0, 90_000, 250).catch(() => {});
    const drainSec = (Date.now() - started) / 1000;
    // Redeliveries of unconfirmed votes may still be in flight: wait for an empty queue and a stable count.
    let last = -1;
    await waitFor('queue empty and count stable', async () => {
      const n = appliedIds().length;
      const stable = n === last && (await stack.queueDepths()).ready === 0;
      last = n;
      return stable;
    }, 30_000, 1000).catch(() => {});
    const applied = appliedIds();
    const appliedSet = new Set(applied);
    // The results snapshot refreshes about once a second.
    const results = await waitFor('results snapshot caught up', async () => {
      const r = await stack.results(stack.apiUrl);
      return r.total === applied.length ? r : undefined;
    }, 10_000).catch(() => stack.results(stack.apiUrl));
    const tallySum = (db.prepare('SELECT COALESCE(SUM(votes), 0) AS n FROM tallies WHERE paredao_id = ?').get(paredaoId) as { n: number }).n;
    const hourlySum = (db.prepare('SELECT COALESCE(SUM(votes), 0) AS n FROM hourly WHERE paredao_id = ?').get(paredaoId) as { n: number }).n;
    const unconfirmed = new Set(load.unconfirmed);
    let lost = 0;
    for (const id of accepted) if (!appliedSet.has(id)) lost++;
    let extraWithout202 = 0;
    let unknown = 0;
    for (const id of applied) {
      if (accepted.has(id)) continue;
      if (unconfirmed.has(id)) extraWithout202++;
      else unknown++;
    }
    const apiHourly = results.hourly.reduce((s, h) => s + h.total, 0);
    const apiByCandidate = results.candidates.reduce((s, c) => s + c.votes, 0);
    const doubled =
      Math.max(0, results.total - appliedSet.size) +
      Math.abs(tallySum - appliedSet.size) +
      Math.abs(hourlySum - appliedSet.size) +
      (load.accepted.length + load.confirmedByReplay.length - accepted.size) + // the api never hands out one vote id twice
      (applied.length - appliedSet.size); // an id twice in the archive
    return {
      requests: Object.values(load.statuses).reduce((a, b) => a + b, 0),
      accepted: load.accepted.length,
      statuses: load.statuses,
      retries: load.retries,
      gaveUp: load.gaveUp,
      counted: results.total,
      lost,
      confirmedByReplay: load.confirmedByReplay.length,
      extraWithout202,
      unknown,
      doubled,
      hourlyAddsUp: apiHourly === results.total && apiByCandidate === results.total,
      dead: (await stack.queueDepths()).dead,
      pruned: applied.length - hotIds(),
      drainSec,
      errorSpanSec: load.errorAtSec.length ? Math.max(...load.errorAtSec) - Math.min(...load.errorAtSec) : null,
    };
  } finally {
    db.close();
  }
}
