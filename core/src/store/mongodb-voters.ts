import { MongoServerError, type ClientSession, type Db } from 'mongodb';
import type { VoterAccount, VoterCredential, VoterSession, VoterStore, WebauthnCeremony } from './voter-types.js';

type AccountDoc = Omit<VoterAccount, 'id' | 'createdAt'> & { _id: string; createdAt: Date };
type CredentialDoc = Omit<VoterCredential, 'id' | 'createdAt' | 'lastUsedAt'> & { _id: string; createdAt: Date; lastUsedAt: Date | null };
interface SessionDoc { _id: string; accountId: string; expiresAt: Date }
type CeremonyDoc = Omit<WebauthnCeremony, 'id' | 'expiresAt'> & { _id: string; expiresAt: Date };

/**
 * The voter-account half of the MongoDB store (mongodb.ts spreads these methods in). One account per
 * CPF is a unique index on its keyed hash, so two sign-ups of one CPF on two hosts cannot both win.
 */
export async function mongoVoterStore(
  db: Db,
  inTransaction: <T>(fn: (session: ClientSession) => Promise<T>) => Promise<T>,
  /** What a deletion does to the account's Único claims, in the same transaction (mongodb-unico.ts). */
  forget: (accountId: string, cpfHmac: string, session: ClientSession) => Promise<void>,
): Promise<VoterStore> {
  const accounts = db.collection<AccountDoc>('voter_accounts');
  const credentials = db.collection<CredentialDoc>('voter_credentials');
  const sessions = db.collection<SessionDoc>('voter_sessions');
  const ceremonies = db.collection<CeremonyDoc>('webauthn_ceremonies');
  await accounts.createIndex({ cpfHmac: 1 }, { unique: true, name: 'one_account_per_cpf' });
  await credentials.createIndex({ accountId: 1 });
  await sessions.createIndex({ accountId: 1 });
  // Expired rows are removed by MongoDB's TTL monitor (once a minute); reads still check the time.
  await sessions.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  await ceremonies.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });

  return {
    async putCeremony(c) {
      const { id, expiresAt, ...rest } = c;
      await ceremonies.insertOne({ ...rest, _id: id, expiresAt: new Date(expiresAt) });
    },
    async takeCeremony(id, now) {
      // findOneAndDelete is atomic: of two api processes taking the same ceremony, one gets it.
      const d = await ceremonies.findOneAndDelete({ _id: id });
      if (!d || d.expiresAt.getTime() <= now) return null;
      const { _id, expiresAt, ...rest } = d;
      return { ...rest, id: _id, expiresAt: expiresAt.getTime() };
    },
    async createVoterAccount(account, c) {
      try {
        return await inTransaction(async (session) => {
          await accounts.insertOne({ _id: account.id, cpfHmac: account.cpfHmac, cpfMasked: account.cpfMasked, createdAt: new Date(account.createdAt) }, { session });
          await credentials.insertOne(
            { _id: c.id, accountId: c.accountId, publicKey: c.publicKey, counter: c.counter, transports: c.transports, createdAt: new Date(c.createdAt), lastUsedAt: null },
            { session },
          );
          return 'created' as const;
        });
      } catch (err) {
        if (err instanceof MongoServerError && err.code === 11000 && /one_account_per_cpf/.test(err.message)) return 'cpf_taken';
        throw err;
      }
    },
    async getVoterAccount(id) {
      const d = await accounts.findOne({ _id: id });
      return d ? { id: d._id, cpfHmac: d.cpfHmac, cpfMasked: d.cpfMasked, createdAt: d.createdAt.getTime() } : null;
    },
    async getVoterCredential(id) {
      const d = await credentials.findOne({ _id: id });
      if (!d) return null;
      // The driver hands binary fields back as BSON Binary, whose bytes are in .buffer.
      const raw = d.publicKey as unknown as { buffer?: Uint8Array };
      return {
        id: d._id,
        accountId: d.accountId,
        publicKey: Buffer.from(raw.buffer ?? d.publicKey),
        counter: d.counter,
        transports: d.transports,
        createdAt: d.createdAt.getTime(),
        lastUsedAt: d.lastUsedAt ? d.lastUsedAt.getTime() : null,
      };
    },
    async touchVoterCredential(id, counter, at) {
      await credentials.updateOne({ _id: id }, { $set: { counter, lastUsedAt: new Date(at) } });
    },
    async putVoterSession(s: VoterSession) {
      await sessions.replaceOne({ _id: s.id }, { accountId: s.accountId, expiresAt: new Date(s.expiresAt) }, { upsert: true });
    },
    async getVoterSession(id, now) {
      const d = await sessions.findOne({ _id: id, expiresAt: { $gt: new Date(now) } });
      return d ? { id: d._id, accountId: d.accountId, expiresAt: d.expiresAt.getTime() } : null;
    },
    async deleteVoterSession(id) {
      await sessions.deleteOne({ _id: id });
    },
    async deleteVoterAccount(id) {
      return inTransaction(async (session) => {
        const account = await accounts.findOne({ _id: id }, { session });
        if (account) await forget(id, account.cpfHmac, session);
        const gone = (await accounts.deleteOne({ _id: id }, { session })).deletedCount > 0;
        await credentials.deleteMany({ accountId: id }, { session });
        await sessions.deleteMany({ accountId: id }, { session });
        return gone;
      });
    },
  };
}
