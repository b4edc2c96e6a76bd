import type Database from 'better-sqlite3';
import type { ProofClaim, ProofClaimStore } from './proof-claim-types.js';
import { groupPerTurn } from './turn-group.js';

export const PROOF_CLAIM_SCHEMA = `
CREATE TABLE IF NOT EXISTS proof_claims (
  id TEXT PRIMARY KEY,
  spent_on TEXT NOT NULL,
  until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS proof_claims_until ON proof_claims (until);
`;

/** Expired claims are dropped at most this often, inside a claim write (an indexed range delete). */
const DROP_EVERY_MS = 1000;

/** The proof claims of the SQLite store: one row per proof, dropped once the proof has expired. */
export function sqliteProofClaims(db: Database.Database, now: () => number = Date.now): ProofClaimStore {
  db.exec(PROOF_CLAIM_SCHEMA);
  const insert = db.prepare('INSERT INTO proof_claims (id, spent_on, until) VALUES (@id, @spentOn, @until) ON CONFLICT DO NOTHING');
  const spentOn = db.prepare('SELECT spent_on FROM proof_claims WHERE id = ?').pluck();
  const dropExpired = db.prepare('DELETE FROM proof_claims WHERE until < ?');
  let droppedAt = 0;
  const claimAll = db.transaction((claims: readonly ProofClaim[]): boolean[] => {
    const t = now();
    if (t - droppedAt >= DROP_EVERY_MS) {
      dropExpired.run(t);
      droppedAt = t;
    }
    return claims.map((c) => insert.run(c).changes === 1 || spentOn.get(c.id) === c.spentOn);
  });
  // One IMMEDIATE write per turn (turn-group.ts): the write lock is shared with the consumer.
  return { claimProof: groupPerTurn((claims: ProofClaim[]) => claimAll.immediate(claims)) };
}
