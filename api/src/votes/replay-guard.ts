import type { ProofClaimStore, Store } from '@paredao/core';
import type { Logger } from 'pino';
import { claimsUnavailable } from '../platform/errors.js';
import { IdSet, idKey } from './id-set.js';

/** Buckets per expiry period: an id is held at most 1/BUCKETS of a period longer than it must be. */
const BUCKETS = 12;

/**
 * The one claim per proof that several api processes of a host share: the cluster primary holds it
 * (cluster-arbiter.ts) and answers each worker's claims in order, so of any number of copies of one
 * proof sent to the host's workers at once, exactly one is accepted.
 */
export interface ClaimArbiter {
  /** Claims the id, for a vote for `candidate`, until `until` (ms); false if it was claimed already. */
  claim(id: string, until: number, candidate: string): Promise<boolean>;
  /** Gives a claim back (its vote was not accepted). */
  release(id: string): void;
}

/**
 * The claim across hosts (PROOF_CLAIMS=store): the store's unique key on the proof id, and what the
 * process reports when the proof was spent on something else through another host.
 */
export interface SharedClaims {
  store: ProofClaimStore;
  onConflict: () => void;
}

/**
 * Vote ids held until an instant, with bounded memory: an id only needs holding until its proof has
 * expired, and a proof claimed at `now` expires before `now + expiry` (it was issued before). Ids go
 * into buckets by that instant, and a bucket is dropped whole once it has passed; each bucket is a
 * compact IdSet (8-byte keys, no object per id). At 25 000 votes/s and a 120 s expiry that is about
 * 3.3 million ids, ≈ 40–80 MB (docs/BENCHMARKS.md).
 */
export class ExpiringIdSet {
  private readonly buckets = new Map<number, IdSet>();
  private readonly bucketMs: number;

  constructor(expiryMs: number) {
    this.bucketMs = Math.max(1, Math.ceil(expiryMs / BUCKETS));
  }

  /** Ids held now, over every bucket. */
  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.size;
    return n;
  }

  /** Bytes held by the id arrays. */
  get bytes(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.bytes;
    return n;
  }

  /** Adds the id to hold until `until`; false if it was held already. */
  claim(id: string, until: number, now: number): boolean {
    this.expire(now);
    const key = idKey(id);
    if (this.has(key)) return false;
    this.bucketFor(until).addKey(key);
    return true;
  }

  has(key: readonly [number, number]): boolean {
    for (const b of this.buckets.values()) if (b.hasKey(key)) return true;
    return false;
  }

  /** Holds the key until `until`, unless it is held already. */
  hold(key: readonly [number, number], until: number): void {
    if (!this.has(key)) this.bucketFor(until).addKey(key);
  }

  delete(id: string): void {
    for (const b of this.buckets.values()) b.delete(id);
  }

  expire(now: number): void {
    for (const k of this.buckets.keys()) if (k * this.bucketMs < now) this.buckets.delete(k);
  }

  /** The bucket holding ids until `until` (its end is at or after `until`). */
  private bucketFor(until: number): IdSet {
    const k = Math.ceil(until / this.bucketMs);
    let b = this.buckets.get(k);
    if (!b) this.buckets.set(k, (b = new IdSet(1024)));
    return b;
  }
}

/**
 * Refusal at the door of a proof used before: ids claimed through this process, and ids applied by the
 * consumer (read from the store every second, so replays across hosts and restarts are refused too).
 * In a cluster worker, a claim this process has not seen goes to the host's arbiter (the primary), so
 * the workers of one host accept each proof once between them; on its own the process decides alone.
 * With shared claims the host's claim is then made in the store too, so hosts behind one balancer
 * accept each proof once between them.
 * The other half of single use is the consumer's exactly-once apply (docs/ANTIBOT.md).
 */
export class ReplayGuard {
  private readonly held: ExpiringIdSet;
  private syncedUpTo: number;

  constructor(
    private readonly store: Store,
    private readonly expiryMs: number,
    private readonly log: Logger,
    now = Date.now(),
    private readonly arbiter: ClaimArbiter | null = null,
    private readonly shared: SharedClaims | null = null,
  ) {
    this.held = new ExpiringIdSet(expiryMs);
    this.syncedUpTo = now - expiryMs;
  }

  /** Ids held now by this process. */
  get size(): number {
    return this.held.size;
  }

  /** Bytes held by the id arrays of this process. */
  get bytes(): number {
    return this.held.bytes;
  }

  /**
   * Marks the id as used for `spentOn` (the candidate); false if it was used already: through this
   * process, this host (the arbiter), or, with shared claims, through another host for something else.
   * Throws a 503 AppError when the shared claim cannot be made.
   */
  async claim(id: string, now = Date.now(), spentOn = ''): Promise<boolean> {
    const until = now + this.expiryMs;
    if (!(await this.claimOnHost(id, until, now, spentOn))) return false;
    if (!this.shared) return true;
    let same: boolean;
    try {
      same = await this.shared.store.claimProof({ id, spentOn, until });
    } catch (err) {
      this.release(id);
      this.log.error({ err }, 'the proof claim across hosts could not be made: vote refused with 503');
      throw claimsUnavailable();
    }
    // Spent on something else through another host: stays held here too, so later copies are refused
    // without asking the store.
    if (!same) this.shared.onConflict();
    return same;
  }

  private async claimOnHost(id: string, until: number, now: number, candidate: string): Promise<boolean> {
    if (!this.arbiter) return this.held.claim(id, until, now);
    this.held.expire(now);
    const key = idKey(id);
    // Known here (claimed through this process, or applied): refused without asking the arbiter.
    if (this.held.has(key)) return false;
    const ok = await this.arbiter.claim(id, until, candidate);
    if (ok) this.held.hold(key, until);
    return ok;
  }

  /** Forgets an id whose vote was not accepted (publish failed), so the voter may retry with it. */
  release(id: string): void {
    this.held.delete(id);
    this.arbiter?.release(id);
  }

  /** Pulls the ids the consumer applied since the last sync. */
  async sync(now = Date.now()): Promise<void> {
    this.held.expire(now);
    try {
      for (;;) {
        const rows = await this.store.appliedSince(this.syncedUpTo, 10_000);
        for (const r of rows) {
          // Applied at appliedAt, so accepted before it: its proof expired before appliedAt + expiry.
          const until = r.appliedAt + this.expiryMs;
          if (until > now) this.held.hold(idKey(r.voteId), until);
        }
        const last = rows.at(-1);
        if (!last || last.appliedAt === this.syncedUpTo) break;
        this.syncedUpTo = last.appliedAt;
        if (rows.length < 10_000) break;
      }
    } catch (err) {
      this.log.warn({ err }, 'replay guard could not sync applied votes from the store');
    }
  }
}
