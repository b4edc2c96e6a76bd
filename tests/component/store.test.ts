import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openStore, type ApplyOutcome, type Store, type VoteMessage } from '@paredao/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@paredao/testkit/ports';
import { paredaoFixture } from '@paredao/testkit/paredao';

/**
 * One contract, every store (core/src/store/types.ts): SQLite always; MongoDB when MONGO_URL names a reachable
 * replica set (transactions need one), and a loud skip line otherwise.
 *
 * The contract uses fixed ids and opens a paredão, so each run gets a database of its own (the one in
 * MONGO_URL is replaced) and drops it afterwards: runs do not see each other's votes or open paredão,
 * and anyone can point MONGO_URL at a shared replica set. A run that was killed leaves its database
 * behind; the next run drops those older than an hour.
 */
const MONGO_URL = process.env.MONGO_URL;
const CONTRACT_DB_PREFIX = 'paredao_contract_';
const contractDb = `${CONTRACT_DB_PREFIX}${Date.now()}_${process.pid}`;

/** The same connection string with another database (any hosts, any options, mongodb+srv too). */
function withDatabase(url: string, db: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/.exec(url);
  if (!m) throw new Error(`not a MongoDB connection string: ${url.replace(/\/\/[^@/]*@/, '//…@')}`);
  return `${m[1]}/${db}${m[2] ?? ''}`;
}

async function dropContractDatabases(url: string, which: (name: string) => boolean): Promise<void> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  try {
    const { databases } = await client.db().admin().listDatabases({ nameOnly: true });
    for (const { name } of databases) if (name.startsWith(CONTRACT_DB_PREFIX) && which(name)) await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
}

/**
 * Makes the store's next write of the hourly row `(paredaoId, hour, candidateId)` fail, from outside the
 * store and with no switch inside it: a real failure half way through `applyBatch` (after the vote ids
 * and the tallies are written). Returns the undo.
 */
type FailHourlyRow = (url: string, row: { paredaoId: string; hour: string; candidateId: string }) => Promise<() => Promise<void>>;

const failSqliteHourlyRow: FailHourlyRow = async (url, row) => {
  const { default: Database } = await import('better-sqlite3');
  const path = url.slice('sqlite:'.length);
  const q = (v: string) => `'${v.replaceAll("'", "''")}'`;
  const db = new Database(path);
  // Another connection to the same file, as an operator's sqlite3 shell would be: a trigger that aborts
  // the statement (and so the store's transaction) when that hourly row is written.
  db.exec(
    `CREATE TRIGGER contract_fail_hourly BEFORE INSERT ON hourly WHEN NEW.paredao_id = ${q(row.paredaoId)} AND NEW.hour = ${q(row.hour)} AND NEW.candidate_id = ${q(row.candidateId)} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
  );
  db.close();
  return async () => {
    const undo = new Database(path);
    undo.exec('DROP TRIGGER contract_fail_hourly');
    undo.close();
  };
};

const failMongoHourlyRow: FailHourlyRow = async (url, row) => {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  const hourly = client.db().collection<{ _id: string; votes: unknown }>('hourly');
  // The store's $inc on that row meets a string: a TypeMismatch inside its transaction. No paredaoId on
  // the document, so tally() never reads it.
  const _id = `${row.paredaoId}:${row.hour}:${row.candidateId}`;
  await hourly.insertOne({ _id, votes: 'not a number' });
  return async () => {
    await hourly.deleteOne({ _id });
    await client.close();
  };
};

/**
 * Writes a store as the code before the vote modes left it, at a fresh address, with one paredão
 * `legacy` and Torcida votes for it (a: 2 at 21h, b: 1 at 22h, each in the applied votes, the tallies and
 * the hourly rows), and returns that address. The store opened on it must read them as Torcida.
 */
type WriteLegacyStore = (url: string) => Promise<{ url: string; drop: () => Promise<void> }>;

const LEGACY_PAREDAO = { id: 'legacy', title: 'Antes dos modos', status: 'open', candidates: [{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }], openedAt: '2026-01-01T00:00:00.000Z', createdAt: '2026-01-01T00:00:00.000Z' };
const LEGACY_VOTES = [
  { id: 'old-1', c: 'a', at: Date.UTC(2026, 10, 23, 21, 5), hour: '2026-11-23T21:00:00.000Z' },
  { id: 'old-2', c: 'a', at: Date.UTC(2026, 10, 23, 21, 6), hour: '2026-11-23T21:00:00.000Z' },
  { id: 'old-3', c: 'b', at: Date.UTC(2026, 10, 23, 22, 7), hour: '2026-11-23T22:00:00.000Z' },
];

const writeLegacySqlite: WriteLegacyStore = async () => {
  const { default: Database } = await import('better-sqlite3');
  const path = join(mkdtempSync(join(tmpdir(), 'paredao-legacy-')), 'legacy.db');
  const db = new Database(path);
  // The tables as they were: no mode anywhere.
  db.exec(`
    CREATE TABLE applied_votes (vote_id TEXT PRIMARY KEY, paredao_id TEXT NOT NULL, candidate_id TEXT NOT NULL, accepted_at INTEGER NOT NULL, applied_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX applied_votes_applied_at ON applied_votes (applied_at);
    CREATE INDEX applied_votes_paredao ON applied_votes (paredao_id, candidate_id);
    CREATE TABLE tallies (paredao_id TEXT NOT NULL, candidate_id TEXT NOT NULL, votes INTEGER NOT NULL, PRIMARY KEY (paredao_id, candidate_id)) WITHOUT ROWID;
    CREATE TABLE hourly (paredao_id TEXT NOT NULL, hour TEXT NOT NULL, candidate_id TEXT NOT NULL, votes INTEGER NOT NULL, PRIMARY KEY (paredao_id, hour, candidate_id)) WITHOUT ROWID;
    CREATE TABLE paredoes (id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at TEXT NOT NULL, closed_at TEXT, doc TEXT NOT NULL) WITHOUT ROWID;
  `);
  db.prepare('INSERT INTO paredoes VALUES (?, ?, ?, NULL, ?)').run('legacy', 'open', LEGACY_PAREDAO.createdAt, JSON.stringify(LEGACY_PAREDAO));
  for (const v of LEGACY_VOTES) {
    db.prepare('INSERT INTO applied_votes VALUES (?, ?, ?, ?, ?)').run(v.id, 'legacy', v.c, v.at, v.at);
    db.prepare('INSERT INTO tallies VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET votes = votes + 1').run('legacy', v.c);
    db.prepare('INSERT INTO hourly VALUES (?, ?, ?, 1) ON CONFLICT DO UPDATE SET votes = votes + 1').run('legacy', v.hour, v.c);
  }
  db.close();
  return { url: `sqlite:${path}`, drop: async () => {} };
};

const writeLegacyMongo: WriteLegacyStore = async (url) => {
  const { MongoClient } = await import('mongodb');
  const legacyUrl = withDatabase(url, `${contractDb}_legacy`);
  const client = new MongoClient(legacyUrl, { serverSelectionTimeoutMS: 5000 });
  const db = client.db();
  const { id, ...rest } = LEGACY_PAREDAO;
  await db.collection<{ _id: string; [k: string]: unknown }>('paredoes').insertOne({ _id: id, ...rest, createdAtDate: new Date(LEGACY_PAREDAO.createdAt) });
  // The documents as they were: no mode field, ids without one.
  await db.collection<{ _id: string; [k: string]: unknown }>('applied_votes').insertMany(LEGACY_VOTES.map((v) => ({ _id: v.id, paredaoId: 'legacy', candidateId: v.c, acceptedAt: v.at, appliedAt: new Date(v.at) })));
  await db.collection<{ _id: string; [k: string]: unknown }>('tallies').insertMany([
    { _id: 'legacy:a', paredaoId: 'legacy', candidateId: 'a', votes: 2 },
    { _id: 'legacy:b', paredaoId: 'legacy', candidateId: 'b', votes: 1 },
  ]);
  await db.collection<{ _id: string; [k: string]: unknown }>('hourly').insertMany([
    { _id: 'legacy:2026-11-23T21:00:00.000Z:a', paredaoId: 'legacy', hour: '2026-11-23T21:00:00.000Z', candidateId: 'a', votes: 2 },
    { _id: 'legacy:2026-11-23T22:00:00.000Z:b', paredaoId: 'legacy', hour: '2026-11-23T22:00:00.000Z', candidateId: 'b', votes: 1 },
  ]);
  await client.close();
  return { url: legacyUrl, drop: () => dropContractDatabases(url, (name) => name === `${contractDb}_legacy`) };
};

/**
 * Applies the batches at the same time, as far as the store allows it; says how many calls were in
 * flight together at most.
 */
type ApplyConcurrently = (url: string, store: Store, batches: VoteMessage[][]) => Promise<{ outcomes: ApplyOutcome[]; inFlightTogether: number }>;

/**
 * SQLite: one writer thread per batch, each with its own connection to the file. This thread holds
 * the write lock while they start, so every call is inside applyBatch, waiting for the lock, before
 * any can finish; then they race for it (IMMEDIATE transactions, busy_timeout).
 */
const applySqliteConcurrently: ApplyConcurrently = async (url, _store, batches) => {
  const { default: Database } = await import('better-sqlite3');
  const writers = batches.map((batch) => new Worker(new URL('./store-writer.mjs', import.meta.url), { workerData: { path: url.slice('sqlite:'.length), batch } }));
  const next = (w: Worker, type: string) =>
    new Promise<{ type: string; outcome?: ApplyOutcome; message?: string }>((resolve, reject) => {
      const onMessage = (m: { type: string; message?: string }) => {
        if (m.type === 'failed') reject(new Error(m.message));
        else if (m.type === type) (w.off('message', onMessage), resolve(m));
      };
      w.on('message', onMessage);
      w.once('error', reject);
    });
  const holder = new Database(url.slice('sqlite:'.length));
  try {
    await Promise.all(writers.map((w) => next(w, 'ready')));
    holder.exec('BEGIN IMMEDIATE');
    let inFlight = 0;
    let inFlightTogether = 0;
    const results = writers.map(async (w) => {
      const started = next(w, 'started');
      const done = next(w, 'done');
      w.postMessage('go');
      await started;
      inFlightTogether = Math.max(inFlightTogether, ++inFlight);
      const { outcome } = await done;
      inFlight--;
      return outcome!;
    });
    // Each writer has said it is calling applyBatch; none can finish while the lock is held here. A
    // writer posts 'started' in the same synchronous run that goes on into BEGIN IMMEDIATE (better-sqlite3
    // blocks its thread there), so no pause is needed for them to be waiting on the lock.
    await waitFor('every writer inside applyBatch', async () => inFlightTogether === writers.length, 10_000, 5);
    holder.exec('COMMIT');
    return { outcomes: await Promise.all(results), inFlightTogether };
  } finally {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    await Promise.all(writers.map((w) => w.terminate()));
  }
};

/**
 * MongoDB: the calls of one client run concurrently (transactions that conflict are retried); each
 * awaits the server before it can commit, so all are in flight together.
 */
const applyMongoConcurrently: ApplyConcurrently = async (_url, store, batches) => {
  let inFlight = 0;
  let inFlightTogether = 0;
  const outcomes = await Promise.all(
    batches.map(async (batch) => {
      inFlightTogether = Math.max(inFlightTogether, ++inFlight);
      try {
        return await store.applyBatch(batch, Date.now());
      } finally {
        inFlight--;
      }
    }),
  );
  return { outcomes, inFlightTogether };
};

const targets: { name: string; url: string | null; why?: string; failHourlyRow: FailHourlyRow; applyConcurrently: ApplyConcurrently; writeLegacy: WriteLegacyStore }[] = [
  {
    name: 'sqlite',
    url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'paredao-store-')), 'contract.db')}`,
    failHourlyRow: failSqliteHourlyRow,
    applyConcurrently: applySqliteConcurrently,
    writeLegacy: writeLegacySqlite,
  },
  MONGO_URL
    ? { name: 'mongodb', url: withDatabase(MONGO_URL, contractDb), failHourlyRow: failMongoHourlyRow, applyConcurrently: applyMongoConcurrently, writeLegacy: writeLegacyMongo }
    : {
        name: 'mongodb',
        url: null,
        why: 'MONGO_URL is not set and no MongoDB server can be installed on this machine',
        failHourlyRow: failMongoHourlyRow,
        applyConcurrently: applyMongoConcurrently,
        writeLegacy: writeLegacyMongo,
      },
];

describe('withDatabase', () => {
  it('replaces the database and keeps hosts and options', () => {
    expect(withDatabase('mongodb://a:1,b:2/test?replicaSet=rs0', 'x')).toBe('mongodb://a:1,b:2/x?replicaSet=rs0');
    expect(withDatabase('mongodb://h:27017?replicaSet=rs0', 'x')).toBe('mongodb://h:27017/x?replicaSet=rs0');
    expect(withDatabase('mongodb+srv://c.example.net/', 'x')).toBe('mongodb+srv://c.example.net/x');
    expect(() => withDatabase('sqlite:x.db', 'x')).toThrow(/not a MongoDB/);
  });
});

for (const t of targets) {
  if (!t.url) {
    console.warn(`\n⚠️  SKIPPED: store contract suite against ${t.name}: ${t.why}. Set MONGO_URL=mongodb://host:27017/test?replicaSet=rs0 to run it.\n`);
  }
  describe.skipIf(!t.url)(`store contract: ${t.name}`, () => {
    let store: Store;
    const paredaoId = `contract-${Date.now()}`;
    const vote = (voteId: string, candidateId: string, acceptedAt = Date.UTC(2026, 10, 23, 21, 15)): VoteMessage => ({ v: 1, voteId, paredaoId, candidateId, acceptedAt });
    /** A voter account with one passkey: who a Único claim needs. */
    const person = async (id: string, cpfHmac: string) => {
      await store.createVoterAccount(
        { id, cpfHmac, cpfMasked: '•••.982.247-••', createdAt: 1_700_000_000_000 },
        { id: `cred-${id}`, accountId: id, publicKey: Buffer.from([1]), counter: 0, transports: [], createdAt: 1_700_000_000_000, lastUsedAt: null },
      );
    };

    beforeAll(async () => {
      if (t.name === 'mongodb') {
        const hourAgo = Date.now() - 3_600_000;
        await dropContractDatabases(t.url!, (name) => Number(name.slice(CONTRACT_DB_PREFIX.length).split('_')[0]) < hourAgo);
      }
      store = await openStore(t.url!);
      await store.insertParedao(paredaoFixture(paredaoId, 'Contrato'));
    });
    afterAll(async () => {
      await store?.close();
      if (t.name === 'mongodb') await dropContractDatabases(t.url!, (name) => name === contractDb);
    });

    it('when a batch is applied, then tallies and hourly rows count each vote once', async () => {
      const outcome = await store.applyBatch([vote('v-0001', 'a'), vote('v-0002', 'a'), vote('v-0003', 'b', Date.UTC(2026, 10, 23, 22, 1))], Date.now());
      expect(outcome).toEqual({ applied: 3, appliedByMode: { torcida: 3, unico: 0 }, duplicates: 0, outsideWindow: 0, oldestAcceptedAt: Date.UTC(2026, 10, 23, 21, 15) });
      const tally = await store.tally(paredaoId);
      expect(tally.byCandidate).toEqual({ a: 2, b: 1 });
      expect(tally.hourly).toEqual([
        { hour: '2026-11-23T21:00:00.000Z', byCandidate: { a: 2 } },
        { hour: '2026-11-23T22:00:00.000Z', byCandidate: { b: 1 } },
      ]);
    });

    it('when the same batch is delivered again, then nothing is counted twice', async () => {
      const outcome = await store.applyBatch([vote('v-0001', 'a'), vote('v-0002', 'a'), vote('v-0004', 'b')], Date.now());
      expect(outcome).toEqual({ applied: 1, appliedByMode: { torcida: 1, unico: 0 }, duplicates: 2, outsideWindow: 0, oldestAcceptedAt: Date.UTC(2026, 10, 23, 21, 15) });
      expect((await store.tally(paredaoId)).byCandidate).toEqual({ a: 2, b: 2 });
    });

    it('when one batch holds the same vote id twice, then it counts once', async () => {
      const outcome = await store.applyBatch([vote('v-0005', 'a'), vote('v-0005', 'a')], Date.now());
      expect(outcome).toEqual({ applied: 1, appliedByMode: { torcida: 1, unico: 0 }, duplicates: 1, outsideWindow: 0, oldestAcceptedAt: Date.UTC(2026, 10, 23, 21, 15) });
      // Only duplicates: nothing counted, so no acceptance time to report.
      expect(await store.applyBatch([vote('v-0005', 'a')], Date.now())).toEqual({ applied: 0, appliedByMode: { torcida: 0, unico: 0 }, duplicates: 1, outsideWindow: 0, oldestAcceptedAt: null });
      expect((await store.tally(paredaoId)).byCandidate.a).toBe(3);
    });

    it('when a second store on the same data applies votes between two of the first one\'s batches, then the first counts none of them again', async () => {
      // Each applying process keeps the window's ids (SQLite: in memory); what another wrote after the
      // first one's last batch must reach it before its next.
      // A paredão of its own, not to move the others' tallies: closed (never clashing with an open one)
      // the day after these votes, so no later test takes it for the latest closed.
      const two = `${paredaoId}-two`;
      await store.insertParedao(paredaoFixture(two, 'Dois', { a: 'A', b: 'B' }, { status: 'closed', closedAt: '2026-11-24T00:00:00.000Z' }));
      const v = (voteId: string, candidateId: string): VoteMessage => ({ ...vote(voteId, candidateId), paredaoId: two });
      const second = await openStore(t.url!);
      try {
        expect((await store.applyBatch([v('two-1', 'a')], Date.now())).applied).toBe(1);
        expect((await second.applyBatch([v('two-1', 'a'), v('two-2', 'b'), v('two-3', 'a')], Date.now())).applied).toBe(2);
        expect(await store.applyBatch([v('two-2', 'b'), v('two-3', 'a'), v('two-4', 'b')], Date.now())).toMatchObject({ applied: 1, duplicates: 2 });
        expect(await second.applyBatch([v('two-4', 'b')], Date.now())).toMatchObject({ applied: 0, duplicates: 1 });
        expect((await store.tally(two)).byCandidate).toEqual({ a: 2, b: 2 });
      } finally {
        await second.close();
      }
    });

    it('when batches are applied concurrently, then every vote counts exactly once', async () => {
      const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 50 }, (_, i) => vote(`c-${b % 4}-${i}`, i % 2 ? 'a' : 'b')));
      const { outcomes, inFlightTogether } = await t.applyConcurrently(t.url!, store, batches);
      expect(inFlightTogether).toBe(batches.length);
      expect(outcomes.reduce((s, o) => s + o.applied, 0)).toBe(200);
      expect(outcomes.reduce((s, o) => s + o.duplicates, 0)).toBe(200);
      const tally = await store.tally(paredaoId);
      expect((tally.byCandidate.a ?? 0) + (tally.byCandidate.b ?? 0)).toBe(5 + 200);
    });

    it('when a large batch mixes new votes, earlier ones and a repeated id, then each new id counts once', async () => {
      const before = (await store.tally(paredaoId)).byCandidate;
      // 263 = 200 + 50 + 10 + 1 + 1 + 1 rows: every chunk size of a multi-row write, with old ids among them.
      const fresh = Array.from({ length: 260 }, (_, i) => vote(`big-${String(i).padStart(4, '0')}`, i % 2 ? 'a' : 'b'));
      const batch = [...fresh.slice(0, 100), vote('v-0001', 'a'), ...fresh.slice(100), vote('v-0002', 'a'), fresh[7]!];
      const outcome = await store.applyBatch(batch, Date.now());
      expect(outcome).toEqual({ applied: 260, appliedByMode: { torcida: 260, unico: 0 }, duplicates: 3, outsideWindow: 0, oldestAcceptedAt: Date.UTC(2026, 10, 23, 21, 15) });
      const after = (await store.tally(paredaoId)).byCandidate;
      expect((after.a ?? 0) - (before.a ?? 0)).toBe(130);
      expect((after.b ?? 0) - (before.b ?? 0)).toBe(130);
    });

    it('when asked what was applied since a time, then it lists the vote ids in order', async () => {
      const since = Date.now() + 10_000;
      await store.applyBatch([vote('s-1', 'a'), vote('s-2', 'b')], since);
      const rows = await store.appliedSince(since, 10);
      expect(rows.map((r) => r.voteId).sort()).toEqual(['s-1', 's-2']);
      expect(rows.every((r) => r.appliedAt === since)).toBe(true);
      expect(await store.appliedSince(since + 1, 10)).toEqual([]);
    });

    it('when the applied votes are recounted, then the audit matches the tallies', async () => {
      const tally = await store.tally(paredaoId);
      expect(await store.recount(paredaoId)).toEqual({ byCandidate: tally.byCandidate, modes: { torcida: tally.modes.torcida.byCandidate, unico: tally.modes.unico.byCandidate } });
    });

    it('when a write fails half way through a batch, then nothing of it stays (tallies, hourly rows, vote ids) and the same batch counts in full afterwards', async () => {
      const snapshot = async () => ({ tally: await store.tally(paredaoId), recount: await store.recount(paredaoId), ids: await store.appliedSince(0, 100_000) });
      const before = await snapshot();
      const failingHour = Date.UTC(2026, 10, 24, 3, 30);
      // Two hours: the first row of the batch is written, the second fails (after ids and tallies).
      const batch = [vote('rb-0001', 'a'), vote('rb-0002', 'b'), vote('rb-0003', 'b', failingHour)];
      const undo = await t.failHourlyRow(t.url!, { paredaoId, hour: '2026-11-24T03:00:00.000Z', candidateId: 'b' });
      try {
        await expect(store.applyBatch(batch, Date.now())).rejects.toThrow(/injected failure|non-numeric/);
      } finally {
        await undo();
      }
      expect(await snapshot()).toEqual(before);
      expect(await store.applyBatch(batch, Date.now())).toEqual({ applied: 3, appliedByMode: { torcida: 3, unico: 0 }, duplicates: 0, outsideWindow: 0, oldestAcceptedAt: Date.UTC(2026, 10, 23, 21, 15) });
      const after = await store.tally(paredaoId);
      expect(after.byCandidate).toEqual({ a: (before.tally.byCandidate.a ?? 0) + 1, b: (before.tally.byCandidate.b ?? 0) + 2 });
      expect(after.hourly.find((h) => h.hour === '2026-11-24T03:00:00.000Z')?.byCandidate).toEqual({ b: 1 });
    });

    it('when paredões are created, opened and closed, then at most one is open and votes count only inside the window', async () => {
      const mk = (id: string) => ({
        id,
        title: id,
        status: 'draft' as const,
        candidates: [
          { id: 'x', name: 'X' },
          { id: 'y', name: 'Y' },
          { id: 'z', name: 'Z' },
        ],
        createdAt: new Date().toISOString(),
      });
      const p1 = `life-1-${Date.now()}`;
      const p2 = `life-2-${Date.now()}`;
      await store.insertParedao(mk(p1));
      await store.insertParedao(mk(p2));
      expect((await store.getParedao(p1))?.status).toBe('draft');
      // The contract paredão above is open: nothing else may open.
      expect(await store.openParedao(p1, new Date())).toEqual({ ok: false, code: 'another_open' });
      expect((await store.closeParedao(paredaoId, new Date())).ok).toBe(true);
      expect(await store.closeParedao(paredaoId, new Date())).toEqual({ ok: false, code: 'not_open' });

      const edited = await store.updateDraft({ ...mk(p1), title: 'Editado' });
      expect(edited.ok && edited.paredao.title).toBe('Editado');
      const openedAt = new Date(Date.now() - 60_000);
      const opened = await store.openParedao(p1, openedAt);
      expect(opened.ok && opened.paredao.status).toBe('open');
      expect(await store.openParedao(p2, new Date())).toEqual({ ok: false, code: 'another_open' });
      expect(await store.updateDraft(mk(p1))).toEqual({ ok: false, code: 'not_draft' });
      expect((await store.currentParedao())?.id).toBe(p1);

      const closedAt = new Date(Date.now() - 30_000);
      expect((await store.closeParedao(p1, closedAt)).ok).toBe(true);
      const v = (id: string, c: string, at: number): VoteMessage => ({ v: 1, voteId: id, paredaoId: p1, candidateId: c, acceptedAt: at });
      const outcome = await store.applyBatch(
        [
          v(`${p1}-in`, 'x', closedAt.getTime() - 1), // queued before closing, applied after: counts
          v(`${p1}-late`, 'x', closedAt.getTime()), // accepted at the closing instant: does not
          v(`${p1}-early`, 'y', openedAt.getTime() - 1), // before opening: does not
          v(`${p1}-ghost`, 'nobody', closedAt.getTime() - 1), // not a candidate of this paredão
          { ...v(`${p1}-other`, 'x', Date.now()), paredaoId: 'no-such-paredao' },
        ],
        Date.now(),
      );
      // The oldest vote counted, not the oldest in the batch (`early` was refused).
      expect(outcome).toEqual({ applied: 1, appliedByMode: { torcida: 1, unico: 0 }, duplicates: 0, outsideWindow: 4, oldestAcceptedAt: closedAt.getTime() - 1 });
      expect((await store.tally(p1)).byCandidate).toEqual({ x: 1 });
      // With none open, the current one is the paredão whose closing time is the latest.
      expect((await store.currentParedao())?.id).toBe(paredaoId);
      const list = await store.listParedoes();
      expect(list.map((p) => p.id)).toEqual(expect.arrayContaining([p1, p2, paredaoId]));
    });

    it('when an image is stored, then it comes back byte for byte', async () => {
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
      await store.putImage('img-contract-1', { contentType: 'image/png', bytes });
      const back = await store.getImage('img-contract-1');
      expect(back?.contentType).toBe('image/png');
      expect(Buffer.compare(back!.bytes, bytes)).toBe(0);
      expect(await store.getImage('nope')).toBeNull();
    });

    it('when a session is stored, then it is found until it expires, is deleted, or its password changes', async () => {
      const now = Date.now();
      await store.putSession({ id: 's-live', username: 'admin', credential: 'pw1', expiresAt: now + 60_000 });
      await store.putSession({ id: 's-other', username: 'admin', credential: 'pw1', expiresAt: now + 60_000 });
      await store.putSession({ id: 's-old-password', username: 'admin', credential: 'pw0', expiresAt: now + 60_000 });
      await store.putSession({ id: 's-expired', username: 'admin', credential: 'pw1', expiresAt: now - 1 });
      expect(await store.getSession('s-live', now)).toEqual({ id: 's-live', username: 'admin', credential: 'pw1', expiresAt: now + 60_000 });
      expect(await store.getSession('s-expired', now)).toBeNull();
      expect(await store.getSession('s-live', now + 60_000)).toBeNull();
      await store.deleteSession('s-live');
      expect(await store.getSession('s-live', now)).toBeNull();
      expect(await store.getSession('s-other', now)).not.toBeNull();
      expect(await store.revokeSessionsExcept('pw1', now)).toBe(2); // the old password's and the expired one
      expect(await store.getSession('s-old-password', now)).toBeNull();
      expect(await store.getSession('s-other', now)).not.toBeNull();
    });

    it('when a setting is stored, then it comes back, and an unknown one is null', async () => {
      expect(await store.getSetting('contract.unknown')).toBeNull();
      await store.putSetting('contract.n', 7);
      await store.putSetting('contract.n', { difficulty: 9 });
      expect(await store.getSetting('contract.n')).toEqual({ difficulty: 9 });
    });

    describe('vote modes', () => {
      // Both modes on. Stored closed with a closing far ahead, as after "close" with its grace time: it
      // takes votes, and is not a second open paredão (the contract one may still be open).
      const both = `modes-${Date.now()}`;
      const mv = (voteId: string, candidateId: string, mode: 'torcida' | 'unico' | undefined, hour = 21): VoteMessage => ({
        v: 1,
        voteId,
        paredaoId: both,
        candidateId,
        acceptedAt: Date.UTC(2026, 10, 23, hour, 10),
        ...(mode ? { mode } : {}),
      });
      beforeAll(async () => {
        await store.insertParedao(
          paredaoFixture(both, 'Dois modos', undefined, {
            status: 'closed',
            closedAt: '2099-01-01T00:00:00.000Z',
            voting: { modes: ['torcida', 'unico'], weights: { unico: 70, torcida: 30 }, showPartials: false },
          }),
        );
        // A Único vote counts only through its claim (decision 0005): one person per Único vote here.
        for (const [voteId, candidateId, hour] of [['m-3', 'b', 21], ['m-4', 'a', 22]] as const) {
          const id = `modes-voter-${voteId}`;
          await person(id, `hmac-${id}`);
          expect(await store.claimUnico({ paredaoId: both, voterKey: id, voteId, candidateId, acceptedAt: mv(voteId, candidateId, 'unico', hour).acceptedAt })).toEqual({ ok: true });
        }
      });

      it('when votes of both modes are applied in one batch, then each mode has its own tallies and hourly rows, the top level counts both, and a vote without a mode is Torcida', async () => {
        const outcome = await store.applyBatch(
          [mv('m-1', 'a', 'torcida'), mv('m-2', 'a', undefined), mv('m-3', 'b', 'unico'), mv('m-4', 'a', 'unico', 22), mv('m-1', 'a', 'torcida')],
          Date.now(),
        );
        expect(outcome).toEqual({ applied: 4, appliedByMode: { torcida: 2, unico: 2 }, duplicates: 1, outsideWindow: 0, oldestAcceptedAt: Date.UTC(2026, 10, 23, 21, 10) });
        const tally = await store.tally(both);
        expect(tally.modes.torcida).toEqual({ byCandidate: { a: 2 }, hourly: [{ hour: '2026-11-23T21:00:00.000Z', byCandidate: { a: 2 } }] });
        expect(tally.modes.unico).toEqual({
          byCandidate: { a: 1, b: 1 },
          hourly: [
            { hour: '2026-11-23T21:00:00.000Z', byCandidate: { b: 1 } },
            { hour: '2026-11-23T22:00:00.000Z', byCandidate: { a: 1 } },
          ],
        });
        expect(tally.byCandidate).toEqual({ a: 3, b: 1 });
        expect(tally.hourly).toEqual([
          { hour: '2026-11-23T21:00:00.000Z', byCandidate: { a: 2, b: 1 } },
          { hour: '2026-11-23T22:00:00.000Z', byCandidate: { a: 1 } },
        ]);
      });

      it('when a vote id was counted in one mode, then the same id in the other mode is a duplicate', async () => {
        expect(await store.applyBatch([mv('m-3', 'b', 'torcida')], Date.now())).toMatchObject({ applied: 0, duplicates: 1 });
        expect((await store.tally(both)).modes.torcida.byCandidate).toEqual({ a: 2 });
      });

      it('when a vote comes in a mode its paredão does not have, then it is not counted', async () => {
        // The contract paredão is Torcida only (stored without rules).
        const outcome = await store.applyBatch([{ ...vote('only-t-1', 'a'), mode: 'unico' }], Date.now());
        expect(outcome).toMatchObject({ applied: 0, outsideWindow: 1 });
        expect((await store.tally(paredaoId)).modes.unico.byCandidate).toEqual({});
      });

      it('when the applied votes are recounted, then each mode matches its tallies', async () => {
        const tally = await store.tally(both);
        expect(await store.recount(both)).toEqual({ byCandidate: { a: 3, b: 1 }, modes: { torcida: tally.modes.torcida.byCandidate, unico: tally.modes.unico.byCandidate } });
      });

      it('when the voting rules of a draft are set, then they are kept with who set them and when; an edit of the draft keeps them; once open they are refused', async () => {
        const id = `rules-${Date.now()}`;
        const draft = { id, title: 'Regras', status: 'draft' as const, candidates: [{ id: 'x', name: 'X' }, { id: 'y', name: 'Y' }], createdAt: new Date().toISOString() };
        await store.insertParedao(draft);
        const rules = { modes: ['torcida' as const, 'unico' as const], weights: { unico: 70, torcida: 30 }, showPartials: false };
        const set = await store.setVoting(id, rules, { at: '2026-11-23T20:00:00.000Z', by: 'producao' });
        expect(set.ok && set.paredao.voting).toEqual(rules);
        expect((await store.setVoting(id, { ...rules, weights: { unico: 50, torcida: 50 } }, { at: '2026-11-23T20:05:00.000Z', by: 'outra' })).ok).toBe(true);
        const edited = await store.updateDraft({ ...draft, title: 'Regras editadas' });
        expect(edited.ok && edited.paredao.title).toBe('Regras editadas');
        const stored = await store.getParedao(id);
        expect(stored?.voting?.weights).toEqual({ unico: 50, torcida: 50 });
        expect(stored?.votingChanges?.map((c) => [c.by, c.at, c.voting.weights.unico])).toEqual([
          ['producao', '2026-11-23T20:00:00.000Z', 70],
          ['outra', '2026-11-23T20:05:00.000Z', 50],
        ]);
        // Open it (closing whatever is open first: only one may be).
        const open = await store.currentParedao();
        if (open?.status === 'open') await store.closeParedao(open.id, new Date());
        expect((await store.openParedao(id, new Date())).ok).toBe(true);
        expect(await store.setVoting(id, rules, { at: '2026-11-23T21:00:00.000Z', by: 'producao' })).toEqual({ ok: false, code: 'not_draft' });
        expect((await store.getParedao(id))?.voting?.weights).toEqual({ unico: 50, torcida: 50 });
        expect((await store.closeParedao(id, new Date())).ok).toBe(true);
        expect(await store.setVoting('no-such-paredao', rules, { at: '2026-11-23T21:00:00.000Z', by: 'producao' })).toEqual({ ok: false, code: 'not_found' });
      });
    });

    it('when a store written before the vote modes is opened, then its votes read as Torcida, recount as Torcida, and new votes of both kinds count beside them', async () => {
      const legacy = await t.writeLegacy(t.url!);
      const old = await openStore(legacy.url);
      try {
        const tally = await old.tally('legacy');
        const byHour = [
          { hour: '2026-11-23T21:00:00.000Z', byCandidate: { a: 2 } },
          { hour: '2026-11-23T22:00:00.000Z', byCandidate: { b: 1 } },
        ];
        expect(tally).toEqual({ byCandidate: { a: 2, b: 1 }, hourly: byHour, modes: { torcida: { byCandidate: { a: 2, b: 1 }, hourly: byHour }, unico: { byCandidate: {}, hourly: [] } } });
        expect(await old.recount('legacy')).toEqual({ byCandidate: { a: 2, b: 1 }, modes: { torcida: { a: 2, b: 1 }, unico: {} } });
        // The old ids are still known (a redelivery counts nothing), and new Torcida votes add to the old rows.
        const again = await old.applyBatch(
          [
            { v: 1, voteId: 'old-1', paredaoId: 'legacy', candidateId: 'a', acceptedAt: Date.UTC(2026, 10, 23, 21, 5) },
            { v: 1, voteId: 'new-1', paredaoId: 'legacy', candidateId: 'a', acceptedAt: Date.UTC(2026, 10, 23, 21, 50), mode: 'torcida' },
          ],
          Date.now(),
        );
        expect(again).toMatchObject({ applied: 1, duplicates: 1 });
        expect((await old.tally('legacy')).modes.torcida.byCandidate).toEqual({ a: 3, b: 1 });
        expect((await old.tally('legacy')).modes.torcida.hourly[0]).toEqual({ hour: '2026-11-23T21:00:00.000Z', byCandidate: { a: 3 } });
        // Opened a second time (another process, a restart): the migration is not run twice.
        const second = await openStore(legacy.url);
        expect((await second.tally('legacy')).byCandidate).toEqual({ a: 3, b: 1 });
        await second.close();
      } finally {
        await old.close();
        await legacy.drop();
      }
    });

    describe('voter accounts', () => {
      const account = (id: string, cpfHmac: string) => ({ id, cpfHmac, cpfMasked: '•••.982.247-••', createdAt: 1_700_000_000_000 });
      const credential = (id: string, accountId: string) => ({
        id,
        accountId,
        publicKey: Buffer.from([0xa5, 1, 2, 3, 0, 255]),
        counter: 0,
        transports: ['internal', 'hybrid'],
        createdAt: 1_700_000_000_000,
        lastUsedAt: null,
      });

      it('when an account is created, then it and its passkey come back as stored', async () => {
        expect(await store.createVoterAccount(account('acc-1', 'hmac-1'), credential('cred-1', 'acc-1'))).toBe('created');
        expect(await store.getVoterAccount('acc-1')).toEqual(account('acc-1', 'hmac-1'));
        const c = await store.getVoterCredential('cred-1');
        expect({ ...c, publicKey: [...c!.publicKey] }).toEqual({ ...credential('cred-1', 'acc-1'), publicKey: [0xa5, 1, 2, 3, 0, 255] });
        await store.touchVoterCredential('cred-1', 7, 1_700_000_001_000);
        expect(await store.getVoterCredential('cred-1')).toMatchObject({ counter: 7, lastUsedAt: 1_700_000_001_000 });
        expect(await store.getVoterAccount('nope')).toBeNull();
        expect(await store.getVoterCredential('nope')).toBeNull();
      });

      it('when a second account comes with the same CPF, then it is refused and nothing of it is stored', async () => {
        expect(await store.createVoterAccount(account('acc-2', 'hmac-1'), credential('cred-2', 'acc-2'))).toBe('cpf_taken');
        expect(await store.getVoterAccount('acc-2')).toBeNull();
        expect(await store.getVoterCredential('cred-2')).toBeNull();
      });

      it('when two accounts with one CPF are created at the same instant, then exactly one is', async () => {
        const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => store.createVoterAccount(account(`race-${i}`, 'hmac-race'), credential(`race-cred-${i}`, `race-${i}`))));
        expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
        expect(outcomes.filter((o) => o === 'cpf_taken')).toHaveLength(5);
      });

      it('when a ceremony is taken, then only the first taker gets it, and an expired one is nobody\'s', async () => {
        const now = Date.now();
        const ceremony = { id: 'cer-1', kind: 'register' as const, challenge: 'chal', origin: 'http://localhost:8080', rpId: 'localhost', expiresAt: now + 60_000, pending: { accountId: 'a', cpfHmac: 'h', cpfMasked: 'm' } };
        await store.putCeremony(ceremony);
        await store.putCeremony({ ...ceremony, id: 'cer-old', expiresAt: now + 1000 });
        const takes = await Promise.all([store.takeCeremony('cer-1', now), store.takeCeremony('cer-1', now), store.takeCeremony('cer-1', now)]);
        expect(takes.filter((c) => c !== null)).toEqual([ceremony]);
        expect(await store.takeCeremony('cer-old', now + 1000)).toBeNull();
        expect(await store.takeCeremony('cer-old', now)).toBeNull(); // the expired take used it up as well
      });

      it('when a voter session is stored, then it is found until it expires or is deleted', async () => {
        const now = Date.now();
        await store.putVoterSession({ id: 'vs-1', accountId: 'acc-1', expiresAt: now + 60_000 });
        expect(await store.getVoterSession('vs-1', now)).toEqual({ id: 'vs-1', accountId: 'acc-1', expiresAt: now + 60_000 });
        expect(await store.getVoterSession('vs-1', now + 60_000)).toBeNull();
        await store.deleteVoterSession('vs-1');
        expect(await store.getVoterSession('vs-1', now)).toBeNull();
      });

      it('when an account is deleted, then its passkeys and sessions go with it, and the CPF may register again', async () => {
        const now = Date.now();
        await store.putVoterSession({ id: 'vs-2', accountId: 'acc-1', expiresAt: now + 60_000 });
        await store.putVoterSession({ id: 'vs-other', accountId: 'race-0', expiresAt: now + 60_000 });
        expect(await store.deleteVoterAccount('acc-1')).toBe(true);
        expect(await store.getVoterAccount('acc-1')).toBeNull();
        expect(await store.getVoterCredential('cred-1')).toBeNull();
        expect(await store.getVoterSession('vs-2', now)).toBeNull();
        expect(await store.getVoterSession('vs-other', now)).not.toBeNull();
        expect(await store.deleteVoterAccount('acc-1')).toBe(false);
        expect(await store.createVoterAccount(account('acc-3', 'hmac-1'), credential('cred-3', 'acc-3'))).toBe('created');
      });
    });

    describe('Voto Único claims', () => {
      // Both modes on, taking votes (closed with a closing far ahead, as after "close" with its grace time).
      const pu = `unico-${Date.now()}`;
      const at = Date.UTC(2026, 10, 23, 21, 30);
      const claim = (voterKey: string, voteId: string, candidateId = 'a', acceptedAt = at) => ({ paredaoId: pu, voterKey, voteId, candidateId, acceptedAt });
      const unicoVote = (voteId: string, candidateId = 'a'): VoteMessage => ({ v: 1, voteId, paredaoId: pu, candidateId, acceptedAt: at, mode: 'unico' });
      const unicoTally = async () => (await store.tally(pu)).modes.unico.byCandidate;
      beforeAll(async () => {
        await store.insertParedao(
          paredaoFixture(pu, 'Único', undefined, {
            status: 'closed',
            closedAt: '2099-01-01T00:00:00.000Z',
            voting: { modes: ['torcida', 'unico'], weights: { unico: 70, torcida: 30 }, showPartials: true },
          }),
        );
        for (const p of ['u-ana', 'u-bia', 'u-race', 'u-gone']) await person(p, `hmac-${p}`);
      });

      it('when a person claims twice, then the second claim is refused with the first one\'s candidate and vote; another person may claim', async () => {
        expect(await store.claimUnico(claim('u-ana', 'uv-1', 'a'))).toEqual({ ok: true });
        expect(await store.claimUnico(claim('u-ana', 'uv-2', 'b'))).toEqual({ ok: false, existing: { candidateId: 'a', voteId: 'uv-1' } });
        expect(await store.claimUnico(claim('u-bia', 'uv-3', 'b'))).toEqual({ ok: true });
        expect(await store.claimUnico(claim('no-such-account', 'uv-x'))).toEqual({ ok: false, existing: null });
      });

      it('when one person claims from six places at the same instant, then exactly one claim wins and the others name it', async () => {
        const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => store.claimUnico(claim('u-race', `race-v-${i}`, i % 2 ? 'a' : 'b'))));
        const won = outcomes.filter((o) => o.ok);
        expect(won).toHaveLength(1);
        const winner = outcomes.findIndex((o) => o.ok);
        for (const o of outcomes.filter((o) => !o.ok)) expect(o).toEqual({ ok: false, existing: { voteId: `race-v-${winner}`, candidateId: winner % 2 ? 'a' : 'b' } });
      });

      it('when a Único vote is applied, then it counts only once its claim exists, once, whatever the redeliveries and concurrent batches', async () => {
        const before = await unicoTally();
        // No claim: never counted (reported as a duplicate).
        expect(await store.applyBatch([unicoVote('no-claim', 'a')], Date.now())).toMatchObject({ applied: 0, duplicates: 1 });
        // uv-1 three times in one batch and in two concurrent batches, uv-3 once.
        const outcomes = await Promise.all([
          store.applyBatch([unicoVote('uv-1', 'a'), unicoVote('uv-1', 'a'), unicoVote('uv-3', 'b')], Date.now()),
          store.applyBatch([unicoVote('uv-1', 'a')], Date.now()),
        ]);
        expect(outcomes.reduce((n, o) => n + o.appliedByMode.unico, 0)).toBe(2);
        expect(await store.applyBatch([unicoVote('uv-1', 'a'), unicoVote('uv-3', 'b')], Date.now())).toMatchObject({ applied: 0, duplicates: 2 });
        const after = await unicoTally();
        expect((after.a ?? 0) - (before.a ?? 0)).toBe(1);
        expect((after.b ?? 0) - (before.b ?? 0)).toBe(1);
        expect((await store.recount(pu)).modes.unico).toEqual(after);
      });

      it('when claims are not counted some time after acceptance, then the sweeper finds them, oldest first, until they count', async () => {
        const mine = (await store.uncountedClaims(at, 100)).filter((c) => c.paredaoId === pu);
        // Only the race's winner: uv-1 and uv-3 are counted, the refused claims were never stored.
        expect(mine).toHaveLength(1);
        const race = mine[0]!;
        expect(race).toMatchObject({ voterKey: 'u-race', acceptedAt: at });
        expect(race.voteId).toMatch(/^race-v-/);
        expect((await store.uncountedClaims(at - 1, 100)).filter((c) => c.paredaoId === pu)).toEqual([]);
        await store.applyBatch([unicoVote(race.voteId, race.candidateId)], Date.now());
        expect((await store.uncountedClaims(at, 100)).map((c) => c.voteId)).not.toContain(race.voteId);
      });

      it('when a claim was accepted after its paredão closed (an api with a stale view), then the write that meets it settles it as void once, it never counts, and the sweeper no longer finds it', async () => {
        // Closed at `at`; the claims were taken a second later. The claim itself is not window-checked (the api did that).
        const pc = `${pu}-closed`;
        await store.insertParedao(
          paredaoFixture(pc, 'Fechado', undefined, { status: 'closed', closedAt: new Date(at).toISOString(), voting: { modes: ['torcida', 'unico'], weights: { unico: 50, torcida: 50 }, showPartials: true } }),
        );
        for (const p of ['u-late-1', 'u-late-2', 'u-late-3']) await person(p, `hmac-${p}`);
        const late = (voterKey: string, voteId: string) => ({ ...claim(voterKey, voteId, 'a', at + 1000), paredaoId: pc });
        const lateVote = (voteId: string): VoteMessage => ({ v: 1, voteId, paredaoId: pc, candidateId: 'a', acceptedAt: at + 1000, mode: 'unico' });
        for (const [k, v] of [['u-late-1', 'late-v1'], ['u-late-2', 'late-v2'], ['u-late-3', 'late-v3']] as const) expect(await store.claimUnico(late(k, v))).toEqual({ ok: true });
        const waiting = async () => (await store.uncountedClaims(at + 1000, 100)).filter((c) => c.paredaoId === pc).map((c) => c.voteId).sort();
        expect(await waiting()).toEqual(['late-v1', 'late-v2', 'late-v3']);

        // Twice in one batch, with a Torcida vote outside the window too: each claim voided once.
        const first = await store.applyBatch([lateVote('late-v1'), lateVote('late-v1'), lateVote('late-v2'), { ...lateVote('late-t'), mode: 'torcida' }], Date.now());
        expect(first).toMatchObject({ applied: 0, outsideWindow: 4, duplicates: 0 });
        expect(first.voided?.sort()).toEqual(['late-v1', 'late-v2']);
        expect(await waiting()).toEqual(['late-v3']);
        // Met again (a redelivery, a second sweeper): outside the window still, but already settled.
        const again = await store.applyBatch([lateVote('late-v1'), lateVote('late-v3')], Date.now());
        expect(again).toMatchObject({ applied: 0, outsideWindow: 2, voided: ['late-v3'] });
        expect(await waiting()).toEqual([]);
        expect((await store.applyBatch([lateVote('late-v3')], Date.now())).voided).toBeUndefined();
        // Never counted; the person's claim still stands (the paredão is closed: no second vote to take).
        expect((await store.tally(pc)).byCandidate).toEqual({});
        expect(await store.claimUnico(late('u-late-1', 'late-v9'))).toEqual({ ok: false, existing: { voteId: 'late-v1', candidateId: 'a' } });
        // An in-window Único vote of the same batch as a void one still counts.
        expect(await store.claimUnico(claim('u-late-3', 'in-window-v'))).toEqual({ ok: true });
        const mixed = await store.applyBatch([lateVote('late-v2'), unicoVote('in-window-v')], Date.now());
        expect(mixed).toMatchObject({ applied: 1, outsideWindow: 1 });
        expect(mixed.voided).toBeUndefined();
      });

      it('when an account that voted is deleted, then its vote stays counted with no key back to it, and the same CPF registered again cannot vote again while the paredão takes votes', async () => {
        expect(await store.claimUnico(claim('u-gone', 'gone-v', 'b'))).toEqual({ ok: true });
        expect(await store.deleteVoterAccount('u-gone')).toBe(true);
        const left = (await store.uncountedClaims(at, 100)).find((c) => c.voteId === 'gone-v')!;
        expect(left.voterKey).not.toBe('u-gone');
        expect(left.candidateId).toBe('b');
        // The same CPF's HMAC, a new account: refused with the first vote.
        await person('u-back', 'hmac-u-gone');
        expect(await store.claimUnico(claim('u-back', 'back-v', 'a'))).toEqual({ ok: false, existing: { candidateId: 'b', voteId: 'gone-v' } });
        // The claim is still the vote's outbox: counted once.
        expect(await store.applyBatch([unicoVote('gone-v', 'b'), unicoVote('gone-v', 'b')], Date.now())).toMatchObject({ applied: 1, duplicates: 1 });
        // The tombstone stays while the paredão takes votes, and goes once it has closed.
        expect(await store.dropSettledTombstones(Date.now())).toBe(0);
        expect(await store.dropSettledTombstones(Date.parse('2099-01-01T00:00:00.001Z'))).toBe(1);
        expect(await store.claimUnico(claim('u-back', 'back-v', 'a'))).toEqual({ ok: true });
      });
    });

    it('when pinged, then it answers', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('proof claims across hosts', () => {
      const until = () => Date.now() + 120_000;

      it('when a proof is claimed for one candidate, then a claim for another is refused and a claim for the same one (the same vote again) is not', async () => {
        const id = `proof-${randomUUID()}`;
        expect(await store.claimProof({ id, spentOn: 'a', until: until() })).toBe(true);
        expect(await store.claimProof({ id, spentOn: 'b', until: until() })).toBe(false);
        expect(await store.claimProof({ id, spentOn: 'a', until: until() })).toBe(true);
      });

      it('when four hosts claim each of 25 proofs at the same instant for four candidates, then each proof is spent on exactly one', async () => {
        const ids = Array.from({ length: 25 }, () => `proof-${randomUUID()}`);
        const uses = ['a', 'b', 'c', 'd'];
        const got = await Promise.all(ids.flatMap((id) => uses.map(async (spentOn) => ({ id, ok: await store.claimProof({ id, spentOn, until: until() }) }))));
        for (const id of ids) expect(got.filter((g) => g.id === id && g.ok), id).toHaveLength(1);
      });

      // MongoDB's TTL monitor drops expired claims about once a minute, longer than this suite waits.
      it.skipIf(t.name === 'mongodb')('when a claim has expired, then it is dropped and no longer holds its proof', async () => {
        const id = `proof-${randomUUID()}`;
        expect(await store.claimProof({ id, spentOn: 'a', until: Date.now() - 1 })).toBe(true);
        // Expired claims are dropped inside a claim write, at most once a second: the claim for b is refused until then.
        await waitFor('the expired claim dropped', async () => (await store.claimProof({ id, spentOn: 'b', until: until() })) || undefined, 5000);
        expect(await store.claimProof({ id, spentOn: 'a', until: until() })).toBe(false);
      });
    });

    // Last: a prune moves the store's pruned-through mark for every paredão, and never back.
    describe('bounded dedup window and archive', () => {
      const id = `bounded-${Date.now()}`;
      const hour = (h: number, m = 0) => Date.UTC(2026, 11, 1, h, m);
      const at = (voteId: string, candidateId: string, acceptedAt: number, mode?: 'unico'): VoteMessage => ({ v: 1, voteId, paredaoId: id, candidateId, acceptedAt, ...(mode ? { mode } : {}) });
      const audit = async () => {
        const tally = await store.tally(id);
        return { tally: { byCandidate: tally.byCandidate, modes: { torcida: tally.modes.torcida.byCandidate, unico: tally.modes.unico.byCandidate } }, recount: await store.recount(id) };
      };

      beforeAll(async () => {
        // Closed, so it never clashes with the paredão another test left open; it took votes until 2027.
        await store.insertParedao(paredaoFixture(id, 'Janela', { a: 'A', b: 'B' }, { status: 'closed', closedAt: '2027-01-01T00:00:00.000Z', voting: { modes: ['torcida', 'unico'], weights: { torcida: 50, unico: 50 }, showPartials: true } }));
      });

      it('when the store is pruned to a mark, then ids accepted before it leave the hot rows, a vote below it is refused (not counted, not a duplicate), and ids at or after it still dedupe', async () => {
        const hex = (n: number) => n.toString(16).padStart(32, '0');
        const early = Array.from({ length: 40 }, (_, i) => at(hex(i), i % 2 ? 'a' : 'b', hour(10, i % 60)));
        const late = Array.from({ length: 20 }, (_, i) => at(hex(100 + i), 'a', hour(12, i)));
        const applied = Date.UTC(2026, 11, 1, 13);
        // A Voto Único counts only through its claim (decision 0005).
        await person('b-unico', 'hmac-b-unico');
        expect(await store.claimUnico({ paredaoId: id, voterKey: 'b-unico', voteId: hex(999), candidateId: 'b', acceptedAt: hour(10, 30) })).toEqual({ ok: true });
        expect(await store.applyBatch([...early, ...late, at(hex(999), 'b', hour(10, 30), 'unico')], applied)).toMatchObject({ applied: 61, duplicates: 0 });
        const before = await audit();
        const r = await store.prune('votes', hour(11));
        // The other tests' votes were accepted before it too.
        expect(r.prunedThrough).toBe(hour(11));
        expect(r.deleted).toBeGreaterThanOrEqual(41);
        const mine = new Set([...early, ...late].map((v) => v.voteId).concat(hex(999)));
        const hot = (await store.appliedSince(applied, 100_000)).filter((x) => mine.has(x.voteId));
        expect(hot.map((x) => x.voteId).sort()).toEqual(late.map((v) => v.voteId).sort());
        // A copy of an early vote and a new vote from before the mark: neither can be checked, neither counts.
        const below = await store.applyBatch([early[0]!, at(hex(500), 'a', hour(10, 59)), late[0]!, at(hex(501), 'b', hour(11, 1))], applied);
        expect(below).toEqual({ applied: 1, appliedByMode: { torcida: 1, unico: 0 }, duplicates: 1, outsideWindow: 0, oldestAcceptedAt: hour(11, 1), belowMark: [hex(0), hex(500)] });
        const after = await audit();
        expect(after.tally.byCandidate).toEqual({ a: (before.tally.byCandidate.a ?? 0) + 0, b: (before.tally.byCandidate.b ?? 0) + 1 });
        // The recount reads the archive: the pruned ids are still in it.
        expect(after.recount).toEqual(after.tally);
        expect(before.recount).toEqual(before.tally);
      });

      it('when several consumers keep marks, then the pruned-through mark is the smallest of them, and it never goes back', async () => {
        expect((await store.prune('other-queue', hour(10, 30))).prunedThrough).toBe(hour(11));
        expect((await store.prune('votes', hour(15))).prunedThrough).toBe(hour(11));
        // The lagging queue catches up: the mark follows it, then a consumer that says less changes nothing.
        expect((await store.prune('other-queue', hour(14))).prunedThrough).toBe(hour(14));
        expect((await store.prune('other-queue', hour(12))).prunedThrough).toBe(hour(14));
        expect((await store.applyBatch([at('c'.repeat(32), 'a', hour(13, 59))], Date.now())).belowMark).toEqual(['c'.repeat(32)]);
      });

      it('when hours behind the mark are merged in the archive, then the recount still equals the tallies and every id is there once', async () => {
        // Three more batches in the 14h hour, then the mark passes it: its blobs become one.
        for (let b = 0; b < 3; b++) await store.applyBatch(Array.from({ length: 30 }, (_, i) => at(`${b}${i}`.padStart(32, 'e'), i % 3 ? 'a' : 'b', hour(14, i))), Date.now());
        // The lagging queue holds the mark at 14h, so that hour is still open to votes and stays apart.
        expect(await store.prune('votes', hour(16))).toMatchObject({ prunedThrough: hour(14), compacted: 0 });
        expect(await store.prune('other-queue', hour(16))).toMatchObject({ prunedThrough: hour(16), deleted: 90, compacted: 3 });
        const { tally, recount } = await audit();
        expect(recount).toEqual(tally);
      });

      it('when a Voto Único claim older than the mark is counted (the sweeper after an outage), then it counts once: its claim, not the hot ids, makes it once', async () => {
        await person('b-late', 'hmac-b-late');
        const late = at('d'.repeat(32), 'a', hour(10, 45), 'unico');
        expect(await store.claimUnico({ paredaoId: id, voterKey: 'b-late', voteId: late.voteId, candidateId: 'a', acceptedAt: late.acceptedAt })).toEqual({ ok: true });
        const first = await store.applyBatch([late], Date.now());
        expect(first).toMatchObject({ applied: 1, appliedByMode: { torcida: 0, unico: 1 }, duplicates: 0 });
        expect(first.belowMark).toBeUndefined();
        expect(await store.applyBatch([late], Date.now())).toMatchObject({ applied: 0, duplicates: 1 });
        const { tally, recount } = await audit();
        expect(recount).toEqual(tally);
      });
    });
  });
}

describe('openStore', () => {
  it('when STORE_URL has an unknown scheme, then it says which schemes exist', async () => {
    await expect(openStore('postgres://x')).rejects.toThrow(/sqlite: or mongodb:/);
  });
});
