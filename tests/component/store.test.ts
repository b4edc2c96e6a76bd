import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, type VoteMessage } from '@paredao/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * One contract, every store (SPEC, Stores): SQLite always; MongoDB when MONGO_URL names a reachable
 * replica set (transactions need one), and a loud skip line otherwise.
 */
const MONGO_URL = process.env.MONGO_URL;
const targets: { name: string; url: string | null; why?: string }[] = [
  { name: 'sqlite', url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'paredao-store-')), 'contract.db')}` },
  MONGO_URL
    ? { name: 'mongodb', url: MONGO_URL }
    : { name: 'mongodb', url: null, why: 'MONGO_URL is not set and no MongoDB server can be installed on this machine' },
];

for (const t of targets) {
  if (!t.url) {
    console.warn(`\n⚠️  SKIPPED: store contract suite against ${t.name}: ${t.why}. Set MONGO_URL=mongodb://host:27017/test?replicaSet=rs0 to run it.\n`);
  }
  describe.skipIf(!t.url)(`store contract: ${t.name}`, () => {
    let store: Store;
    const paredaoId = `contract-${Date.now()}`;
    const vote = (voteId: string, candidateId: string, acceptedAt = Date.UTC(2026, 10, 23, 21, 15)): VoteMessage => ({ v: 1, voteId, paredaoId, candidateId, acceptedAt });

    beforeAll(async () => {
      store = await openStore(t.url!);
    });
    afterAll(async () => {
      await store?.close();
    });

    it('when a batch is applied, then tallies and hourly rows count each vote once', async () => {
      const outcome = await store.applyBatch([vote('v-0001', 'a'), vote('v-0002', 'a'), vote('v-0003', 'b', Date.UTC(2026, 10, 23, 22, 1))], Date.now());
      expect(outcome).toEqual({ applied: 3, duplicates: 0 });
      const tally = await store.tally(paredaoId);
      expect(tally.byCandidate).toEqual({ a: 2, b: 1 });
      expect(tally.hourly).toEqual([
        { hour: '2026-11-23T21:00:00.000Z', byCandidate: { a: 2 } },
        { hour: '2026-11-23T22:00:00.000Z', byCandidate: { b: 1 } },
      ]);
    });

    it('when the same batch is delivered again, then nothing is counted twice', async () => {
      const outcome = await store.applyBatch([vote('v-0001', 'a'), vote('v-0002', 'a'), vote('v-0004', 'b')], Date.now());
      expect(outcome).toEqual({ applied: 1, duplicates: 2 });
      expect((await store.tally(paredaoId)).byCandidate).toEqual({ a: 2, b: 2 });
    });

    it('when one batch holds the same vote id twice, then it counts once', async () => {
      const outcome = await store.applyBatch([vote('v-0005', 'a'), vote('v-0005', 'a')], Date.now());
      expect(outcome).toEqual({ applied: 1, duplicates: 1 });
      expect((await store.tally(paredaoId)).byCandidate.a).toBe(3);
    });

    it('when batches are applied concurrently, then every vote counts exactly once', async () => {
      const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 50 }, (_, i) => vote(`c-${b % 4}-${i}`, i % 2 ? 'a' : 'b')));
      const outcomes = await Promise.all(batches.map((batch) => store.applyBatch(batch, Date.now())));
      expect(outcomes.reduce((s, o) => s + o.applied, 0)).toBe(200);
      expect(outcomes.reduce((s, o) => s + o.duplicates, 0)).toBe(200);
      const t = await store.tally(paredaoId);
      expect((t.byCandidate.a ?? 0) + (t.byCandidate.b ?? 0)).toBe(5 + 200);
    });

    it('when asked what was applied since a time, then it lists the vote ids in order', async () => {
      const since = Date.now() + 10_000;
      await store.applyBatch([vote('s-1', 'a'), vote('s-2', 'b')], since);
      const rows = await store.appliedSince(since, 10);
      expect(rows.map((r) => r.voteId).sort()).toEqual(['s-1', 's-2']);
      expect(rows.every((r) => r.appliedAt === since)).toBe(true);
      expect(await store.appliedSince(since + 1, 10)).toEqual([]);
    });

    it('when pinged, then it answers', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

describe('openStore', () => {
  it('when STORE_URL has an unknown scheme, then it says which schemes exist', async () => {
    await expect(openStore('postgres://x')).rejects.toThrow(/sqlite: or mongodb:/);
  });
});
