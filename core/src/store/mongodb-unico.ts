import { randomUUID } from 'node:crypto';
import { MongoServerError, type ClientSession, type Db } from 'mongodb';
import type { ClaimRef, ClaimResult, UnicoClaim, UnicoStore } from './unico-types.js';

/**
 * `_id` is `paredaoId:voterKey`: the one-vote-per-person rule is the primary key itself. `counted`: false
 * waiting (the sweeper's work), true counted, 'void' accepted outside its paredão's window (never
 * countable, settled once; outside the `uncounted` index).
 */
type ClaimDoc = Omit<UnicoClaim, 'acceptedAt'> & { _id: string; acceptedAt: Date; counted: boolean | 'void' };
/** `_id` is `cpfHmac:paredaoId`. */
interface TombstoneDoc { _id: string; cpfHmac: string; paredaoId: string; voteId: string; candidateId: string }

const claimId = (paredaoId: string, voterKey: string) => `${paredaoId}:${voterKey}`;
const fromDoc = (d: ClaimDoc): UnicoClaim => ({ paredaoId: d.paredaoId, voterKey: d.voterKey, voteId: d.voteId, candidateId: d.candidateId, acceptedAt: d.acceptedAt.getTime() });

type InTransaction = <T>(fn: (session: ClientSession) => Promise<T>) => Promise<T>;

/** The Único half of the MongoDB store: its methods, what applyBatch asks of a batch, and what account deletion does. */
export async function mongoUnico(db: Db, inTransaction: InTransaction) {
  const claims = db.collection<ClaimDoc>('unico_claims');
  const tombstones = db.collection<TombstoneDoc>('unico_tombstones');
  const accounts = db.collection<{ _id: string; cpfHmac: string; lastClaimAt?: Date }>('voter_accounts');
  const paredoes = db.collection<{ _id: string; status: string; closedAtDate?: Date }>('paredoes');
  // Closed and past its closing: a paredão closed with a grace time still takes votes until then.
  const settled = (now: number) => ({ status: 'closed', closedAtDate: { $lte: new Date(now) } });
  await claims.createIndex({ paredaoId: 1, voteId: 1 }, { unique: true, name: 'one_claim_per_vote' });
  await claims.createIndex({ voterKey: 1 });
  await claims.createIndex({ acceptedAt: 1 }, { partialFilterExpression: { counted: false }, name: 'uncounted' });
  await tombstones.createIndex({ paredaoId: 1 });

  const winner = async (paredaoId: string, voterKey: string, session?: ClientSession) => {
    const d = await claims.findOne({ _id: claimId(paredaoId, voterKey) }, { session });
    return d ? { voteId: d.voteId, candidateId: d.candidateId } : null;
  };

  const methods: UnicoStore = {
    async claimUnico(c) {
      // A second attempt is answered from a read, without a transaction.
      const before = await winner(c.paredaoId, c.voterKey);
      if (before) return { ok: false, existing: before };
      try {
        return await inTransaction(async (session): Promise<ClaimResult> => {
          // Written, not only read: a deletion of this account at the same instant conflicts with this
          // transaction, so one of them retries and sees the other (no claim escapes the tombstone).
          const account = await accounts.findOneAndUpdate({ _id: c.voterKey }, { $set: { lastClaimAt: new Date(c.acceptedAt) } }, { session });
          if (!account) return { ok: false, existing: null };
          const before = await tombstones.findOne({ _id: `${account.cpfHmac}:${c.paredaoId}` }, { session });
          if (before) return { ok: false, existing: { voteId: before.voteId, candidateId: before.candidateId } };
          const existing = await winner(c.paredaoId, c.voterKey, session);
          if (existing) return { ok: false, existing };
          await claims.insertOne({ ...c, _id: claimId(c.paredaoId, c.voterKey), acceptedAt: new Date(c.acceptedAt), counted: false }, { session });
          return { ok: true };
        });
      } catch (err) {
        // Two transactions inserting the same _id: the loser may surface the key error itself.
        if (err instanceof MongoServerError && err.code === 11000) {
          const existing = await winner(c.paredaoId, c.voterKey);
          if (existing) return { ok: false, existing };
        }
        throw err;
      }
    },
    async uncountedClaims(olderThan, limit) {
      const docs = await claims.find({ counted: false, acceptedAt: { $lte: new Date(olderThan) } }).sort({ acceptedAt: 1 }).limit(limit).toArray();
      return docs.map(fromDoc);
    },
    async dropSettledTombstones(now) {
      const ids = await tombstones.distinct('paredaoId');
      if (ids.length === 0) return 0;
      const closed = await paredoes.distinct('_id', { _id: { $in: ids }, ...settled(now) });
      return closed.length ? (await tombstones.deleteMany({ paredaoId: { $in: closed } })).deletedCount : 0;
    },
  };

  return {
    methods,
    /**
     * Inside applyBatch's transaction: of the batch's Único votes, the vote ids whose claim this write
     * turns from uncounted to counted. Read and written in the one snapshot transaction, so a concurrent
     * batch flipping the same claim is a write conflict and one of them retries and finds it counted.
     */
    async countOnce(votes: readonly ClaimRef[], session: ClientSession): Promise<Set<string>> {
      if (votes.length === 0) return new Set();
      const or = votes.map((v) => ({ paredaoId: v.paredaoId, voteId: v.voteId }));
      const open = await claims.find({ $or: or, counted: false }, { session, projection: { _id: 1, voteId: 1 } }).toArray();
      if (open.length === 0) return new Set();
      await claims.updateMany({ _id: { $in: open.map((d) => d._id) }, counted: false }, { $set: { counted: true } }, { session });
      return new Set(open.map((d) => d.voteId));
    },
    /**
     * Inside applyBatch's transaction, for the batch's Único votes outside their window: the vote ids
     * whose claim this write turns from waiting to void (a conflict with a concurrent batch retries, as
     * countOnce).
     */
    async settleVoid(votes: readonly ClaimRef[], session: ClientSession): Promise<string[]> {
      if (votes.length === 0) return [];
      const or = votes.map((v) => ({ paredaoId: v.paredaoId, voteId: v.voteId }));
      const waiting = await claims.find({ $or: or, counted: false }, { session, projection: { _id: 1, voteId: 1 } }).toArray();
      if (waiting.length === 0) return [];
      await claims.updateMany({ _id: { $in: waiting.map((d) => d._id) }, counted: false }, { $set: { counted: 'void' } }, { session });
      return waiting.map((d) => d.voteId);
    },
    /** Inside the account deletion's transaction (mongodb-voters.ts): see sqlite-unico.ts `forget`. */
    async forget(accountId: string, cpfHmac: string, session: ClientSession): Promise<void> {
      const mine = await claims.find({ voterKey: accountId }, { session }).toArray();
      if (mine.length === 0) return;
      const done = new Set(await paredoes.distinct('_id', { _id: { $in: mine.map((d) => d.paredaoId) }, ...settled(Date.now()) }, { session }));
      for (const d of mine) {
        if (!done.has(d.paredaoId)) {
          await tombstones.replaceOne(
            { _id: `${cpfHmac}:${d.paredaoId}` },
            { cpfHmac, paredaoId: d.paredaoId, voteId: d.voteId, candidateId: d.candidateId },
            { session, upsert: true },
          );
        }
        // _id holds the key, so the row is written again under a random one.
        const voterKey = `gone-${randomUUID()}`;
        await claims.deleteOne({ _id: d._id }, { session });
        await claims.insertOne({ ...d, _id: claimId(d.paredaoId, voterKey), voterKey }, { session });
      }
    },
  };
}

export type MongoUnico = Awaited<ReturnType<typeof mongoUnico>>;
