import { MongoClient, type AnyBulkWriteOperation } from 'mongodb';
import { hourBucket, type VoteMessage } from '../vote.js';
import { aggregate, type ApplyOutcome, type Store, type Tally } from './types.js';

interface AppliedDoc { _id: string; paredaoId: string; candidateId: string; acceptedAt: number; appliedAt: Date }
interface TallyDoc { _id: string; paredaoId: string; candidateId: string; votes: number }
interface HourlyDoc { _id: string; paredaoId: string; hour: string; candidateId: string; votes: number }

/**
 * The production store. A batch is one multi-document transaction (MongoDB needs a replica set for
 * that; compose runs a single-node one). Tally documents have deterministic _ids, so concurrent upserts
 * cannot create duplicates (FIELD-NOTES, MongoDB).
 */
export async function openMongoStore(url: string): Promise<Store> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000, retryWrites: true });
  await client.connect();
  const db = client.db(); // the database named in the URL, "test" if none
  const applied = db.collection<AppliedDoc>('applied_votes');
  const tallies = db.collection<TallyDoc>('tallies');
  const hourly = db.collection<HourlyDoc>('hourly');
  await applied.createIndex({ appliedAt: 1 });
  await tallies.createIndex({ paredaoId: 1 });
  await hourly.createIndex({ paredaoId: 1, hour: 1 });

  return {
    kind: 'mongodb',
    async applyBatch(votes: readonly VoteMessage[], appliedAt: number): Promise<ApplyOutcome> {
      const session = client.startSession();
      try {
        // withTransaction retries on transient errors (write conflicts with a concurrent consumer).
        return await session.withTransaction(async () => {
          const ids = [...new Set(votes.map((v) => v.voteId))];
          const seen = new Set(
            (await applied.find({ _id: { $in: ids } }, { session, projection: { _id: 1 } }).toArray()).map((d) => d._id),
          );
          const fresh: VoteMessage[] = [];
          for (const v of votes) {
            if (seen.has(v.voteId)) continue;
            seen.add(v.voteId); // the same id twice inside one batch counts once
            fresh.push(v);
          }
          if (fresh.length > 0) {
            const at = new Date(appliedAt);
            await applied.insertMany(
              fresh.map((v) => ({ _id: v.voteId, paredaoId: v.paredaoId, candidateId: v.candidateId, acceptedAt: v.acceptedAt, appliedAt: at })),
              { session },
            );
            const { candidates, hours } = aggregate(fresh, hourBucket);
            const tOps: AnyBulkWriteOperation<TallyDoc>[] = candidates.map((c) => ({
              updateOne: {
                filter: { _id: `${c.paredaoId}:${c.candidateId}` },
                update: { $inc: { votes: c.n }, $setOnInsert: { paredaoId: c.paredaoId, candidateId: c.candidateId } },
                upsert: true,
              },
            }));
            const hOps: AnyBulkWriteOperation<HourlyDoc>[] = hours.map((h) => ({
              updateOne: {
                filter: { _id: `${h.paredaoId}:${h.hour}:${h.candidateId}` },
                update: { $inc: { votes: h.n }, $setOnInsert: { paredaoId: h.paredaoId, hour: h.hour, candidateId: h.candidateId } },
                upsert: true,
              },
            }));
            await tallies.bulkWrite(tOps, { session, ordered: false });
            await hourly.bulkWrite(hOps, { session, ordered: false });
          }
          return { applied: fresh.length, duplicates: votes.length - fresh.length };
        }, { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } });
      } finally {
        await session.endSession();
      }
    },
    async tally(paredaoId): Promise<Tally> {
      const byCandidate: Record<string, number> = {};
      for (const d of await tallies.find({ paredaoId }).toArray()) byCandidate[d.candidateId] = d.votes;
      const hours = new Map<string, Record<string, number>>();
      for (const d of await hourly.find({ paredaoId }).sort({ hour: 1 }).toArray()) {
        const row = hours.get(d.hour) ?? {};
        row[d.candidateId] = d.votes;
        hours.set(d.hour, row);
      }
      return { byCandidate, hourly: [...hours].map(([hour, bc]) => ({ hour, byCandidate: bc })) };
    },
    async appliedSince(since, limit) {
      const docs = await applied
        .find({ appliedAt: { $gte: new Date(since) } }, { projection: { _id: 1, appliedAt: 1 } })
        .sort({ appliedAt: 1 })
        .limit(limit)
        .toArray();
      return docs.map((d) => ({ voteId: d._id, appliedAt: d.appliedAt.getTime() }));
    },
    async ping() {
      await db.command({ ping: 1 });
    },
    async close() {
      await client.close();
    },
  };
}
