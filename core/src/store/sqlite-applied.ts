import { setImmediate as yieldToOthers } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { hasTable } from './sqlite-tables.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS applied_batches (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  applied_at INTEGER NOT NULL,
  min_accepted_at INTEGER NOT NULL,
  max_accepted_at INTEGER NOT NULL,
  votes INTEGER NOT NULL,
  ids TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS applied_batches_applied_at ON applied_batches (applied_at);
CREATE INDEX IF NOT EXISTS applied_batches_max_accepted_at ON applied_batches (max_accepted_at);
`;

/** The ids of one row: `ids[i]` was accepted at `at[i]`. */
interface RowIds {
  ids: string[];
  at: number[];
}

/** Rows dropped per statement when pruning: short write locks, batches are applied between them. */
const DELETE_ROWS = 200;
/** Ids per row when a file's older per-vote rows are moved into batch rows. */
const MIGRATE_ROWS = 1000;

const decode = (text: string): RowIds => JSON.parse(text) as RowIds;
const encode = (ids: string[], at: number[]): string => JSON.stringify({ ids, at } satisfies RowIds);

/** The earliest and latest acceptance times of a row's ids (a loop: a batch may hold thousands). */
function span(at: readonly number[]): { min: number; max: number } {
  let min = at[0]!;
  let max = at[0]!;
  for (const a of at) {
    if (a < min) min = a;
    if (a > max) max = a;
  }
  return { min, max };
}

/** What a write transaction learnt and wrote: it enters memory when the transaction has committed. */
interface Pending {
  seen: Map<string, number>;
  lastSeq: number;
}

/**
 * The applied vote ids of the SQLite store's dedup window (docs/ARCHITECTURE.md, "Bounded storage";
 * docs/decisions/0007-sqlite-window-in-memory.md): one row per applied batch in `applied_batches` (its
 * new ids with their acceptance times, as JSON), written in the batch's transaction, and in the memory
 * of each process that applies batches, every id of the window with its acceptance time.
 *
 * A row per vote keyed by its random id dirtied about one B-tree leaf per vote, written to the WAL at
 * COMMIT and again at the checkpoint: 13–14 µs per vote more at a window of 100 000 ids, 19–30 at
 * 1 000 000 (bench/dedup-layout.ts, bench/results/consumer-cost-ab-2026-12-05.md). A row per batch is
 * one insert; the map costs 93–101 bytes of heap per id.
 *
 * Exactly once across processes: the ids live in memory per process, so inside each write transaction
 * (IMMEDIATE: one writer at a time) a process first reads the rows other processes wrote since the last
 * one it saw (`seq` only grows: AUTOINCREMENT), then checks the batch against all of them. What it
 * learns and writes enters its memory only once the transaction has committed.
 */
export function sqliteApplied(db: Database.Database) {
  db.exec(SCHEMA);
  const insert = db.prepare('INSERT INTO applied_batches (applied_at, min_accepted_at, max_accepted_at, votes, ids) VALUES (?, ?, ?, ?, ?)');
  const insertRow = (appliedAt: number, ids: string[], at: number[]): number => {
    const { min, max } = span(at);
    return Number(insert.run(appliedAt, min, max, ids.length, encode(ids, at)).lastInsertRowid);
  };
  // A file from before batch rows: its per-vote rows (the window's ids) move into batch rows once.
  if (hasTable(db, 'applied_votes')) {
    const rows = db.prepare('SELECT vote_id AS id, accepted_at AS at, applied_at AS appliedAt FROM applied_votes ORDER BY applied_at').all() as { id: string; at: number; appliedAt: number }[];
    for (let i = 0; i < rows.length; i += MIGRATE_ROWS) {
      const part = rows.slice(i, i + MIGRATE_ROWS);
      insertRow(part.at(-1)!.appliedAt, part.map((r) => r.id), part.map((r) => r.at));
    }
    db.exec('DROP TABLE applied_votes');
  }

  const selectAfter = db.prepare('SELECT seq, ids FROM applied_batches WHERE seq > ? ORDER BY seq');
  const selectSince = db.prepare('SELECT applied_at AS appliedAt, ids FROM applied_batches WHERE applied_at >= ? ORDER BY applied_at, seq');
  const deleteBelow = db.prepare('DELETE FROM applied_batches WHERE seq IN (SELECT seq FROM applied_batches WHERE max_accepted_at < ? LIMIT ?) RETURNING votes').pluck();
  const selectStraddling = db.prepare('SELECT seq, ids FROM applied_batches WHERE min_accepted_at < ? AND max_accepted_at >= ?');
  const update = db.prepare('UPDATE applied_batches SET min_accepted_at = ?, votes = ?, ids = ? WHERE seq = ?');

  /** The window's ids in this process, with their acceptance times; null until it first applies a batch. */
  let window: Map<string, number> | null = null;
  let lastSeq = 0;
  let pending: Pending | null = null;

  const dropStraddling = db.transaction((mark: number): number => {
    let dropped = 0;
    for (const r of selectStraddling.all(mark, mark) as { seq: number; ids: string }[]) {
      const { ids, at } = decode(r.ids);
      const keep = at.flatMap((a, i) => (a >= mark ? [i] : []));
      dropped += ids.length - keep.length;
      const keptAt = keep.map((i) => at[i]!);
      update.run(span(keptAt).min, keep.length, encode(keep.map((i) => ids[i]!), keptAt), r.seq);
    }
    return dropped;
  });

  return {
    /**
     * Inside the write transaction: the votes whose ids were not applied before (nor earlier in this
     * batch), in order, and their batch row written. Call `committed()` once the transaction has.
     */
    takeFresh<T extends { voteId: string; acceptedAt: number }>(votes: readonly T[], appliedAt: number): T[] {
      const seen = new Map<string, number>();
      // Until its first write a process knows nothing: lastSeq is still 0, so it reads every row.
      const known = (window ??= new Map());
      let seq = lastSeq;
      for (const r of selectAfter.all(seq) as { seq: number; ids: string }[]) {
        const { ids, at } = decode(r.ids);
        for (let i = 0; i < ids.length; i++) seen.set(ids[i]!, at[i]!);
        seq = r.seq;
      }
      const fresh: T[] = [];
      const ids: string[] = [];
      const at: number[] = [];
      for (const v of votes) {
        if (known.has(v.voteId) || seen.has(v.voteId)) continue;
        seen.set(v.voteId, v.acceptedAt);
        fresh.push(v);
        ids.push(v.voteId);
        at.push(v.acceptedAt);
      }
      if (fresh.length > 0) seq = insertRow(appliedAt, ids, at);
      pending = { seen, lastSeq: seq };
      return fresh;
    },

    /** The transaction that called `takeFresh` committed: what it learnt and wrote is now known here. */
    committed(): void {
      if (!pending || !window) return;
      for (const [id, at] of pending.seen) window.set(id, at);
      lastSeq = pending.lastSeq;
      pending = null;
    },

    /** The transaction rolled back: nothing it saw or wrote is kept. */
    rolledBack(): void {
      pending = null;
    },

    /** Applied ids in order of application, from `since` on: whole batches, at least `limit` ids if there are. */
    appliedSince(since: number, limit: number): { voteId: string; appliedAt: number }[] {
      const out: { voteId: string; appliedAt: number }[] = [];
      for (const r of selectSince.iterate(since) as Iterable<{ appliedAt: number; ids: string }>) {
        // Whole batches of one instant together, so that the next call, from the last instant, misses none.
        if (out.length >= limit && out.at(-1)!.appliedAt !== r.appliedAt) break;
        for (const voteId of decode(r.ids).ids) out.push({ voteId, appliedAt: r.appliedAt });
      }
      return out;
    },

    /**
     * Drops the ids accepted before `mark` from the rows (whole rows while they are wholly below it, then
     * the rows that straddle it) and from this process's memory. Returns how many ids left the rows.
     */
    async prune(mark: number): Promise<number> {
      let deleted = 0;
      for (;;) {
        const votes = deleteBelow.all(mark, DELETE_ROWS) as number[];
        for (const n of votes) deleted += n;
        if (votes.length < DELETE_ROWS) break;
        await yieldToOthers();
      }
      deleted += dropStraddling.immediate(mark);
      if (window) for (const [id, at] of window) if (at < mark) window.delete(id);
      return deleted;
    },
  };
}
