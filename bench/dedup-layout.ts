/**
 * What the consumer's per-vote dedup write cost in SQLite, against the layout that replaced it
 * (core/src/store/sqlite-applied.ts): two ways to keep the applied ids of the dedup window, in one
 * process, no broker, same pragmas as the store (WAL, synchronous NORMAL, wal_autocheckpoint 10000).
 *
 *   rows:    the store's former `applied_votes`, one row per vote keyed by its random id (WITHOUT
 *            ROWID, indexes on applied_at and accepted_at), filled by multi-row INSERT OR IGNORE …
 *            RETURNING in chunks of 200.
 *   batches: the store's `sqliteApplied`: one row per batch holding its new ids, the duplicate check
 *            against a map of the window's ids in the process's memory (other writers' rows read back by
 *            seq in each write).
 *
 * Only the dedup part: tallies, hourly rows and the archive blob cost the same in both and are left
 * out. The table first holds --window ids (the dedup window: about votes/s × (proof lifetime + resend
 * slack)); then --votes new ids go in, in batches of --batch. Rounds alternate the layouts.
 *
 *   node --expose-gc --import tsx bench/dedup-layout.ts [--batch=250] [--window=100000] [--votes=50000] [--rounds=2]
 *   (--expose-gc adds the JS heap each layout holds per id of the window)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { sqliteApplied } from '@paredao/core/store/sqlite-applied';

const { values: args } = parseArgs({
  options: { batch: { type: 'string', default: '250' }, window: { type: 'string', default: '100000' }, votes: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '2' } },
  strict: true,
});
const batchSize = Number(args.batch);
const windowIds = Number(args.window);
const total = Number(args.votes);

type Layout = { apply(ids: readonly string[], now: number): number; close(): void };

function openDb(dir: string): Database.Database {
  const db = new Database(join(dir, 'votes.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 10000');
  return db;
}

function rows(dir: string): Layout {
  const db = openDb(dir);
  db.exec(`CREATE TABLE applied_votes (vote_id TEXT PRIMARY KEY, paredao_id TEXT NOT NULL, candidate_id TEXT NOT NULL,
      accepted_at INTEGER NOT NULL, applied_at INTEGER NOT NULL, mode TEXT NOT NULL) WITHOUT ROWID;
    CREATE INDEX applied_votes_applied_at ON applied_votes (applied_at);
    CREATE INDEX applied_votes_accepted_at ON applied_votes (accepted_at);`);
  const chunks = [200, 50, 10, 1];
  const stmts = new Map<number, Database.Statement>();
  const insert = (n: number) => {
    let s = stmts.get(n);
    if (!s) stmts.set(n, (s = db.prepare(`INSERT OR IGNORE INTO applied_votes VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?)').join(', ')} RETURNING vote_id`).pluck()));
    return s;
  };
  const apply = db.transaction((ids: readonly string[], now: number) => {
    let fresh = 0;
    for (let i = 0; i < ids.length; ) {
      const n = chunks.find((c) => c <= ids.length - i)!;
      const params: (string | number)[] = [];
      for (let j = i; j < i + n; j++) params.push(ids[j]!, 'paredao', j % 2 ? 'participante-1' : 'participante-2', now - 5, now, 'torcida');
      fresh += insert(n).all(...params).length;
      i += n;
    }
    return fresh;
  });
  return { apply: (ids, now) => apply.immediate(ids, now), close: () => db.close() };
}

function batches(dir: string): Layout {
  // The store's own module, alone: the rows it writes and the map it keeps.
  const db = openDb(dir);
  const applied = db.transaction(() => sqliteApplied(db)).immediate();
  const apply = db.transaction((ids: readonly string[], now: number) => applied.takeFresh(ids.map((voteId) => ({ voteId, acceptedAt: now - 5 })), now).length);
  return {
    apply: (ids, now) => {
      const n = apply.immediate(ids, now);
      applied.committed();
      return n;
    },
    close: () => db.close(),
  };
}

const newIds = (n: number) => Array.from({ length: n }, () => randomBytes(16).toString('hex'));
console.log(`load average at start ${loadavg().map((l) => l.toFixed(2)).join(' / ')}; batch ${batchSize}, window ${windowIds} ids, ${total} votes measured`);
for (let round = 1; round <= Number(args.rounds); round++) {
  for (const [name, make] of [['rows', rows], ['batches', batches]] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'paredao-dedup-'));
    try {
      const layout = make(dir);
      // The JS heap the layout keeps for the window: the ids' strings count only if it holds them.
      globalThis.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      let window: string[] | null = newIds(windowIds);
      for (let i = 0; i < windowIds; i += 1000) layout.apply(window.slice(i, i + 1000), Date.now());
      window = null;
      globalThis.gc?.();
      const heapPerId = (process.memoryUsage().heapUsed - heapBefore) / windowIds;
      const ids = newIds(total);
      const cpu = process.cpuUsage();
      const t = performance.now();
      let applied = 0;
      for (let i = 0; i < total; i += batchSize) applied += layout.apply(ids.slice(i, i + batchSize), Date.now());
      const used = process.cpuUsage(cpu);
      const wall = performance.now() - t;
      if (applied !== total) throw new Error(`${name}: ${applied} of ${total} new ids applied`);
      console.log(
        `round ${round} ${name.padEnd(7)}: ${((used.user + used.system) / total).toFixed(1)} µs CPU per vote (system ${(used.system / total).toFixed(1)}), ` +
          `${(wall / Math.ceil(total / batchSize)).toFixed(2)} ms wall per batch` +
          (globalThis.gc ? `; JS heap kept for the window: ${heapPerId.toFixed(0)} bytes per id` : ''),
      );
      layout.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
