import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { groupPerTurn } from './turn-group.js';
import type { ClaimRef, ClaimResult, UnicoClaim, UnicoStore } from './unico-types.js';

/**
 * unico_claims: the unique key (paredao_id, voter_key) is the one-vote-per-person rule; (paredao_id,
 * vote_id) finds the claim of a vote in a batch. `counted`: 0 waiting (the sweeper's work), 1 counted, -1
 * void (accepted outside its paredão's window: never countable, settled once). unico_tombstones: the CPF HMAC of a deleted account, per
 * paredão it voted in, while that paredão is not closed.
 */
export const UNICO_SCHEMA = `
CREATE TABLE IF NOT EXISTS unico_claims (
  paredao_id TEXT NOT NULL,
  voter_key TEXT NOT NULL,
  vote_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  counted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (paredao_id, voter_key)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS unico_claims_vote ON unico_claims (paredao_id, vote_id);
CREATE INDEX IF NOT EXISTS unico_claims_voter ON unico_claims (voter_key);
CREATE INDEX IF NOT EXISTS unico_claims_uncounted ON unico_claims (accepted_at) WHERE counted = 0;
CREATE TABLE IF NOT EXISTS unico_tombstones (
  cpf_hmac TEXT NOT NULL,
  paredao_id TEXT NOT NULL,
  vote_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  PRIMARY KEY (cpf_hmac, paredao_id)
) WITHOUT ROWID;
`;

const CLAIM_COLUMNS = 'paredao_id AS paredaoId, voter_key AS voterKey, vote_id AS voteId, candidate_id AS candidateId, accepted_at AS acceptedAt';

/** The Único half of the SQLite store: its methods, what applyBatch asks per vote, and what account deletion does. */
export function sqliteUnico(db: Database.Database) {
  db.exec(UNICO_SCHEMA);
  const accountCpf = db.prepare('SELECT cpf_hmac FROM voter_accounts WHERE id = ?').pluck();
  const tombstone = db.prepare('SELECT vote_id AS voteId, candidate_id AS candidateId FROM unico_tombstones WHERE cpf_hmac = ? AND paredao_id = ?');
  const insertClaim = db.prepare(
    'INSERT INTO unico_claims (paredao_id, voter_key, vote_id, candidate_id, accepted_at) VALUES (@paredaoId, @voterKey, @voteId, @candidateId, @acceptedAt) ON CONFLICT DO NOTHING',
  );
  const existing = db.prepare('SELECT vote_id AS voteId, candidate_id AS candidateId FROM unico_claims WHERE paredao_id = ? AND voter_key = ?');
  const uncounted = db.prepare(`SELECT ${CLAIM_COLUMNS} FROM unico_claims WHERE counted = 0 AND accepted_at <= ? ORDER BY accepted_at LIMIT ?`);
  const flip = db.prepare('UPDATE unico_claims SET counted = 1 WHERE paredao_id = ? AND vote_id = ? AND counted = 0');
  const settle = db.prepare('UPDATE unico_claims SET counted = -1 WHERE paredao_id = ? AND vote_id = ? AND counted = 0');
  const openClaimsOf = db.prepare(
    "SELECT c.paredao_id AS paredaoId, c.vote_id AS voteId, c.candidate_id AS candidateId FROM unico_claims c JOIN paredoes p ON p.id = c.paredao_id WHERE c.voter_key = ? AND NOT (p.status = 'closed' AND p.closed_at <= ?)",
  );
  const insertTombstone = db.prepare(
    'INSERT OR REPLACE INTO unico_tombstones (cpf_hmac, paredao_id, vote_id, candidate_id) VALUES (@cpfHmac, @paredaoId, @voteId, @candidateId)',
  );
  const rekey = db.prepare('UPDATE unico_claims SET voter_key = ? WHERE paredao_id = ? AND voter_key = ?');
  const claimsOf = db.prepare('SELECT paredao_id AS paredaoId FROM unico_claims WHERE voter_key = ?');
  // Closed and past its closing: a paredão closed with a grace time still takes votes until closed_at.
  const dropTombstones = db.prepare("DELETE FROM unico_tombstones WHERE paredao_id IN (SELECT id FROM paredoes WHERE status = 'closed' AND closed_at <= ?)");

  const claimOne = (c: UnicoClaim): ClaimResult => {
    const cpfHmac = accountCpf.get(c.voterKey) as string | undefined;
    if (cpfHmac === undefined) return { ok: false, existing: null };
    const before = tombstone.get(cpfHmac, c.paredaoId) as { voteId: string; candidateId: string } | undefined;
    if (before) return { ok: false, existing: before };
    if (insertClaim.run(c).changes === 1) return { ok: true };
    return { ok: false, existing: existing.get(c.paredaoId, c.voterKey) as { voteId: string; candidateId: string } };
  };
  // Each claim decided in turn, in one write: two claims of one person in a group are ordered like two writes.
  const claimAll = db.transaction((cs: readonly UnicoClaim[]): ClaimResult[] => cs.map(claimOne));

  // Group commit (turn-group.ts): the write lock (shared with the other api processes and the consumer,
  // whose waits are busy_timeout sleeps that block this process) is taken once per group instead of once
  // per claim. Its gain was within the shared machine's noise (docs/BENCHMARKS.md, unico).
  const claimInGroup = groupPerTurn((cs: UnicoClaim[]) => claimAll.immediate(cs));

  const methods: UnicoStore = {
    async claimUnico(c) {
      // A second attempt is answered from a read, without waiting for the write lock.
      const before = existing.get(c.paredaoId, c.voterKey) as { voteId: string; candidateId: string } | undefined;
      if (before) return { ok: false, existing: before };
      // IMMEDIATE: the account, tombstone and claim are read and written under one write lock.
      return claimInGroup(c);
    },
    async uncountedClaims(olderThan, limit) {
      return uncounted.all(olderThan, limit) as UnicoClaim[];
    },
    async dropSettledTombstones(now) {
      return dropTombstones.run(new Date(now).toISOString()).changes;
    },
  };
  return {
    methods,
    /** Inside applyBatch's transaction: true once per claim (its `counted` turned false → true here). */
    countOnce: (v: ClaimRef): boolean => flip.run(v.paredaoId, v.voteId).changes === 1,
    /** Inside applyBatch's transaction, for a Único vote outside its window: true once per claim (turned waiting → void here). */
    settleVoid: (v: ClaimRef): boolean => settle.run(v.paredaoId, v.voteId).changes === 1,
    /**
     * Inside the account deletion's transaction: the account's claims keep their vote and lose the key,
     * and its CPF HMAC stays as a tombstone for each paredão still taking votes.
     */
    forget(accountId: string, cpfHmac: string): void {
      for (const t of openClaimsOf.all(accountId, new Date().toISOString()) as { paredaoId: string; voteId: string; candidateId: string }[]) insertTombstone.run({ ...t, cpfHmac });
      for (const { paredaoId } of claimsOf.all(accountId) as { paredaoId: string }[]) rekey.run(`gone-${randomUUID()}`, paredaoId, accountId);
    },
  };
}
