import { MongoClient, MongoServerError, type AnyBulkWriteOperation, type ClientSession } from 'mongodb';
import { modeOn, paredaoSchema, tallyOf, type ModeTally, type Paredao, type Tally, type VoteMode } from '@paredao/contract';
import { ConfigError } from '../env.js';
import { acceptsVotesAt } from '../paredao.js';
import { hourBucket, modeOf, type VoteMessage } from '../vote.js';
import { mongoBounded } from './mongodb-bounded.js';
import { mongoUnico } from './mongodb-unico.js';
import { mongoProofClaims } from './mongodb-proof-claims.js';
import { mongoVoterStore } from './mongodb-voters.js';
import { aggregate, applyOutcome, keepVoting, recountOf, withVoting, type ApplyOutcome, type Store, type StoredImage, type TransitionResult } from './types.js';

// `mode` is absent on documents written before the vote modes: those are Torcida (see modeKey).
interface AppliedDoc { _id: string; paredaoId: string; candidateId: string; acceptedAt: number; appliedAt: Date; mode?: VoteMode }
interface TallyDoc { _id: string; paredaoId: string; candidateId: string; votes: number; mode?: VoteMode }
interface HourlyDoc { _id: string; paredaoId: string; hour: string; candidateId: string; votes: number; mode?: VoteMode }

/**
 * The part of a tally or hourly _id that names the mode: none for Torcida, so the documents written
 * before the modes (`paredão:candidate`, `paredão:hour:candidate`) keep being the Torcida ones and need
 * no rewrite; `paredão:unico:…` for Único (ids are slugs and hours start with a digit: no clash).
 */
const modeKey = (mode: VoteMode) => (mode === 'torcida' ? '' : `${mode}:`);
type ParedaoDoc = Omit<Paredao, 'id'> & { _id: string; closedAtDate?: Date; createdAtDate: Date };
interface ImageDoc { _id: string; contentType: string; bytes: Buffer }
interface SessionDoc { _id: string; username: string; credential: string; expiresAt: Date }
interface SettingDoc { _id: string; value: unknown }

/**
 * Whether the server that answered `hello` can run multi-document transactions: a replica set member
 * (it reports `setName`) or a mongos (`msg: 'isdbgrid'`). Returns why not, or null when it can.
 */
export function transactionSupportProblem(hello: Record<string, unknown>): string | null {
  if (hello.msg === 'isdbgrid') return null;
  if (typeof hello.setName === 'string' && hello.setName !== '') return null;
  // Started with --replSet but never initiated: hello says isreplicaset and has no set name yet.
  if (hello.isreplicaset === true) {
    return 'it was started as a replica set member but the set is not initiated (run rs.initiate() once, as compose does)';
  }
  return 'it is a standalone server, not a replica set; start mongod with --replSet and run rs.initiate() once (a single-node replica set is enough), or use a replica set or sharded cluster';
}

const TXN = { readConcern: { level: 'snapshot' as const }, writeConcern: { w: 'majority' as const } };

/**
 * The production store. A batch is one multi-document transaction (MongoDB needs a replica set for
 * that; compose runs a single-node one). Tally documents have deterministic _ids, so concurrent upserts
 * cannot create duplicates (concurrent $inc upserts without a unique key can). At most one paredão is open: a partial unique index
 * on status "open" enforces it even against two admins at once.
 */
export async function openMongoStore(url: string): Promise<Store> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000, retryWrites: true });
  await client.connect();
  // Checked once here, because a standalone server accepts every single write and refuses only the
  // transaction: the consumer would then retry each batch for ever while the queue grows.
  const problem = transactionSupportProblem(await client.db('admin').command({ hello: 1 }));
  if (problem) {
    await client.close();
    throw new ConfigError(`STORE_URL names a MongoDB that cannot run the store's transactions: ${problem}`);
  }
  const db = client.db(); // the database named in the URL, "test" if none
  const applied = db.collection<AppliedDoc>('applied_votes');
  const tallies = db.collection<TallyDoc>('tallies');
  const hourly = db.collection<HourlyDoc>('hourly');
  const paredoes = db.collection<ParedaoDoc>('paredoes');
  const images = db.collection<ImageDoc>('images');
  const sessions = db.collection<SessionDoc>('sessions');
  const settings = db.collection<SettingDoc>('settings');
  // MongoDB removes expired sessions by itself; getSession still checks the time (the TTL monitor runs once a minute).
  await sessions.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  await applied.createIndex({ appliedAt: 1 });
  await tallies.createIndex({ paredaoId: 1 });
  // The migration to the vote modes: the tally and hourly documents from before are Torcida. Small
  // collections (a document per candidate, per hour), so this is cheap; applied votes without a mode
  // (one per vote) are read as Torcida instead of being rewritten.
  await tallies.updateMany({ mode: { $exists: false } }, { $set: { mode: 'torcida' } });
  await hourly.updateMany({ mode: { $exists: false } }, { $set: { mode: 'torcida' } });
  await hourly.createIndex({ paredaoId: 1, hour: 1 });
  await paredoes.createIndex({ status: 1 }, { unique: true, partialFilterExpression: { status: 'open' }, name: 'one_open_paredao' });
  await paredoes.createIndex({ createdAtDate: -1 });

  const toParedao = (d: ParedaoDoc | null): Paredao | null => {
    if (!d) return null;
    const { _id, closedAtDate: _c, createdAtDate: _cr, ...rest } = d;
    return paredaoSchema.parse({ ...rest, id: _id });
  };
  const toDoc = (p: Paredao): ParedaoDoc => {
    const { id, ...rest } = p;
    return { ...rest, _id: id, createdAtDate: new Date(p.createdAt ?? 0), ...(p.closedAt ? { closedAtDate: new Date(p.closedAt) } : {}) };
  };

  async function inTransaction<T>(fn: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = client.startSession();
    try {
      // withTransaction retries on transient errors (write conflicts with a concurrent consumer).
      return await session.withTransaction(fn, TXN);
    } finally {
      await session.endSession();
    }
  }

  async function transition(id: string, change: (p: Paredao, session: ClientSession) => Promise<Paredao | TransitionResult>): Promise<TransitionResult> {
    try {
      return await inTransaction(async (session) => {
        const p = toParedao(await paredoes.findOne({ _id: id }, { session }));
        if (!p) return { ok: false, code: 'not_found' } as const;
        const next = await change(p, session);
        if ('ok' in next) return next;
        await paredoes.replaceOne({ _id: id }, toDoc(next), { session });
        return { ok: true, paredao: next } as const;
      });
    } catch (err) {
      if (err instanceof MongoServerError && err.code === 11000) return { ok: false, code: 'another_open' };
      throw err;
    }
  }

  const unico = await mongoUnico(db, inTransaction);
  const voters = await mongoVoterStore(db, inTransaction, unico.forget);
  const bounded = await mongoBounded(db, inTransaction);
  const proofClaims = await mongoProofClaims(db);

  return {
    kind: 'mongodb',
    ...voters,
    ...unico.methods,
    ...proofClaims,
    async applyBatch(votes: readonly VoteMessage[], appliedAt: number): Promise<ApplyOutcome> {
      return inTransaction(async (session) => {
        const pIds = [...new Set(votes.map((v) => v.paredaoId))];
        const windows = new Map((await paredoes.find({ _id: { $in: pIds } }, { session }).toArray()).map((d) => [d._id, toParedao(d)!]));
        const accepted = votes.filter((v) => {
          const p = windows.get(v.paredaoId);
          return !!p && acceptsVotesAt(p, v.acceptedAt) && p.candidates.some((c) => c.id === v.candidateId) && modeOn(p, modeOf(v));
        });
        // Accepted before the pruned-through mark (Torcida only): their ids may be gone, so they cannot be checked.
        const { checkable: inWindow, below } = await bounded.belowMark(accepted, session);
        // A Único vote counts only if this write turns its claim to counted (decision 0005): else a duplicate.
        const claimed = await unico.countOnce(inWindow.filter((v) => modeOf(v) === 'unico'), session);
        const countable = inWindow.filter((v) => modeOf(v) !== 'unico' || claimed.has(v.voteId));
        const ids = [...new Set(countable.map((v) => v.voteId))];
        const seen = new Set((await applied.find({ _id: { $in: ids } }, { session, projection: { _id: 1 } }).toArray()).map((d) => d._id));
        const fresh: VoteMessage[] = [];
        for (const v of countable) {
          if (seen.has(v.voteId)) continue;
          seen.add(v.voteId); // the same id twice inside one batch counts once
          fresh.push(v);
        }
        if (fresh.length > 0) {
          const at = new Date(appliedAt);
          await applied.insertMany(
            fresh.map((v) => ({ _id: v.voteId, paredaoId: v.paredaoId, candidateId: v.candidateId, acceptedAt: v.acceptedAt, appliedAt: at, mode: modeOf(v) })),
            { session },
          );
          const { candidates, hours } = aggregate(fresh, hourBucket);
          const tOps: AnyBulkWriteOperation<TallyDoc>[] = candidates.map((c) => ({
            updateOne: {
              filter: { _id: `${c.paredaoId}:${modeKey(c.mode)}${c.candidateId}` },
              update: { $inc: { votes: c.n }, $setOnInsert: { paredaoId: c.paredaoId, candidateId: c.candidateId, mode: c.mode } },
              upsert: true,
            },
          }));
          const hOps: AnyBulkWriteOperation<HourlyDoc>[] = hours.map((h) => ({
            updateOne: {
              filter: { _id: `${h.paredaoId}:${modeKey(h.mode)}${h.hour}:${h.candidateId}` },
              update: { $inc: { votes: h.n }, $setOnInsert: { paredaoId: h.paredaoId, hour: h.hour, candidateId: h.candidateId, mode: h.mode } },
              upsert: true,
            },
          }));
          await tallies.bulkWrite(tOps, { session, ordered: false });
          await hourly.bulkWrite(hOps, { session, ordered: false });
          await bounded.archive(fresh, session);
        }
        const outsideWindow = votes.length - accepted.length;
        // A Único vote outside its window can never count: its claim is settled here, so the sweeper stops finding it.
        const inside = new Set(accepted);
        const voided = await unico.settleVoid(votes.filter((v) => modeOf(v) === 'unico' && !inside.has(v)), session);
        return applyOutcome(votes.length, fresh, outsideWindow, below, voided);
      });
    },
    async tally(paredaoId): Promise<Tally> {
      const modes = { torcida: { byCandidate: {}, hourly: [] }, unico: { byCandidate: {}, hourly: [] } } as Record<VoteMode, ModeTally>;
      for (const d of await tallies.find({ paredaoId }).toArray()) modes[d.mode ?? 'torcida'].byCandidate[d.candidateId] = d.votes;
      const hours = { torcida: new Map<string, Record<string, number>>(), unico: new Map<string, Record<string, number>>() };
      for (const d of await hourly.find({ paredaoId }).sort({ hour: 1 }).toArray()) {
        const m = hours[d.mode ?? 'torcida'];
        const row = m.get(d.hour) ?? {};
        row[d.candidateId] = d.votes;
        m.set(d.hour, row);
      }
      for (const m of ['torcida', 'unico'] as const) modes[m].hourly = [...hours[m]].map(([hour, bc]) => ({ hour, byCandidate: bc }));
      return tallyOf(modes);
    },
    async recount(paredaoId) {
      return recountOf(await bounded.recountRows(paredaoId));
    },
    async prune(key, mark) {
      return bounded.prune(key, mark);
    },
    async listParedoes() {
      return (await paredoes.find().sort({ createdAtDate: -1, _id: 1 }).toArray()).map((d) => toParedao(d)!);
    },
    async getParedao(id) {
      return toParedao(await paredoes.findOne({ _id: id }));
    },
    async currentParedao() {
      return toParedao(await paredoes.findOne({ status: 'open' })) ?? toParedao(await paredoes.find({ status: 'closed' }).sort({ closedAtDate: -1 }).limit(1).next());
    },
    async insertParedao(p) {
      await paredoes.insertOne(toDoc(paredaoSchema.parse(p)));
    },
    async updateDraft(p) {
      return transition(p.id, async (cur) =>
        cur.status === 'draft' ? keepVoting({ ...paredaoSchema.parse(p), status: 'draft', createdAt: cur.createdAt }, cur) : { ok: false, code: 'not_draft' },
      );
    },
    async setVoting(id, voting, change) {
      return transition(id, async (cur) => withVoting(cur, voting, change));
    },
    async openParedao(id, at) {
      return transition(id, async (cur, session) => {
        if (cur.status !== 'draft') return { ok: false, code: 'not_draft' };
        if (await paredoes.findOne({ status: 'open' }, { session })) return { ok: false, code: 'another_open' };
        return { ...cur, status: 'open', openedAt: at.toISOString() };
      });
    },
    async closeParedao(id, at) {
      return transition(id, async (cur) => (cur.status === 'open' ? { ...cur, status: 'closed', closedAt: at.toISOString() } : { ok: false, code: 'not_open' }));
    },
    async putImage(id, image: StoredImage) {
      await images.replaceOne({ _id: id }, { contentType: image.contentType, bytes: image.bytes }, { upsert: true });
    },
    async getImage(id) {
      const d = await images.findOne({ _id: id });
      // The driver hands binary fields back as BSON Binary, whose bytes are in .buffer.
      const raw = d?.bytes as unknown as { buffer?: Uint8Array } | undefined;
      return d ? { contentType: d.contentType, bytes: Buffer.from(raw?.buffer ?? d.bytes) } : null;
    },
    async putSession(s) {
      await sessions.replaceOne({ _id: s.id }, { username: s.username, credential: s.credential, expiresAt: new Date(s.expiresAt) }, { upsert: true });
    },
    async getSession(id, now) {
      const d = await sessions.findOne({ _id: id, expiresAt: { $gt: new Date(now) } });
      return d ? { id: d._id, username: d.username, credential: d.credential, expiresAt: d.expiresAt.getTime() } : null;
    },
    async deleteSession(id) {
      await sessions.deleteOne({ _id: id });
    },
    async revokeSessionsExcept(credential, now) {
      return (await sessions.deleteMany({ $or: [{ credential: { $ne: credential } }, { expiresAt: { $lte: new Date(now) } }] })).deletedCount;
    },
    async getSetting(key) {
      return (await settings.findOne({ _id: key }))?.value ?? null;
    },
    async putSetting(key, value) {
      await settings.replaceOne({ _id: key }, { value }, { upsert: true });
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
