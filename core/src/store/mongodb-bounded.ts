import type { ClientSession, Db } from 'mongodb';
import type { VoteMode } from '@paredao/contract';
import { hourBucket, type VoteMessage } from '../vote.js';
import { countInto, encodeIds, groupForArchive, mergeBlobs } from './archive.js';
import { combinedMark, splitAtMark, type PruneOutcome } from './watermark.js';

interface ArchiveDoc { paredaoId: string; mode: VoteMode; hour: string; votes: number; ids: Buffer }
interface MarkDoc { _id: string; mark: number }
interface StateDoc { _id: string; at: number }

/** Applied ids dropped per delete: each a short operation, so batches go on between them. */
const DELETE_CHUNK = 5000;
const PRUNED = 'pruned-through';
const MIGRATED = 'archive-migrated';

/** The driver hands binary fields back as BSON Binary, whose bytes are in .buffer. */
const bytesOf = (b: unknown): Buffer => Buffer.from((b as { buffer?: Uint8Array }).buffer ?? (b as Buffer));

/**
 * The bounded part of the MongoDB store, as sqlite-bounded.ts: the pruned-through mark, the consumers'
 * marks, the archive of counted ids. Ids are dropped by a range delete on `acceptedAt`, not a TTL index:
 * a TTL expires by the wall clock, and the rule is that only the consumers' acks move the mark.
 */
export async function mongoBounded(
  db: Db,
  inTransaction: <T>(fn: (session: ClientSession) => Promise<T>) => Promise<T>,
) {
  const applied = db.collection<{ _id: string; acceptedAt: number }>('applied_votes');
  const archive = db.collection<ArchiveDoc>('archive');
  const marks = db.collection<MarkDoc>('watermarks');
  const state = db.collection<StateDoc>('store_state');
  await archive.createIndex({ paredaoId: 1, mode: 1, hour: 1 });
  await applied.createIndex({ acceptedAt: 1 });

  const write = async (votes: readonly VoteMessage[], session: ClientSession) => {
    const docs: ArchiveDoc[] = [];
    for (const { key, byCandidate } of groupForArchive(votes).values()) {
      let n = 0;
      for (const ids of byCandidate.values()) n += ids.length;
      docs.push({ ...key, votes: n, ids: encodeIds(byCandidate) });
    }
    if (docs.length > 0) await archive.insertMany(docs, { session });
  };

  // A database from before the archive: its applied ids are archived once, in one transaction with the
  // marker, so of the processes that open it at once one does it (the others conflict on the marker,
  // retry, and find it done). One transaction: fine for the few votes a database of that age holds.
  await inTransaction(async (session) => {
    if (await state.findOne({ _id: MIGRATED }, { session })) return;
    await state.insertOne({ _id: MIGRATED, at: Date.now() }, { session });
    const rows = await applied.find({}, { session }).toArray();
    await write(rows as unknown as VoteMessage[], session);
  });

  const prunedThrough = async (session?: ClientSession) => (await state.findOne({ _id: PRUNED }, session ? { session } : {}))?.at ?? 0;

  return {
    /** Splits votes into those that can be checked against the applied ids and those accepted before the mark. */
    async belowMark<T extends Pick<VoteMessage, 'acceptedAt' | 'mode'>>(votes: readonly T[], session: ClientSession): Promise<{ checkable: T[]; below: T[] }> {
      return splitAtMark(votes, await prunedThrough(session));
    },
    /** Archives the ids a batch counted, in the transaction that adds them to the tallies. */
    archive: write,
    /**
     * As the SQLite store: the mark moves first (its own transaction; an apply that started before it
     * still sees every id in its snapshot, and one that starts after refuses the votes below it), then
     * the ids below it go in chunks, then each hour it has passed is merged into one archive document.
     */
    async prune(key: string, mark: number): Promise<PruneOutcome> {
      const through = await inTransaction(async (session) => {
        await marks.updateOne({ _id: key }, { $max: { mark } }, { upsert: true, session });
        const all = (await marks.find({}, { session }).toArray()).map((m) => m.mark);
        const next = combinedMark(await prunedThrough(session), all);
        await state.updateOne({ _id: PRUNED }, { $set: { at: next } }, { upsert: true, session });
        return next;
      });
      let deleted = 0;
      for (;;) {
        const ids = (await applied.find({ acceptedAt: { $lt: through } }, { projection: { _id: 1 } }).limit(DELETE_CHUNK).toArray()).map((d) => d._id);
        if (ids.length === 0) break;
        deleted += (await applied.deleteMany({ _id: { $in: ids }, acceptedAt: { $lt: through } })).deletedCount;
      }
      let compacted = 0;
      const keys = await archive
        .aggregate<{ _id: { paredaoId: string; mode: VoteMode; hour: string } }>([
          { $match: { hour: { $lt: hourBucket(through) } } },
          { $group: { _id: { paredaoId: '$paredaoId', mode: '$mode', hour: '$hour' }, n: { $sum: 1 } } },
          { $match: { n: { $gt: 1 } } },
        ])
        .toArray();
      for (const { _id: k } of keys) {
        compacted += await inTransaction(async (session) => {
          const docs = await archive.find(k, { session }).toArray();
          if (docs.length < 2) return 0;
          const { blob, votes } = mergeBlobs(docs.map((d) => bytesOf(d.ids)));
          await archive.deleteMany({ _id: { $in: docs.map((d) => d._id) } }, { session });
          await archive.insertOne({ ...k, votes, ids: blob }, { session });
          return docs.length;
        });
      }
      return { prunedThrough: through, deleted, compacted };
    },
    /** The recount rows of a paredão, from its archive. */
    async recountRows(paredaoId: string): Promise<{ mode: VoteMode; candidateId: string; n: number }[]> {
      const rows = new Map<string, { mode: VoteMode; candidateId: string; n: number }>();
      for await (const d of archive.find({ paredaoId }, { projection: { mode: 1, ids: 1 } })) countInto(rows, d.mode, bytesOf(d.ids));
      return [...rows.values()];
    },
  };
}
