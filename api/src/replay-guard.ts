import type { Store } from '@paredao/core';
import type { Logger } from 'pino';

/**
 * The fast, in-process half of single use: ids seen by this process or applied by the consumer (read
 * from the store every second, so replays across api instances and restarts are refused too). The
 * other half is the consumer's exactly-once apply, which drops any replay that slips through the
 * window between instances. Ids are kept for two expiry periods, after which the proof has expired.
 */
export class ReplayGuard {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt: number;
  private syncedUpTo: number;

  constructor(
    private readonly store: Store,
    private readonly expiryMs: number,
    private readonly log: Logger,
    now = Date.now(),
  ) {
    this.rotatedAt = now;
    this.syncedUpTo = now - expiryMs;
  }

  /** Marks the id as used; false if it was used already. */
  claim(id: string, now = Date.now()): boolean {
    this.rotate(now);
    if (this.current.has(id) || this.previous.has(id)) return false;
    this.current.add(id);
    return true;
  }

  /** Forgets an id whose vote was not accepted (publish failed), so the voter may retry with it. */
  release(id: string): void {
    this.current.delete(id);
    this.previous.delete(id);
  }

  /** Pulls the ids the consumer applied since the last sync. */
  async sync(now = Date.now()): Promise<void> {
    this.rotate(now);
    try {
      for (;;) {
        const rows = await this.store.appliedSince(this.syncedUpTo, 10_000);
        for (const r of rows) this.current.add(r.voteId);
        const last = rows.at(-1);
        if (!last || last.appliedAt === this.syncedUpTo) break;
        this.syncedUpTo = last.appliedAt;
        if (rows.length < 10_000) break;
      }
    } catch (err) {
      this.log.warn({ err }, 'replay guard could not sync applied votes from the store');
    }
  }

  private rotate(now: number): void {
    if (now - this.rotatedAt < this.expiryMs) return;
    this.previous = this.current;
    this.current = new Set();
    this.rotatedAt = now;
  }
}
