import Database from 'better-sqlite3';

/**
 * Lost and doubled from vote ids, not totals: every 202's id must be in the store's applied ids exactly
 * once (the primary key makes "more than once" a second 202 for the same id), and the tallies must have
 * grown by exactly the number of ids applied for this step's 202s.
 */
export function auditByVoteId(storePath: string, ids: string[], countedDelta: number): { lost: number; doubled: number } {
  const db = new Database(storePath, { readonly: true, fileMustExist: true });
  try {
    const has = db.prepare('SELECT 1 FROM applied_votes WHERE vote_id = ?').pluck();
    let lost = 0;
    const seen = new Set<string>();
    let repeated = 0;
    for (const id of ids) {
      if (seen.has(id)) repeated++;
      seen.add(id);
      if (!has.get(id)) lost++;
    }
    // Counted beyond the distinct applied ids of our 202s: a vote counted twice (or one never answered 202).
    const extra = Math.max(0, countedDelta - (seen.size - lost));
    return { lost, doubled: repeated + extra };
  } finally {
    db.close();
  }
}
