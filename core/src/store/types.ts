import type { Paredao, Tally, VoteMode, Voting, VotingChange } from '@paredao/contract';
import { modeOf, type VoteMessage } from '../vote.js';
import type { ProofClaimStore } from './proof-claim-types.js';
import type { UnicoStore } from './unico-types.js';
import type { VoterStore } from './voter-types.js';
import type { PruneOutcome } from './watermark.js';

export interface ApplyOutcome {
  /** Votes counted by this batch. */
  applied: number;
  /** The same, per mode. */
  appliedByMode: Record<VoteMode, number>;
  /** Votes whose id had been applied before (redelivery or replay): not counted again. */
  duplicates: number;
  /** Votes accepted outside their paredão's voting window, for an unknown paredão or candidate, or in a mode the paredão does not have: never counted. */
  outsideWindow: number;
  /**
   * When the oldest vote this batch counted was accepted by the api (ms since the epoch); null when it
   * counted none. The consumer's vote-to-count latency comes from it: one observation per batch, and
   * none for a batch of redelivered duplicates.
   */
  oldestAcceptedAt: number | null;
  /**
   * Ids of votes accepted before the store's pruned-through mark: not counted, because their ids may
   * have been dropped (docs/ARCHITECTURE.md, "Bounded storage"); the consumer dead-letters their
   * messages. Present only when there are some.
   */
  belowMark?: string[];
  /**
   * Ids of Único votes outside their window (counted in `outsideWindow`) whose claim this write settled
   * as void: never countable, so the sweeper stops finding it. Each id appears in one outcome only.
   * Present only when there are some.
   */
  voided?: string[];
}

/** What applying a batch of `batchSize` votes did, from the votes it counted and those outside their window: the rest were duplicates. */
export function applyOutcome(
  batchSize: number,
  fresh: readonly Pick<VoteMessage, 'acceptedAt' | 'mode'>[],
  outsideWindow: number,
  belowMark: readonly Pick<VoteMessage, 'voteId'>[] = [],
  voided: readonly string[] = [],
): ApplyOutcome {
  let oldest: number | null = null;
  const appliedByMode = { torcida: 0, unico: 0 };
  for (const v of fresh) {
    if (oldest === null || v.acceptedAt < oldest) oldest = v.acceptedAt;
    appliedByMode[modeOf(v)]++;
  }
  const below = belowMark.length > 0 ? { belowMark: belowMark.map((v) => v.voteId) } : {};
  const voidClaims = voided.length > 0 ? { voided: [...voided] } : {};
  return { applied: fresh.length, appliedByMode, duplicates: batchSize - fresh.length - outsideWindow - belowMark.length, outsideWindow, oldestAcceptedAt: oldest, ...below, ...voidClaims };
}

/** The per-candidate counts recomputed from the applied votes: both modes together and per mode. */
export interface Recount {
  byCandidate: Record<string, number>;
  modes: Record<VoteMode, Record<string, number>>;
}

/** A recount from its rows (mode, candidate, votes). */
export function recountOf(rows: readonly { mode: VoteMode; candidateId: string; n: number }[]): Recount {
  const out: Recount = { byCandidate: {}, modes: { torcida: {}, unico: {} } };
  for (const r of rows) {
    out.byCandidate[r.candidateId] = (out.byCandidate[r.candidateId] ?? 0) + r.n;
    out.modes[r.mode][r.candidateId] = (out.modes[r.mode][r.candidateId] ?? 0) + r.n;
  }
  return out;
}

export type TransitionResult = { ok: true; paredao: Paredao } | { ok: false; code: 'not_found' | 'not_draft' | 'not_open' | 'another_open' };

/** How many rule changes a paredão keeps in its audit (the oldest go first). */
export const VOTING_CHANGES_KEPT = 100;

/** A draft's new version keeps the voting rules and their audit of the stored one: only setVoting changes them. */
export function keepVoting(next: Paredao, cur: Paredao): Paredao {
  const { voting: _v, votingChanges: _c, ...rest } = next;
  return { ...rest, ...(cur.voting ? { voting: cur.voting } : {}), ...(cur.votingChanges ? { votingChanges: cur.votingChanges } : {}) };
}

/** The paredão with new voting rules and the change recorded, or why not: rules are fixed once voting opens. */
export function withVoting(p: Paredao, voting: Voting, change: Omit<VotingChange, 'voting'>): Paredao | TransitionResult {
  if (p.status !== 'draft') return { ok: false, code: 'not_draft' };
  return { ...p, voting, votingChanges: [...(p.votingChanges ?? []), { ...change, voting }].slice(-VOTING_CHANGES_KEPT) };
}

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
export interface Store extends VoterStore, UnicoStore, ProofClaimStore {
  readonly kind: 'sqlite' | 'mongodb';
  /**
   * Counts the votes of a batch that are new and were accepted inside their paredão's voting window
   * (`acceptsVotesAt`), records their ids, and adds them to the tallies: all in one atomic write.
   */
  applyBatch(votes: readonly VoteMessage[], appliedAt: number): Promise<ApplyOutcome>;
  /** The counts per mode (rows from before the modes are Torcida), and both together. */
  tally(paredaoId: string): Promise<Tally>;
  /** The per-candidate count recomputed from the archive of counted vote ids (the audit), per mode too. */
  recount(paredaoId: string): Promise<Recount>;
  /**
   * Records the low watermark of one consumer (`key`: its queue, or its slot on a shared queue), moves
   * the store's pruned-through mark to the smallest of every consumer's, drops the applied ids accepted
   * before it and merges the archive of the hours it has passed (docs/ARCHITECTURE.md, "Bounded storage").
   */
  prune(key: string, mark: number): Promise<PruneOutcome>;

  listParedoes(): Promise<Paredao[]>;
  getParedao(id: string): Promise<Paredao | null>;
  /** The open paredão, else the one closed most recently, else null. */
  currentParedao(): Promise<Paredao | null>;
  insertParedao(p: Paredao): Promise<void>;
  /** Replaces a draft (the status must still be draft); its voting rules and their audit stay as they are. */
  updateDraft(p: Paredao): Promise<TransitionResult>;
  /** Sets a draft's voting rules and records who set them when; refused (`not_draft`) once voting opened. */
  setVoting(id: string, voting: Voting, change: Omit<VotingChange, 'voting'>): Promise<TransitionResult>;
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

  /** Ids of votes applied at or after `since` (epoch ms), oldest first, at most `limit` (the hot rows: votes accepted before the pruned-through mark are gone). */
  appliedSince(since: number, limit: number): Promise<{ voteId: string; appliedAt: number }[]>;
  /** Throws if the store cannot be used right now. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Folds a batch into per-mode, per-candidate and per-hour increments (one write per key, not per vote). */
export function aggregate(votes: readonly VoteMessage[], hourOf: (ms: number) => string) {
  const byCandidate = new Map<string, number>();
  const byHour = new Map<string, number>();
  for (const v of votes) {
    const mode = modeOf(v);
    const ck = `${v.paredaoId}\u0000${mode}\u0000${v.candidateId}`;
    byCandidate.set(ck, (byCandidate.get(ck) ?? 0) + 1);
    const hk = `${v.paredaoId}\u0000${mode}\u0000${hourOf(v.acceptedAt)}\u0000${v.candidateId}`;
    byHour.set(hk, (byHour.get(hk) ?? 0) + 1);
  }
  return {
    candidates: [...byCandidate].map(([k, n]) => {
      const [paredaoId, mode, candidateId] = k.split('\u0000') as [string, VoteMode, string];
      return { paredaoId, mode, candidateId, n };
    }),
    hours: [...byHour].map(([k, n]) => {
      const [paredaoId, mode, hour, candidateId] = k.split('\u0000') as [string, VoteMode, string, string];
      return { paredaoId, mode, hour, candidateId, n };
    }),
  };
}
