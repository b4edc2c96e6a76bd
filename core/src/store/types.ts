import type { Paredao, Tally } from '@paredao/contract';
import type { VoteMessage } from '../vote.js';
import type { VoterStore } from './voter-types.js';

export interface ApplyOutcome {
  /** Votes counted by this batch. */
  applied: number;
  /** Votes whose id had been applied before (redelivery or replay): not counted again. */
  duplicates: number;
  /** Votes accepted outside their paredão's voting window (or for an unknown paredão): never counted. */
  outsideWindow: number;
  /**
   * When the oldest vote this batch counted was accepted by the api (ms since the epoch); null when it
   * counted none. The consumer's vote-to-count latency comes from it: one observation per batch, and
   * none for a batch of redelivered duplicates.
   */
  oldestAcceptedAt: number | null;
}

/** What applying a batch of `batchSize` votes did, from the votes it counted and those outside their window: the rest were duplicates. */
export function applyOutcome(batchSize: number, fresh: readonly { acceptedAt: number }[], outsideWindow: number): ApplyOutcome {
  let oldest: number | null = null;
  for (const v of fresh) if (oldest === null || v.acceptedAt < oldest) oldest = v.acceptedAt;
  return { applied: fresh.length, duplicates: batchSize - fresh.length - outsideWindow, outsideWindow, oldestAcceptedAt: oldest };
}

export type TransitionResult = { ok: true; paredao: Paredao } | { ok: false; code: 'not_found' | 'not_draft' | 'not_open' | 'another_open' };

/** An admin session: kept in the store so logout and a password change end it on every api instance at once. */
export interface StoredSession {
  /** Random id; the cookie carries it with an HMAC of its own. */
  id: string;
  username: string;
  /** Fingerprint of the password hash the session was opened with: a changed password ends it. */
  credential: string;
  expiresAt: number;
}

export interface StoredImage {
  contentType: string;
  bytes: Buffer;
}

/**
 * The vote store. `applyBatch` is the exactly-once boundary: the tallies, the hourly rows and the ids
 * of the applied votes change together in one atomic write, or not at all.
 */
export interface Store extends VoterStore {
  readonly kind: 'sqlite' | 'mongodb';
  /**
   * Counts the votes of a batch that are new and were accepted inside their paredão's voting window
   * (`acceptsVotesAt`), records their ids, and adds them to the tallies: all in one atomic write.
   */
  applyBatch(votes: readonly VoteMessage[], appliedAt: number): Promise<ApplyOutcome>;
  tally(paredaoId: string): Promise<Tally>;
  /** The per-candidate count recomputed from the applied votes themselves (the audit). */
  recount(paredaoId: string): Promise<Record<string, number>>;

  listParedoes(): Promise<Paredao[]>;
  getParedao(id: string): Promise<Paredao | null>;
  /** The open paredão, else the one closed most recently, else null. */
  currentParedao(): Promise<Paredao | null>;
  insertParedao(p: Paredao): Promise<void>;
  /** Replaces a draft (the status must still be draft). */
  updateDraft(p: Paredao): Promise<TransitionResult>;
  /** draft → open at `at`, unless another paredão is open. */
  openParedao(id: string, at: Date): Promise<TransitionResult>;
  /** open → closed; votes accepted from `at` on do not count. */
  closeParedao(id: string, at: Date): Promise<TransitionResult>;

  putImage(id: string, image: StoredImage): Promise<void>;
  getImage(id: string): Promise<StoredImage | null>;

  putSession(session: StoredSession): Promise<void>;
  /** The session, or null if it does not exist (logged out, revoked) or has expired at `now`. */
  getSession(id: string, now: number): Promise<StoredSession | null>;
  deleteSession(id: string): Promise<void>;
  /** Ends every session not opened with `credential` (the password changed), and the expired ones. Returns how many ended. */
  revokeSessionsExcept(credential: string, now: number): Promise<number>;

  /** Small operator settings changed at run time (the anti-bot difficulty), as JSON-able values; null if unset. */
  getSetting(key: string): Promise<unknown>;
  putSetting(key: string, value: unknown): Promise<void>;

  /** Ids of votes applied at or after `since` (epoch ms), oldest first, at most `limit`. */
  appliedSince(since: number, limit: number): Promise<{ voteId: string; appliedAt: number }[]>;
  /** Throws if the store cannot be used right now. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Folds a batch into per-candidate and per-hour increments (one write per key, not per vote). */
export function aggregate(votes: readonly VoteMessage[], hourOf: (ms: number) => string) {
  const byCandidate = new Map<string, number>();
  const byHour = new Map<string, number>();
  for (const v of votes) {
    const ck = `${v.paredaoId}\u0000${v.candidateId}`;
    byCandidate.set(ck, (byCandidate.get(ck) ?? 0) + 1);
    const hk = `${v.paredaoId}\u0000${hourOf(v.acceptedAt)}\u0000${v.candidateId}`;
    byHour.set(hk, (byHour.get(hk) ?? 0) + 1);
  }
  return {
    candidates: [...byCandidate].map(([k, n]) => {
      const [paredaoId, candidateId] = k.split('\u0000') as [string, string];
      return { paredaoId, candidateId, n };
    }),
    hours: [...byHour].map(([k, n]) => {
      const [paredaoId, hour, candidateId] = k.split('\u0000') as [string, string, string];
      return { paredaoId, hour, candidateId, n };
    }),
  };
}
