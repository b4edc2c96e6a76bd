import { setImmediate as yieldToOthers } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import type { VoteMode } from '@paredao/contract';
import { hourBucket, type VoteMessage } from '../vote.js';
import { countInto, encodeIds, groupForArchive, mergeBlobs } from './archive.js';
import { sqliteApplied } from './sqlite-applied.js';
import { hasTable } from './sqlite-tables.js';
import { combinedMark, splitAtMark, type PruneOutcome } from './watermark.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS archive (
  seq INTEGER PRIMARY KEY,
  paredao_id TEXT NOT NULL,
  mode TEXT NOT NULL,
  hour TEXT NOT NULL,
  votes INTEGER NOT NULL,
  ids BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS archive_key ON archive (paredao_id, mode, hour);
CREATE TABLE IF NOT EXISTS watermarks (
  key TEXT PRIMARY KEY,
  mark INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pruned_through (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at INTEGER NOT NULL
);
`;

/**
 * The bounded part of the SQLite store: the pruned-through mark, the consumers' marks, the archive of
 * counted ids. `belowMark` and `archive` run inside applyBatch's transaction; `prune` runs apart, in
 * short transactions of its own.
 */
export function sqliteBounded(db: Database.Database) {
  // Prepared once the table exists (the setup below may need it already).
  let insertArchiveStmt: Database.Statement | null = null;
  const insertArchive = () => (insertArchiveStmt ??= db.prepare('INSERT INTO archive (paredao_id, mode, hour, votes, ids) VALUES (?, ?, ?, ?, ?)'));
  const archive = (votes: readonly VoteMessage[]): void => {
    for (const { key, byCandidate } of groupForArchive(votes).values()) {
      let n = 0;
      for (const ids of byCandidate.values()) n += ids.length;
      insertArchive().run(key.paredaoId, key.mode, key.hour, n, encodeIds(byCandidate));
    }
  };
  db.transaction(() => {
    const before = !hasTable(db, 'archive');
    db.exec(SCHEMA);
    // A file from before the archive: its applied ids are archived once, so the recount, which reads
    // the archive, still equals the tallies. (One pass in memory: files of that age hold few votes.)
    if (before && hasTable(db, 'applied_votes')) {
      const rows = db.prepare('SELECT vote_id AS voteId, paredao_id AS paredaoId, candidate_id AS candidateId, accepted_at AS acceptedAt, mode FROM applied_votes').all() as VoteMessage[];
      archive(rows);
    }
  }).immediate();
  // After the archive's migration, which reads a legacy file's per-vote rows before they move.
  const applied = db.transaction(() => sqliteApplied(db)).immediate();

  const selectPruned = db.prepare('SELECT at FROM pruned_through WHERE id = 1').pluck();
  const upsertMark = db.prepare('INSERT INTO watermarks (key, mark) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET mark = MAX(mark, excluded.mark)');
  const selectMarks = db.prepare('SELECT mark FROM watermarks').pluck();
  const setPruned = db.prepare('INSERT INTO pruned_through (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at');
  const selectToCompact = db.prepare('SELECT paredao_id AS paredaoId, mode, hour FROM archive WHERE hour < ? GROUP BY paredao_id, mode, hour HAVING COUNT(*) > 1');
  const selectKeyBlobs = db.prepare('SELECT seq, ids FROM archive WHERE paredao_id = ? AND mode = ? AND hour = ?');
  const deleteSeq = db.prepare('DELETE FROM archive WHERE seq = ?');
  const selectParedaoBlobs = db.prepare('SELECT mode, ids FROM archive WHERE paredao_id = ?');

  const advance = db.transaction((key: string, mark: number): number => {
    upsertMark.run(key, mark);
    const prunedThrough = combinedMark((selectPruned.get() as number | undefined) ?? 0, selectMarks.all() as number[]);
    setPruned.run(prunedThrough);
    return prunedThrough;
  });

  const compactKey = db.transaction((paredaoId: string, mode: string, hour: string): number => {
    const rows = selectKeyBlobs.all(paredaoId, mode, hour) as { seq: number; ids: Buffer }[];
    if (rows.length < 2) return 0;
    const { blob, votes } = mergeBlobs(rows.map((r) => r.ids));
    for (const r of rows) deleteSeq.run(r.seq);
    insertArchive().run(paredaoId, mode, hour, votes, blob);
    return rows.length;
  });

  return {
    /** The applied ids of the dedup window. */
    applied,
    /** The pruned-through mark (0 before the first prune). Call inside the write transaction. */
    prunedThrough(): number {
      return (selectPruned.get() as number | undefined) ?? 0;
    },
    /** Splits votes into those that can be checked against the applied ids and those accepted before the mark. */
    belowMark<T extends Pick<VoteMessage, 'acceptedAt' | 'mode'>>(votes: readonly T[]): { checkable: T[]; below: T[] } {
      return splitAtMark(votes, this.prunedThrough());
    },
    /** Archives the ids a batch counted. Call inside the write transaction that adds them to the tallies. */
    archive,
    /**
     * Records `key`'s mark, moves the pruned-through mark to the smallest of every key's, then drops the
     * applied ids below it and merges the archive of every hour it has passed. The mark moves first, in
     * its own transaction: from then on a vote below it is refused, so its ids may go in any later chunk.
     */
    async prune(key: string, mark: number): Promise<PruneOutcome> {
      const prunedThrough = advance.immediate(key, mark);
      const deleted = await applied.prune(prunedThrough);
      let compacted = 0;
      for (const k of selectToCompact.all(hourBucket(prunedThrough)) as { paredaoId: string; mode: string; hour: string }[]) {
        compacted += compactKey.immediate(k.paredaoId, k.mode, k.hour);
        await yieldToOthers();
      }
      return { prunedThrough, deleted, compacted };
    },
    /** The recount rows of a paredão, from its archive. */
    recountRows(paredaoId: string): { mode: VoteMode; candidateId: string; n: number }[] {
      const rows = new Map<string, { mode: VoteMode; candidateId: string; n: number }>();
      for (const r of selectParedaoBlobs.all(paredaoId) as { mode: VoteMode; ids: Buffer }[]) countInto(rows, r.mode, r.ids);
      return [...rows.values()];
    },
  };
}
