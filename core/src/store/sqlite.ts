import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { hourBucket, type VoteMessage } from '../vote.js';
import { aggregate, type ApplyOutcome, type Store, type Tally } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS applied_votes (
  vote_id TEXT PRIMARY KEY,
  paredao_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  applied_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS applied_votes_applied_at ON applied_votes (applied_at);
CREATE TABLE IF NOT EXISTS tallies (
  paredao_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  votes INTEGER NOT NULL,
  PRIMARY KEY (paredao_id, candidate_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hourly (
  paredao_id TEXT NOT NULL,
  hour TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  votes INTEGER NOT NULL,
  PRIMARY KEY (paredao_id, hour, candidate_id)
) WITHOUT ROWID;
`;

/**
 * The embedded store: one SQLite file in WAL mode. Several processes may open it (the api reads the
 * tally, the consumer writes); better-sqlite3 is synchronous, which suits short transactions.
 */
export function openSqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a process crash; only an OS crash may lose the last commits,
  // and then the broker still holds those messages unacked, so they are applied again.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);

  const insertApplied = db.prepare(
    'INSERT OR IGNORE INTO applied_votes (vote_id, paredao_id, candidate_id, accepted_at, applied_at) VALUES (?, ?, ?, ?, ?)',
  );
  const addTally = db.prepare(
    'INSERT INTO tallies (paredao_id, candidate_id, votes) VALUES (?, ?, ?) ON CONFLICT (paredao_id, candidate_id) DO UPDATE SET votes = votes + excluded.votes',
  );
  const addHourly = db.prepare(
    'INSERT INTO hourly (paredao_id, hour, candidate_id, votes) VALUES (?, ?, ?, ?) ON CONFLICT (paredao_id, hour, candidate_id) DO UPDATE SET votes = votes + excluded.votes',
  );
  const selectTallies = db.prepare('SELECT candidate_id AS c, votes AS n FROM tallies WHERE paredao_id = ?');
  const selectHourly = db.prepare('SELECT hour AS h, candidate_id AS c, votes AS n FROM hourly WHERE paredao_id = ? ORDER BY hour');
  const selectSince = db.prepare(
    'SELECT vote_id AS voteId, applied_at AS appliedAt FROM applied_votes WHERE applied_at >= ? ORDER BY applied_at LIMIT ?',
  );

  const apply = db.transaction((votes: readonly VoteMessage[], appliedAt: number): ApplyOutcome => {
    const fresh: VoteMessage[] = [];
    for (const v of votes) {
      if (insertApplied.run(v.voteId, v.paredaoId, v.candidateId, v.acceptedAt, appliedAt).changes === 1) fresh.push(v);
    }
    const { candidates, hours } = aggregate(fresh, hourBucket);
    for (const c of candidates) addTally.run(c.paredaoId, c.candidateId, c.n);
    for (const h of hours) addHourly.run(h.paredaoId, h.hour, h.candidateId, h.n);
    return { applied: fresh.length, duplicates: votes.length - fresh.length };
  });

  return {
    kind: 'sqlite',
    async applyBatch(votes, appliedAt) {
      // IMMEDIATE takes the write lock up front, so a concurrent writer waits instead of failing mid-way.
      return apply.immediate(votes, appliedAt);
    },
    async tally(paredaoId): Promise<Tally> {
      const byCandidate: Record<string, number> = {};
      for (const r of selectTallies.all(paredaoId) as { c: string; n: number }[]) byCandidate[r.c] = r.n;
      const hours = new Map<string, Record<string, number>>();
      for (const r of selectHourly.all(paredaoId) as { h: string; c: string; n: number }[]) {
        const row = hours.get(r.h) ?? {};
        row[r.c] = r.n;
        hours.set(r.h, row);
      }
      return { byCandidate, hourly: [...hours].map(([hour, bc]) => ({ hour, byCandidate: bc })) };
    },
    async appliedSince(since, limit) {
      return selectSince.all(since, limit) as { voteId: string; appliedAt: number }[];
    },
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
