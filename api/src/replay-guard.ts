import type { Store } from '@paredao/core';
import type { Logger } from 'pino';
import { IdSet, idKey } from './id-set.js';

/** Buckets per expiry period: an id is held at most 1/BUCKETS of a period longer than it must be. */
const BUCKETS = 12;

/**
 * The fast, in-process half of single use: ids seen by this process or applied by the consumer (read
 * from the store every second, so replays across api instances and restarts are refused too). The
 * other half is the consumer's exactly-once apply, which drops any replay that slips through the
 * window between instances.
 *
 * Bounded memory (issue 12): an id only needs holding until its proof has expired, and a proof claimed
 * at `now` expires before `now + expiry` (it was issued before). Ids go into buckets by that instant,
 * and a bucket is dropped whole once it has passed; each bucket is a compact IdSet (8-byte keys, no
 * object per id). At 25 000 votes/s and a 120 s expiry that is about 3.3 million ids, ≈ 40–80 MB,
 * where two Set<string> generations held up to 6 million ids at ≈ 100 bytes each (docs/BENCHMARKS.md).
 */
export class ReplayGuard {
  private readonly buckets = new Map<number, IdSet>();
  private readonly bucketMs: number;
  private syncedUpTo: number;

  constructor(
    private readonly store: Store,
    private readonly expiryMs: number,
    private readonly log: Logger,
    now = Date.now(),
  ) {
    this.bucketMs = Math.max(1, Math.ceil(expiryMs / BUCKETS));
    this.syncedUpTo = now - expiryMs;
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

  /** Marks the id as used; false if it was used already. */
  claim(id: string, now = Date.now()): boolean {
    this.expire(now);
    const key = idKey(id);
    if (this.has(key)) return false;
    this.bucketFor(now + this.expiryMs).addKey(key);
    return true;
  }

  /** Forgets an id whose vote was not accepted (publish failed), so the voter may retry with it. */
  release(id: string): void {
    for (const b of this.buckets.values()) b.delete(id);
  }

  /** Pulls the ids the consumer applied since the last sync. */
  async sync(now = Date.now()): Promise<void> {
    this.expire(now);
    try {
      for (;;) {
        const rows = await this.store.appliedSince(this.syncedUpTo, 10_000);
        for (const r of rows) {
          // Applied at appliedAt, so accepted before it: its proof expired before appliedAt + expiry.
          const until = r.appliedAt + this.expiryMs;
          const key = idKey(r.voteId);
          if (until > now && !this.has(key)) this.bucketFor(until).addKey(key);
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

  private has(key: readonly [number, number]): boolean {
    for (const b of this.buckets.values()) if (b.hasKey(key)) return true;
    return false;
  }

  /** The bucket holding ids until `until` (its end is at or after `until`). */
  private bucketFor(until: number): IdSet {
    const k = Math.ceil(until / this.bucketMs);
    let b = this.buckets.get(k);
    if (!b) this.buckets.set(k, (b = new IdSet(1024)));
    return b;
  }

  private expire(now: number): void {
    for (const k of this.buckets.keys()) if (k * this.bucketMs < now) this.buckets.delete(k);
  }
}
