import Database from 'better-sqlite3';
import { archivedIds } from '@paredao/testkit/fault-audit';

/**
 * Lost and doubled from vote ids, not totals: every 202's id must be among the counted ids (the
 * archive's) exactly once, and the tallies must have grown by exactly the number of ids counted for
 * this step's 202s.
 */
export function auditByVoteId(storePath: string, ids: string[], countedDelta: number): { lost: number; doubled: number } {
  const db = new Database(storePath, { readonly: true, fileMustExist: true });
  try {
    const counted = new Map<string, number>();
    for (const id of archivedIds(db)) counted.set(id, (counted.get(id) ?? 0) + 1);
    let lost = 0;
    const seen = new Set<string>();
    let repeated = 0;
    for (const id of ids) {
      if (seen.has(id)) repeated++;
      seen.add(id);
      const n = counted.get(id) ?? 0;
      if (n === 0) lost++;
      else if (n > 1) repeated += n - 1;
    }
    // Counted beyond the distinct ids of our 202s: a vote counted twice (or one never answered 202).
    const extra = Math.max(0, countedDelta - (seen.size - lost));
    return { lost, doubled: repeated + extra };
  } finally {
    db.close();
  }
}
