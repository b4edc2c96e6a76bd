import { modeOf, type VoteMessage } from '../vote.js';

/**
 * The consumer's low watermark (docs/ARCHITECTURE.md, "Bounded storage"): how far back a copy of a vote
 * can still arrive, from what this consumer has acknowledged, never from the wall clock.
 *
 * The queue hands messages out in the order they were enqueued, and a message is enqueued at most
 * `resend` after its vote was accepted. So every message this consumer has not acked yet, or will get,
 * was handed out after the newest one it acked, and was accepted no earlier than that one's acceptedAt
 * less `resend` (less the api hosts' clock difference, which the margin covers). A copy of a vote (the
 * voter's retry with the same proof) is accepted at most the proof's expiry after the first. Hence no
 * copy arriving from now on has an original accepted before `base − slack`, with base the newest acked
 * acceptedAt (or the oldest in flight, if older) and slack = expiry + resend + margin.
 */
export class LowWatermark {
  private newestAcked: number | null = null;
  private readonly inFlight = new Map<object, number>();

  constructor(private readonly slackMs: number) {}

  /** A delivery whose oldest vote was accepted at `oldestAcceptedAt` is being worked on. */
  delivered(delivery: object, oldestAcceptedAt: number): void {
    this.inFlight.set(delivery, oldestAcceptedAt);
  }

  /** The delivery was acked after its votes were committed; `newestAcceptedAt` is its newest vote's. */
  acked(delivery: object, newestAcceptedAt: number): void {
    this.inFlight.delete(delivery);
    if (this.newestAcked === null || newestAcceptedAt > this.newestAcked) this.newestAcked = newestAcceptedAt;
  }

  /** The delivery was settled without an ack (dead-lettered) or lost with its channel (it comes back). */
  dropped(delivery: object): void {
    this.inFlight.delete(delivery);
  }

  /** Forgets every delivery in flight (the channel closed: they will be delivered again). */
  lost(): void {
    this.inFlight.clear();
  }

  /** Ids accepted before this may be dropped as far as this consumer knows; null until something is acked. */
  mark(): number | null {
    if (this.newestAcked === null) return null;
    let base = this.newestAcked;
    for (const at of this.inFlight.values()) if (at < base) base = at;
    return base - this.slackMs;
  }
}

/** The slack of the watermark, from its parts (consumer settings). */
export function watermarkSlackMs(parts: { proofExpirySeconds: number; resendMs: number; marginMs: number }): number {
  return parts.proofExpirySeconds * 1000 + parts.resendMs + parts.marginMs;
}

/** What one prune did. */
export interface PruneOutcome {
  /** The store's pruned-through mark after it: votes accepted before it can no longer be checked. */
  prunedThrough: number;
  /** Applied ids dropped from the hot rows. */
  deleted: number;
  /** Archive blobs merged into one per (paredão, mode, hour). */
  compacted: number;
}

/**
 * The store's new pruned-through mark from every consumer's mark: the smallest (a lagging queue holds
 * it back), and never lower than before (ids already dropped cannot come back).
 */
export function combinedMark(previous: number, marks: readonly number[]): number {
  if (marks.length === 0) return previous;
  return Math.max(previous, Math.min(...marks));
}

/**
 * Splits votes into those that can be checked against the applied ids and those accepted before the
 * pruned-through mark, whose ids may be gone. A Voto Único is never below the mark: its once-ness is
 * its claim turning to counted (decision 0005), kept for the paredão's life, so a claim the sweeper
 * counts after a long outage still counts.
 */
export function splitAtMark<T extends Pick<VoteMessage, 'acceptedAt' | 'mode'>>(votes: readonly T[], mark: number): { checkable: T[]; below: T[] } {
  if (mark === 0) return { checkable: votes as T[], below: [] };
  const checkable: T[] = [];
  const below: T[] = [];
  for (const v of votes) (v.acceptedAt < mark && modeOf(v) !== 'unico' ? below : checkable).push(v);
  return { checkable, below };
}
