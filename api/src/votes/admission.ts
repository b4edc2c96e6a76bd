import type { Logger } from 'pino';
import { AppError } from '../platform/errors.js';

/** Which signal refused a vote: the bound on votes in flight, or a late event loop. */
export type OverloadSignal = 'in_flight' | 'loop_delay';
export const OVERLOAD_SIGNALS: readonly OverloadSignal[] = ['in_flight', 'loop_delay'];

export interface AdmissionOptions {
  /** VOTE_MAX_IN_FLIGHT: votes this process answers at once at most; 0 refuses every vote. */
  maxInFlight: number;
  /**
   * VOTE_MAX_LOOP_DELAY_MS: past this event-loop delay a share of votes is refused, growing from none
   * at this delay to all at twice it; 0 turns the signal off.
   */
  maxLoopDelayMs?: number;
  /** The process's recent event-loop delay in ms (platform/loop-delay.ts), read once per vote. */
  loopDelayMs?: () => number;
  /** Counts each refusal by the signal that made it. */
  refused?: (signal: OverloadSignal) => void;
  /** VOTE_RETRY_AFTER_SECONDS: a refusal's Retry-After is this plus a random 0…this more. */
  retryAfterSeconds: number;
  log: Logger;
  random?: () => number;
  now?: () => number;
}

/** The code and wording of an overload refusal, whichever path took the vote. */
export const OVERLOADED = 'overloaded';

/**
 * Admission control for votes, on two signals. First, at most `maxInFlight` votes of this process
 * between arriving and being answered (most of that time they await the broker's confirm). By Little's
 * law the bound caps the latency of an accepted vote at bound ÷ throughput, so an offer past the ceiling
 * gets a fast 503 instead of a queue that grows in memory. Second, the event-loop delay: when the
 * process is short of CPU, votes wait in the kernel's socket queues before the api reads them, where
 * the in-flight count never sees them; a late loop is the sign. Past `maxLoopDelayMs` a growing share of
 * votes is refused (none at the threshold, all at twice it; Random Early Detection's ramp), once at
 * least an eighth of `maxInFlight` is in flight, so the
 * refusals, which cost little, give the loop back its time without goodput falling to nothing and
 * coming back in waves. The check runs before the body is read, the proof verified or anything published.
 *
 * The refusals are prebuilt (one per Retry-After value): under overload a refusal costs no stack trace.
 * Retry-After spreads the refused voters over [N, 2N] seconds so they do not all come back at once.
 */
export class Admission {
  private inFlight = 0;
  private readonly refusals: AppError[];
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly loopDelayMs: (() => number) | undefined;
  /**
   * Votes in flight below which a late loop refuses nothing: with few of our votes waiting, the loop is
   * late for another reason (neighbours on the machine, a GC pause), and refusing votes cannot give it
   * back its time.
   */
  private readonly loopDelayFloor: number;
  /** Sampled logging: at most one line per second however many votes are refused. */
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private refusedSinceLog = 0;

  constructor(private readonly opts: AdmissionOptions) {
    const n = Math.max(1, opts.retryAfterSeconds);
    this.refusals = Array.from({ length: n + 1 }, (_, i) => overloaded(n + i));
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.loopDelayMs = opts.loopDelayMs;
    this.loopDelayFloor = Math.ceil(opts.maxInFlight / 8);
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
    if (this.inFlight >= this.opts.maxInFlight) return this.refuse('in_flight');
    const max = this.opts.maxLoopDelayMs ?? 0;
    if (max > 0 && this.loopDelayMs && this.inFlight >= this.loopDelayFloor) {
      const over = this.loopDelayMs() - max;
      if (over > 0 && this.random() * max < over) return this.refuse('loop_delay');
    }
    this.inFlight++;
    return null;
  }

  private refuse(signal: OverloadSignal): AppError {
    this.opts.refused?.(signal);
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
    this.opts.log.warn({ ...fields(), inFlight: this.inFlight, maxInFlight: this.opts.maxInFlight, loopDelayMs: this.loopDelayMs ? Math.round(this.loopDelayMs()) : undefined, refused: this.refusedSinceLog }, `request rejected: ${OVERLOADED}`);
    this.lastLogAt = at;
    this.refusedSinceLog = 0;
  }
}

export const overloaded = (retryAfterSeconds: number) =>
  new AppError(503, OVERLOADED, 'Muita gente votando agora. Seu voto ainda não foi registrado; tente de novo em instantes.', {
    'Retry-After': String(retryAfterSeconds),
  });
