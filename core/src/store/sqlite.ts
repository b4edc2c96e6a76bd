import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { modeOn, paredaoSchema, tallyOf, type ModeTally, type Paredao, type Tally, type VoteMode } from '@paredao/contract';
import { acceptsVotesAt } from '../paredao.js';
import { hourBucket, modeOf, type VoteMessage } from '../vote.js';
import { sqliteBounded } from './sqlite-bounded.js';
import { sqliteUnico } from './sqlite-unico.js';
import { sqliteProofClaims } from './sqlite-proof-claims.js';
import { sqliteVoterStore, VOTER_SCHEMA } from './sqlite-voters.js';
import { aggregate, applyOutcome, keepVoting, recountOf, withVoting, type ApplyOutcome, type Store, type StoredImage, type StoredSession, type TransitionResult } from './types.js';

const TALLIES = `CREATE TABLE IF NOT EXISTS tallies (
  paredao_id TEXT NOT NULL,
  mode TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  votes INTEGER NOT NULL,
  PRIMARY KEY (paredao_id, mode, candidate_id)
) WITHOUT ROWID;`;
const HOURLY = `CREATE TABLE IF NOT EXISTS hourly (
  paredao_id TEXT NOT NULL,
  mode TEXT NOT NULL,
  hour TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  votes INTEGER NOT NULL,
  PRIMARY KEY (paredao_id, mode, hour, candidate_id)
) WITHOUT ROWID;`;

// The applied ids of the dedup window are in sqlite-applied.ts, the archive in sqlite-bounded.ts.
const SCHEMA = `
${TALLIES}
${HOURLY}
CREATE TABLE IF NOT EXISTS paredoes (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  closed_at TEXT,
  doc TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  credential TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS images (
  id TEXT PRIMARY KEY,
  content_type TEXT NOT NULL,
  bytes BLOB NOT NULL
) WITHOUT ROWID;
`;

/**
 * Files from before the vote modes: their votes are all Torcida. applied_votes (in files from before
 * batch rows, sqlite-applied.ts) gets a `mode` column
 * (an O(1) schema change, whatever its size); tallies and hourly rows, small tables whose primary key
 * gains the mode, are copied into the new layout. One IMMEDIATE transaction, so of the processes that
 * open the file at once (api workers, the consumer) one migrates and the others find it done.
 */
function migrateToModes(db: Database.Database): void {
  const columns = (table: string) => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
  const before = (table: string) => {
    const cols = columns(table);
    return cols.length > 0 && !cols.includes('mode');
  };
  db.transaction(() => {
    if (before('applied_votes')) db.exec("ALTER TABLE applied_votes ADD COLUMN mode TEXT NOT NULL DEFAULT 'torcida'");
    if (before('tallies')) {
      db.exec(`ALTER TABLE tallies RENAME TO tallies_before_modes; ${TALLIES}
        INSERT INTO tallies (paredao_id, mode, candidate_id, votes) SELECT paredao_id, 'torcida', candidate_id, votes FROM tallies_before_modes;
        DROP TABLE tallies_before_modes;`);
    }
    if (before('hourly')) {
      db.exec(`ALTER TABLE hourly RENAME TO hourly_before_modes; ${HOURLY}
        INSERT INTO hourly (paredao_id, mode, hour, candidate_id, votes) SELECT paredao_id, 'torcida', hour, candidate_id, votes FROM hourly_before_modes;
        DROP TABLE hourly_before_modes;`);
    }
    db.exec(SCHEMA);
  }).immediate();
}

/**
 * The embedded store: one SQLite file in WAL mode. Several processes may open it (the api reads, the
 * consumer writes); better-sqlite3 is synchronous, which suits short transactions.
 */
export function openSqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a process crash; only an OS crash may lose the last commits,
  // and then the broker still holds those messages unacked, so they are applied again.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // Checkpoint the WAL every ~40 MB instead of SQLite's default ~4 MB: measured with
  // bench/store-apply.ts (batches of 500), 22–24 → 16–18 µs of CPU per applied vote and about half the
  // wall time per batch (docs/BENCHMARKS.md). The file is cut back to 64 MB after a checkpoint.
  // (cache_size 64 MiB and mmap_size 256 MiB were measured too: no gain.)
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('journal_size_limit = 67108864');
  migrateToModes(db);
  db.exec(VOTER_SCHEMA);
  const bounded = sqliteBounded(db);
  const { applied } = bounded;
  const unico = sqliteUnico(db);

  const addTally = db.prepare(
    'INSERT INTO tallies (paredao_id, mode, candidate_id, votes) VALUES (?, ?, ?, ?) ON CONFLICT (paredao_id, mode, candidate_id) DO UPDATE SET votes = votes + excluded.votes',
  );
  const addHourly = db.prepare(
    'INSERT INTO hourly (paredao_id, mode, hour, candidate_id, votes) VALUES (?, ?, ?, ?, ?) ON CONFLICT (paredao_id, mode, hour, candidate_id) DO UPDATE SET votes = votes + excluded.votes',
  );
  const selectTallies = db.prepare('SELECT mode AS m, candidate_id AS c, votes AS n FROM tallies WHERE paredao_id = ?');
  const selectHourly = db.prepare('SELECT mode AS m, hour AS h, candidate_id AS c, votes AS n FROM hourly WHERE paredao_id = ? ORDER BY hour');
  const selectParedao = db.prepare('SELECT doc FROM paredoes WHERE id = ?');
  const selectParedoes = db.prepare('SELECT doc FROM paredoes ORDER BY created_at DESC, id');
  const selectOpen = db.prepare("SELECT doc FROM paredoes WHERE status = 'open' LIMIT 1");
  const selectLastClosed = db.prepare("SELECT doc FROM paredoes WHERE status = 'closed' ORDER BY closed_at DESC LIMIT 1");
  const upsertParedao = db.prepare(
    'INSERT INTO paredoes (id, status, created_at, closed_at, doc) VALUES (@id, @status, @createdAt, @closedAt, @doc) ON CONFLICT (id) DO UPDATE SET status = excluded.status, closed_at = excluded.closed_at, doc = excluded.doc',
  );
  const insertParedaoStmt = db.prepare('INSERT INTO paredoes (id, status, created_at, closed_at, doc) VALUES (@id, @status, @createdAt, @closedAt, @doc)');
  const putImageStmt = db.prepare('INSERT OR REPLACE INTO images (id, content_type, bytes) VALUES (?, ?, ?)');
  const getImageStmt = db.prepare('SELECT content_type AS contentType, bytes FROM images WHERE id = ?');
  const putSessionStmt = db.prepare('INSERT OR REPLACE INTO sessions (id, username, credential, expires_at) VALUES (@id, @username, @credential, @expiresAt)');
  const getSessionStmt = db.prepare('SELECT id, username, credential, expires_at AS expiresAt FROM sessions WHERE id = ? AND expires_at > ?');
  const deleteSessionStmt = db.prepare('DELETE FROM sessions WHERE id = ?');
  const revokeSessionsStmt = db.prepare('DELETE FROM sessions WHERE credential <> ? OR expires_at <= ?');
  const getSettingStmt = db.prepare('SELECT value FROM settings WHERE key = ?');
  const putSettingStmt = db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)');

  const parse = (row: unknown): Paredao | null => (row ? paredaoSchema.parse(JSON.parse((row as { doc: string }).doc)) : null);
  const rowOf = (p: Paredao) => ({ id: p.id, status: p.status, createdAt: p.createdAt ?? new Date(0).toISOString(), closedAt: p.closedAt ?? null, doc: JSON.stringify(p) });

  const apply = db.transaction((votes: readonly VoteMessage[], appliedAt: number): ApplyOutcome => {
    const windows = new Map<string, Paredao | null>();
    let outsideWindow = 0;
    const voided: string[] = [];
    const accepted: VoteMessage[] = [];
    for (const v of votes) {
      if (!windows.has(v.paredaoId)) windows.set(v.paredaoId, parse(selectParedao.get(v.paredaoId)));
      const p = windows.get(v.paredaoId);
      if (!p || !acceptsVotesAt(p, v.acceptedAt) || !p.candidates.some((c) => c.id === v.candidateId) || !modeOn(p, modeOf(v))) {
        outsideWindow++;
        // Its claim can never count: settled here, so the sweeper stops finding it (decision 0005).
        if (modeOf(v) === 'unico' && unico.settleVoid(v)) voided.push(v.voteId);
        continue;
      }
      // A Único vote counts only if this write turns its claim to counted (decision 0005): else a duplicate.
      if (modeOf(v) === 'unico' && !unico.countOnce(v)) continue;
      accepted.push(v);
    }
    // Accepted before the pruned-through mark: their ids may be gone, so they cannot be checked.
    const { checkable: inWindow, below } = bounded.belowMark(accepted);
    // New ids only: a redelivery, a resend or a voter's retry of an applied vote is a duplicate.
    const fresh = applied.takeFresh(inWindow, appliedAt);
    const { candidates, hours } = aggregate(fresh, hourBucket);
    for (const c of candidates) addTally.run(c.paredaoId, c.mode, c.candidateId, c.n);
    for (const h of hours) addHourly.run(h.paredaoId, h.mode, h.hour, h.candidateId, h.n);
    bounded.archive(fresh);
    return applyOutcome(votes.length, fresh, outsideWindow, below, voided);
  });

  const transition = db.transaction((id: string, change: (p: Paredao) => Paredao | TransitionResult): TransitionResult => {
    const p = parse(selectParedao.get(id));
    if (!p) return { ok: false, code: 'not_found' };
    const next = change(p);
    if ('ok' in next) return next;
    upsertParedao.run(rowOf(next));
    return { ok: true, paredao: next };
  });

  return {
    kind: 'sqlite',
    ...sqliteVoterStore(db, unico.forget),
    ...unico.methods,
    ...sqliteProofClaims(db),
    async applyBatch(votes, appliedAt) {
      // IMMEDIATE takes the write lock up front, so a concurrent writer waits instead of failing mid-way.
      let outcome: ApplyOutcome;
      try {
        outcome = apply.immediate(votes, appliedAt);
      } catch (err) {
        applied.rolledBack();
        throw err;
      }
      applied.committed();
      return outcome;
    },
    async tally(paredaoId): Promise<Tally> {
      const modes = { torcida: { byCandidate: {}, hourly: [] }, unico: { byCandidate: {}, hourly: [] } } as Record<VoteMode, ModeTally>;
      for (const r of selectTallies.all(paredaoId) as { m: VoteMode; c: string; n: number }[]) modes[r.m].byCandidate[r.c] = r.n;
      const hours = { torcida: new Map<string, Record<string, number>>(), unico: new Map<string, Record<string, number>>() };
      for (const r of selectHourly.all(paredaoId) as { m: VoteMode; h: string; c: string; n: number }[]) {
        const row = hours[r.m].get(r.h) ?? {};
        row[r.c] = r.n;
        hours[r.m].set(r.h, row);
      }
      for (const m of ['torcida', 'unico'] as const) modes[m].hourly = [...hours[m]].map(([hour, bc]) => ({ hour, byCandidate: bc }));
      return tallyOf(modes);
    },
    async recount(paredaoId) {
      return recountOf(bounded.recountRows(paredaoId));
    },
    async listParedoes() {
      return selectParedoes.all().map((r) => parse(r)!);
    },
    async getParedao(id) {
      return parse(selectParedao.get(id));
    },
    async currentParedao() {
      return parse(selectOpen.get()) ?? parse(selectLastClosed.get());
    },
    async insertParedao(p) {
      insertParedaoStmt.run(rowOf(paredaoSchema.parse(p)));
    },
    async updateDraft(p) {
      return transition.immediate(p.id, (cur) =>
        cur.status === 'draft' ? keepVoting({ ...paredaoSchema.parse(p), status: 'draft', createdAt: cur.createdAt }, cur) : { ok: false, code: 'not_draft' },
      );
    },
    async setVoting(id, voting, change) {
      return transition.immediate(id, (cur) => withVoting(cur, voting, change));
    },
    async openParedao(id, at) {
      return transition.immediate(id, (cur) => {
        if (cur.status !== 'draft') return { ok: false, code: 'not_draft' };
        const open = parse(selectOpen.get());
        if (open) return { ok: false, code: 'another_open' };
        return { ...cur, status: 'open', openedAt: at.toISOString() };
      });
    },
    async closeParedao(id, at) {
      return transition.immediate(id, (cur) => (cur.status === 'open' ? { ...cur, status: 'closed', closedAt: at.toISOString() } : { ok: false, code: 'not_open' }));
    },
    async putImage(id, image: StoredImage) {
      putImageStmt.run(id, image.contentType, image.bytes);
    },
    async getImage(id) {
      return (getImageStmt.get(id) as StoredImage | undefined) ?? null;
    },
    async putSession(session) {
      putSessionStmt.run(session);
    },
    async getSession(id, now) {
      return (getSessionStmt.get(id, now) as StoredSession | undefined) ?? null;
    },
    async deleteSession(id) {
      deleteSessionStmt.run(id);
    },
    async revokeSessionsExcept(credential, now) {
      return revokeSessionsStmt.run(credential, now).changes;
    },
    async getSetting(key) {
      const row = getSettingStmt.get(key) as { value: string } | undefined;
      return row ? (JSON.parse(row.value) as unknown) : null;
    },
    async putSetting(key, value) {
      putSettingStmt.run(key, JSON.stringify(value));
    },
    async prune(key, mark) {
      return bounded.prune(key, mark);
    },
    async appliedSince(since, limit) {
      return applied.appliedSince(since, limit);
    },
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
