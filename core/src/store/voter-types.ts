/**
 * What the store keeps for Voto Único's voter accounts (api/src/voters). The CPF is never here: only
 * its keyed hash (unique: one account per CPF) and the six middle digits the owner is shown.
 */
export interface VoterAccount {
  /** Random; the key a Único vote is claimed under (docs/decisions/0005-voto-unico.md), never the CPF. */
  id: string;
  /** HMAC-SHA-256 of the bare CPF digits under CPF_HMAC_SECRET, hex. */
  cpfHmac: string;
  /** "•••.456.789-••": what the page shows the owner. */
  cpfMasked: string;
  createdAt: number;
}

/** A passkey of an account (WebAuthn public key credential). */
export interface VoterCredential {
  /** The credential id, base64url. */
  id: string;
  accountId: string;
  /** COSE public key. */
  publicKey: Buffer;
  /** The authenticator's signature counter, to spot a cloned authenticator (0 for most passkeys). */
  counter: number;
  transports: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

export interface VoterSession {
  id: string;
  accountId: string;
  expiresAt: number;
}

/**
 * A WebAuthn ceremony in progress: the challenge the server issued, and where it may be answered from.
 * Kept in the store, so the answer may reach any api process or host, and taken (deleted) by the first
 * one that reads it: a challenge is answered at most once.
 */
export interface WebauthnCeremony {
  id: string;
  kind: 'register' | 'login';
  /** base64url, as @simplewebauthn puts it in the options. */
  challenge: string;
  /** The page's origin and the RP id derived from it: the answer must come from the same. */
  origin: string;
  rpId: string;
  expiresAt: number;
  /** A sign-up's account-to-be, made only once the CPF passed its checks. */
  pending?: { accountId: string; cpfHmac: string; cpfMasked: string };
}

export interface VoterStore {
  putCeremony(c: WebauthnCeremony): Promise<void>;
  /** Deletes the ceremony and returns it if it had not expired at `now`; null if unknown, used or expired. */
  takeCeremony(id: string, now: number): Promise<WebauthnCeremony | null>;
  /** The account and its first passkey, together or not at all; `cpf_taken` when the CPF already has one. */
  createVoterAccount(account: VoterAccount, credential: VoterCredential): Promise<'created' | 'cpf_taken'>;
  getVoterAccount(id: string): Promise<VoterAccount | null>;
  getVoterCredential(id: string): Promise<VoterCredential | null>;
  /** After a sign-in: the authenticator's new counter. */
  touchVoterCredential(id: string, counter: number, at: number): Promise<void>;
  putVoterSession(s: VoterSession): Promise<void>;
  /** The session, or null if it does not exist (signed out, account deleted) or has expired at `now`. */
  getVoterSession(id: string, now: number): Promise<VoterSession | null>;
  deleteVoterSession(id: string): Promise<void>;
  /**
   * LGPD: the account, its passkeys and its sessions go, in one atomic write; false if it did not exist.
   * In the same write its Único claims keep their vote and lose the key (a random one instead), and the
   * CPF's hash waits in a tombstone per paredão it voted in until that paredão is closed
   * (docs/decisions/0005-voto-unico.md).
   */
  deleteVoterAccount(id: string): Promise<boolean>;
}
