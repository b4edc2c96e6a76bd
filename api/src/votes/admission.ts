import type { Logger } from 'pino';
import { AppError } from '../platform/errors.js';

export interface AdmissionOptions {
  /** VOTE_MAX_IN_FLIGHT: votes this process answers at once at most; 0 refuses every vote. */
  maxInFlight: number;
  /** VOTE_RETRY_AFTER_SECONDS: a refusal's Retry-After is this plus a random 0…this more. */
  retryAfterSeconds: number;
  log: Logger;
  random?: () => number;
  now?: () => number;
}

/** The code and wording of an overload refusal, whichever path took the vote. */
export const OVERLOADED = 'overloaded';

/**
 * Admission control for votes: at most `maxInFlight` votes of this process between arriving and being
 * answered (most of that time they await the broker's confirm; under a CPU overload they wait for the
 * event loop). By Little's law the bound caps the latency of an accepted vote at bound ÷ throughput, so
 * an offer past the ceiling gets a fast 503 instead of a queue that grows in memory. The check runs
 * before the body is read, the proof verified or anything published.
 *
 * The refusals are prebuilt (one per Retry-After value): under overload a refusal costs no stack trace.
 * Retry-After spreads the refused voters over [N, 2N] seconds so they do not all come back at once.
 */
export class Admission {
  private inFlight = 0;
  private readonly refusals: AppError[];
  private readonly random: () => number;
  private readonly now: () => number;
  /** Sampled logging: at most one line per second however many votes are refused. */
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private refusedSinceLog = 0;

  constructor(private readonly opts: AdmissionOptions) {
    const n = Math.max(1, opts.retryAfterSeconds);
    this.refusals = Array.from({ length: n + 1 }, (_, i) => overloaded(n + i));
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
  }

  /** Votes admitted and not yet answered. */
  get load(): number {
    return this.inFlight;
  }

  /**
   * Takes a place for one vote: null when admitted (the caller must call `leave()` once it is
   * answered), else the 503 to send.
   */
  enter(): AppError | null {
    if (this.inFlight < this.opts.maxInFlight) {
      this.inFlight++;
      return null;
    }
    return this.refusals[Math.floor(this.random() * this.refusals.length)]!;
  }

  leave(): void {
    this.inFlight--;
  }

  /** Logs a refusal at warn, sampled: the first at once, then one line a second with the count since. */
  logRefusal(fields: () => Record<string, unknown>): void {
    this.refusedSinceLog++;
    const at = this.now();
    if (at - this.lastLogAt < 1000) return;
    this.opts.log.warn({ ...fields(), inFlight: this.inFlight, maxInFlight: this.opts.maxInFlight, refused: this.refusedSinceLog }, `request rejected: ${OVERLOADED}`);
    this.lastLogAt = at;
    this.refusedSinceLog = 0;
  }
}

export const overloaded = (retryAfterSeconds: number) =>
  new AppError(503, OVERLOADED, 'Muita gente votando agora. Seu voto ainda não foi registrado; tente de novo em instantes.', {
    'Retry-After': String(retryAfterSeconds),
  });
