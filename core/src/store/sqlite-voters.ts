import type Database from 'better-sqlite3';
import type { VoterAccount, VoterCredential, VoterSession, VoterStore, WebauthnCeremony } from './voter-types.js';

export const VOTER_SCHEMA = `
CREATE TABLE IF NOT EXISTS voter_accounts (
  id TEXT PRIMARY KEY,
  cpf_hmac TEXT NOT NULL UNIQUE,
  cpf_masked TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS voter_credentials (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  public_key BLOB NOT NULL,
  counter INTEGER NOT NULL,
  transports TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS voter_credentials_account ON voter_credentials (account_id);
CREATE TABLE IF NOT EXISTS voter_sessions (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS voter_sessions_account ON voter_sessions (account_id);
CREATE INDEX IF NOT EXISTS voter_sessions_expires ON voter_sessions (expires_at);
CREATE TABLE IF NOT EXISTS webauthn_ceremonies (
  id TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL,
  doc TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS webauthn_ceremonies_expires ON webauthn_ceremonies (expires_at);
`;

interface CredentialRow {
  id: string;
  accountId: string;
  publicKey: Buffer;
  counter: number;
  transports: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/**
 * The voter-account half of the SQLite store (sqlite.ts runs VOTER_SCHEMA and spreads these methods in).
 * `forget` is what a deletion does to the account's Único claims, in the same transaction (sqlite-unico.ts).
 */
export function sqliteVoterStore(db: Database.Database, forget: (accountId: string, cpfHmac: string) => void): VoterStore {
  const purgeCeremonies = db.prepare('DELETE FROM webauthn_ceremonies WHERE expires_at <= ?');
  const putCeremony = db.prepare('INSERT INTO webauthn_ceremonies (id, expires_at, doc) VALUES (?, ?, ?)');
  // One statement: two api processes taking the same ceremony cannot both get it.
  const takeCeremony = db.prepare('DELETE FROM webauthn_ceremonies WHERE id = ? RETURNING expires_at AS expiresAt, doc');
  const insertAccount = db.prepare(
    'INSERT INTO voter_accounts (id, cpf_hmac, cpf_masked, created_at) VALUES (@id, @cpfHmac, @cpfMasked, @createdAt) ON CONFLICT (cpf_hmac) DO NOTHING',
  );
  const insertCredential = db.prepare(
    'INSERT INTO voter_credentials (id, account_id, public_key, counter, transports, created_at, last_used_at) VALUES (@id, @accountId, @publicKey, @counter, @transports, @createdAt, @lastUsedAt)',
  );
  const getAccount = db.prepare('SELECT id, cpf_hmac AS cpfHmac, cpf_masked AS cpfMasked, created_at AS createdAt FROM voter_accounts WHERE id = ?');
  const getCredential = db.prepare(
    'SELECT id, account_id AS accountId, public_key AS publicKey, counter, transports, created_at AS createdAt, last_used_at AS lastUsedAt FROM voter_credentials WHERE id = ?',
  );
  const touchCredential = db.prepare('UPDATE voter_credentials SET counter = ?, last_used_at = ? WHERE id = ?');
  const purgeSessions = db.prepare('DELETE FROM voter_sessions WHERE expires_at <= ?');
  const putSession = db.prepare('INSERT OR REPLACE INTO voter_sessions (id, account_id, expires_at) VALUES (@id, @accountId, @expiresAt)');
  const getSession = db.prepare('SELECT id, account_id AS accountId, expires_at AS expiresAt FROM voter_sessions WHERE id = ? AND expires_at > ?');
  const deleteSession = db.prepare('DELETE FROM voter_sessions WHERE id = ?');
  const deleteAccountRow = db.prepare('DELETE FROM voter_accounts WHERE id = ?');
  const deleteAccountCredentials = db.prepare('DELETE FROM voter_credentials WHERE account_id = ?');
  const deleteAccountSessions = db.prepare('DELETE FROM voter_sessions WHERE account_id = ?');

  const create = db.transaction((account: VoterAccount, c: VoterCredential): 'created' | 'cpf_taken' => {
    if (insertAccount.run(account).changes === 0) return 'cpf_taken';
    insertCredential.run({ ...c, transports: JSON.stringify(c.transports) });
    return 'created';
  });
  const remove = db.transaction((id: string): boolean => {
    const account = getAccount.get(id) as VoterAccount | undefined;
    if (account) forget(id, account.cpfHmac);
    const gone = deleteAccountRow.run(id).changes > 0;
    deleteAccountCredentials.run(id);
    deleteAccountSessions.run(id);
    return gone;
  });

  return {
    async putCeremony(c: WebauthnCeremony) {
      // Ceremonies nobody finished are cleared as new ones come: an indexed delete of a few rows.
      purgeCeremonies.run(Date.now());
      putCeremony.run(c.id, c.expiresAt, JSON.stringify(c));
    },
    async takeCeremony(id, now) {
      const row = takeCeremony.get(id) as { expiresAt: number; doc: string } | undefined;
      return row && row.expiresAt > now ? (JSON.parse(row.doc) as WebauthnCeremony) : null;
    },
    async createVoterAccount(account, credential) {
      return create.immediate(account, credential);
    },
    async getVoterAccount(id) {
      return (getAccount.get(id) as VoterAccount | undefined) ?? null;
    },
    async getVoterCredential(id) {
      const row = getCredential.get(id) as CredentialRow | undefined;
      return row ? { ...row, transports: JSON.parse(row.transports) as string[] } : null;
    },
    async touchVoterCredential(id, counter, at) {
      touchCredential.run(counter, at, id);
    },
    async putVoterSession(s: VoterSession) {
      purgeSessions.run(Date.now());
      putSession.run(s);
    },
    async getVoterSession(id, now) {
      return (getSession.get(id, now) as VoterSession | undefined) ?? null;
    },
    async deleteVoterSession(id) {
      deleteSession.run(id);
    },
    async deleteVoterAccount(id) {
      return remove.immediate(id);
    },
  };
}
