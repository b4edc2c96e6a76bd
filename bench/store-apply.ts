/**
 * The consumer's store write on its own: CPU per vote of `applyBatch` into a fresh SQLite file, batches
 * of --batch votes (default 500, the consumer's BATCH_MAX), --votes in all (default 200 000), two
 * candidates, one paredão. Prints µs of process CPU per vote and the wall time per batch.
 *
 *   npx tsx bench/store-apply.ts [--batch=500] [--votes=200000]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore, type VoteMessage } from '@paredao/core';
import { insertOpenParedao } from '@paredao/testkit/paredao';

const { values: args } = parseArgs({ options: { batch: { type: 'string', default: '500' }, votes: { type: 'string', default: '200000' } }, strict: true });
const batch = Number(args.batch);
const total = Number(args.votes);
const dir = mkdtempSync(join(tmpdir(), 'paredao-store-apply-'));
try {
  const store = await openStore(`sqlite:${join(dir, 'votes.db')}`);
  const paredaoId = 'bench';
  await insertOpenParedao(store, paredaoId, 'bench', { a: 'A', b: 'B' });
  const batches: VoteMessage[][] = [];
  for (let i = 0; i < total; i += batch) {
    batches.push(Array.from({ length: Math.min(batch, total - i) }, (_, j) => ({ v: 1, voteId: randomBytes(16).toString('hex'), paredaoId, candidateId: (i + j) % 2 ? 'a' : 'b', acceptedAt: Date.now() })));
  }
  const cpu = process.cpuUsage();
  const t = performance.now();
  let applied = 0;
  for (const b of batches) applied += (await store.applyBatch(b, Date.now())).applied;
  // Redelivery of the first tenth: the duplicate path.
  let dup = 0;
  for (const b of batches.slice(0, Math.ceil(batches.length / 10))) dup += (await store.applyBatch(b, Date.now())).duplicates;
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - t;
  const n = applied + dup;
  console.log(
    `applyBatch, SQLite: ${applied} votes applied + ${dup} duplicates skipped in batches of ${batch}: ` +
      `${((used.user + used.system) / n).toFixed(1)} µs CPU per vote, ${(wall / (batches.length * 1.1)).toFixed(2)} ms wall per batch`,
  );
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
