import type { ClientRateLimitInfo, IncrementResponse, Options, Store as RateLimitStore } from 'express-rate-limit';
import { ExpiringIdSet, type ClaimArbiter } from '../votes/replay-guard.js';
import { AppError } from './errors.js';

/**
 * One decision per host for what the api's cluster workers would otherwise each decide alone: the claim
 * of a proof (one 202 per proof) and the rate-limit counts (one count per client, not one per worker).
 * The primary holds the state (HostArbiter); each worker sends its claims and counts in batches, one
 * IPC message each way per batch (ArbiterClient), so under load, and at any rate for the claims (they
 * wait out the publisher's linger), the cost per vote is a share of one round trip, not a round trip
 * each (docs/ANTIBOT.md gives the measured price). With one api process
 * there is no arbiter: the ReplayGuard and express-rate-limit's MemoryStore decide in-process.
 * Why the primary and not a shared store: docs/decisions/0004-host-arbiter.md.
 */

const MESSAGE = 'paredao:arbiter';

/** Operations of a batch, as plain arrays (the IPC channel serialises JSON). */
type Op =
  | ['claim', id: string, until: number, candidate: string]
  | ['release', id: string]
  | ['hit', limit: string, windowMs: number, key: string]
  | ['unhit', limit: string, key: string]
  | ['reset', limit: string, key: string];
/** Per op: a claim's answer, a hit's [totalHits, resetAt], or null for the ops that need none. */
type Answer = boolean | [number, number] | null;

interface Request {
  t: typeof MESSAGE;
  seq: number;
  ops: Op[];
}
interface Reply {
  t: typeof MESSAGE;
  seq: number;
  answers: Answer[];
}

/**
 * Fixed-window counts per key, as express-rate-limit's MemoryStore keeps them: two generations, the
 * older dropped whole once every window, so memory follows the clients of the last two windows.
 */
class WindowCounts {
  private current = new Map<string, { hits: number; resetAt: number }>();
  private previous = new Map<string, { hits: number; resetAt: number }>();
  private rotateAt: number;

  constructor(
    readonly windowMs: number,
    now: number,
  ) {
    this.rotateAt = now + windowMs;
  }

  hit(key: string, now: number): [number, number] {
    this.rotate(now);
    let c = this.current.get(key);
    if (!c) {
      c = this.previous.get(key);
      if (c) {
        this.previous.delete(key);
        this.current.set(key, c);
      }
    }
    if (!c || c.resetAt <= now) this.current.set(key, (c = { hits: 0, resetAt: now + this.windowMs }));
    c.hits++;
    return [c.hits, c.resetAt];
  }

  unhit(key: string): void {
    const c = this.current.get(key) ?? this.previous.get(key);
    if (c && c.hits > 0) c.hits--;
  }

  reset(key: string): void {
    this.current.delete(key);
    this.previous.delete(key);
  }

  private rotate(now: number): void {
    if (now < this.rotateAt) return;
    // An entry left in `previous` at a rotation was created at least one window ago: its window is over.
    this.previous = now < this.rotateAt + this.windowMs ? this.current : new Map();
    this.current = new Map();
    this.rotateAt = now + this.windowMs;
  }
}

/**
 * How long after its claim a worker may still be publishing a vote: the publisher's confirm wait and
 * its retries fit well inside it. A worker that dies leaves the claims of this last stretch orphaned.
 */
const IN_FLIGHT_MS = 10_000;

/** The host's state, held by the cluster primary: answers each batch in the order its ops arrive. */
export class HostArbiter {
  private readonly claims: ExpiringIdSet;
  private readonly limits = new Map<string, WindowCounts>();
  /** Per worker, its claims of the last IN_FLIGHT_MS, oldest first: what it may still be publishing. */
  private readonly recent = new Map<number, { claims: { id: string; candidate: string; at: number }[]; head: number }>();
  /** Claims of a worker that died with them possibly unpublished: id → the candidate it was claimed for. */
  private readonly orphans = new Map<string, { candidate: string; until: number }>();

  constructor(private readonly expiryMs: number) {
    this.claims = new ExpiringIdSet(expiryMs);
  }

  /** Ids claimed now. */
  get claimed(): number {
    return this.claims.size;
  }

  handle(ops: readonly Op[], now = Date.now(), worker = 0): Answer[] {
    const answers: Answer[] = [];
    for (const op of ops) {
      switch (op[0]) {
        case 'claim':
          answers.push(this.claim(op[1], op[2], op[3], now, worker));
          break;
        case 'release':
          this.claims.delete(op[1]);
          answers.push(null);
          break;
        case 'hit': {
          let w = this.limits.get(op[1]);
          if (!w || w.windowMs !== op[2]) this.limits.set(op[1], (w = new WindowCounts(op[2], now)));
          answers.push(w.hit(op[3], now));
          break;
        }
        case 'unhit':
          this.limits.get(op[1])?.unhit(op[2]);
          answers.push(null);
          break;
        case 'reset':
          this.limits.get(op[1])?.reset(op[2]);
          answers.push(null);
          break;
        default:
          answers.push(null);
      }
    }
    return answers;
  }

  /**
   * A worker died: the votes it claimed in its last IN_FLIGHT_MS may never have reached the broker, and
   * nginx sends such a request again to another worker. That copy, for the same candidate, may take the
   * claim over: if the dead worker's publish did get through, the consumer counts the vote id once.
   * A copy for another candidate is still refused, so a 202 never names a candidate that is not counted.
   */
  orphan(worker: number, now = Date.now()): void {
    for (const [id, o] of this.orphans) if (o.until <= now) this.orphans.delete(id);
    for (const c of this.recent.get(worker)?.claims ?? []) {
      if (now - c.at <= IN_FLIGHT_MS) this.orphans.set(c.id, { candidate: c.candidate, until: c.at + this.expiryMs });
    }
    this.recent.delete(worker);
  }

  private claim(id: string, until: number, candidate: string, now: number, worker: number): boolean {
    let ok = this.claims.claim(id, until, now);
    if (!ok && this.orphans.size > 0) {
      const o = this.orphans.get(id);
      if (o && o.candidate === candidate && o.until > now) {
        this.orphans.delete(id);
        ok = true;
      }
    }
    if (ok) {
      let r = this.recent.get(worker);
      if (!r) this.recent.set(worker, (r = { claims: [], head: 0 }));
      r.claims.push({ id, candidate, at: now });
      // Past the in-flight stretch: skipped by moving the head, each entry once; the array is cut
      // back in one splice once enough has piled up in front of the head.
      while (r.head < r.claims.length && now - r.claims[r.head]!.at > IN_FLIGHT_MS) r.head++;
      if (r.head > 1024) {
        r.claims.splice(0, r.head);
        r.head = 0;
      }
    }
    return ok;
  }
}

/** The two ends of the IPC channel: a cluster Worker in the primary, `process` in a worker. */
export interface ArbiterChannel {
  /** Calls `done` with an error if the message could not be sent (the other end is gone). */
  send(message: unknown, done: (err: Error | null) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/** In the primary: answers one worker's batches. Call once per forked worker, with its cluster id. */
export function serveArbiter(arbiter: HostArbiter, worker: ArbiterChannel, workerId = 0): void {
  worker.on('message', (msg) => {
    const m = msg as Partial<Request> | null;
    if (m?.t !== MESSAGE || typeof m.seq !== 'number' || !Array.isArray(m.ops)) return;
    const reply: Reply = { t: MESSAGE, seq: m.seq, answers: arbiter.handle(m.ops, Date.now(), workerId) };
    // A worker that is gone took its pending requests with it: nothing to do on failure.
    worker.send(reply, () => {});
  });
}

const unavailable = () =>
  new AppError(503, 'arbiter_unavailable', 'A votação está temporariamente indisponível. Tente de novo em instantes.', { 'Retry-After': '2' });

type Waiter = { resolve: (a: Answer) => void; reject: (e: Error) => void } | null;

/**
 * In a worker: sends the ops of one event-loop turn as one message, and settles each from the reply.
 * One message is in flight at a time: what arrives meanwhile waits for its reply and goes as the next
 * batch, so the busier the worker, the more ops share a message (Nagle's rule, for IPC).
 *
 * Proof claims may linger (`claimLingerMs`, the publisher's linger): a vote waits that long for company
 * before its message to the broker goes anyway, so it spends that wait here, before its claim, and the
 * votes of one broker message share one claim round trip instead of one each. The publisher then counts
 * the vote's linger from when it began waiting here (VotePublisher.publish's `since`), so a vote waits
 * no longer than before. Every other op (a rate-limit count, a release) goes on the turn it was made,
 * without the lingering claims (they go together once their linger is over).
 */
export class ArbiterClient implements ClaimArbiter {
  private ops: Op[] = [];
  private waiters: Waiter[] = [];
  private seq = 0;
  private scheduled = false;
  /** Claims lingering (claimLingerMs > 0), apart from the ops that go at once. */
  private claims: Op[] = [];
  private claimWaiters: Waiter[] = [];
  /** performance.now() of the first claim waiting in `claims`: the linger's start. */
  private lingerSince: number | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<number, { waiters: Waiter[]; timer: NodeJS.Timeout }>();

  constructor(
    private readonly channel: ArbiterChannel,
    /** A primary that does not answer in this time is taken as gone: its claims and counts fail with 503. */
    private readonly timeoutMs = 5000,
    /** How long the first of the waiting proof claims waits for others before they go (0: the same turn). */
    private readonly claimLingerMs = 0,
  ) {
    channel.on('message', (msg) => this.settle(msg));
  }

  claim(id: string, until: number, candidate: string): Promise<boolean> {
    return this.ask(['claim', id, until, candidate]) as Promise<boolean>;
  }

  release(id: string): void {
    this.tell(['release', id]);
  }

  /** An express-rate-limit store whose counts the primary keeps for the whole host, under `name`. */
  limitStore(name: string): RateLimitStore {
    let windowMs = 60_000;
    return {
      localKeys: false,
      prefix: `${name}:`,
      init: (options: Options) => {
        windowMs = options.windowMs;
      },
      increment: async (key: string): Promise<IncrementResponse> => {
        const [totalHits, resetAt] = (await this.ask(['hit', name, windowMs, key])) as [number, number];
        return { totalHits, resetTime: new Date(resetAt) } satisfies ClientRateLimitInfo;
      },
      decrement: (key: string) => this.tell(['unhit', name, key]),
      resetKey: (key: string) => this.tell(['reset', name, key]),
    };
  }

  private ask(op: Op): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => this.queue(op, { resolve, reject }));
  }

  private tell(op: Op): void {
    this.queue(op, null);
  }

  private queue(op: Op, waiter: Waiter): void {
    if (op[0] === 'claim' && this.claimLingerMs > 0) {
      // A lingering claim waits for its company, on its own clock: a count going meanwhile does not
      // take it along, or the claims of one broker message would be answered apart.
      this.lingerSince ??= performance.now();
      this.claims.push(op);
      this.claimWaiters.push(waiter);
    } else {
      this.ops.push(op);
      this.waiters.push(waiter);
    }
    if (this.inFlight.size === 0) this.schedule();
  }

  /** ms until the waiting claims are due (0: due now or none waiting). */
  private lingerLeft(): number {
    return this.lingerSince === null ? 0 : Math.max(0, this.lingerSince + this.claimLingerMs - performance.now());
  }

  private schedule(): void {
    if (this.scheduled) return;
    if (this.ops.length === 0) {
      const left = this.lingerLeft();
      if (this.claims.length === 0) return;
      if (left > 0) {
        this.lingerTimer ??= setTimeout(() => {
          this.lingerTimer = null;
          if (this.inFlight.size === 0) this.schedule();
        }, left);
        return;
      }
    }
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.inFlight.size > 0) return;
    const ops = this.ops;
    const waiters = this.waiters;
    this.ops = [];
    this.waiters = [];
    if (this.claims.length > 0 && this.lingerLeft() === 0) {
      ops.push(...this.claims);
      waiters.push(...this.claimWaiters);
      this.claims = [];
      this.claimWaiters = [];
      this.lingerSince = null;
      if (this.lingerTimer) clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    if (ops.length === 0) return this.schedule();
    const seq = ++this.seq;
    const timer = setTimeout(() => this.fail(seq), this.timeoutMs);
    this.inFlight.set(seq, { waiters, timer });
    try {
      this.channel.send({ t: MESSAGE, seq, ops } satisfies Request, (err) => err && this.fail(seq));
    } catch {
      this.fail(seq);
    }
  }

  private settle(msg: unknown): void {
    const m = msg as Partial<Reply> | null;
    if (m?.t !== MESSAGE || typeof m.seq !== 'number' || !Array.isArray(m.answers)) return;
    const batch = this.inFlight.get(m.seq);
    if (!batch) return;
    this.inFlight.delete(m.seq);
    clearTimeout(batch.timer);
    batch.waiters.forEach((w, i) => w?.resolve(m.answers![i] ?? null));
    // What waited, and what the answers just given lead to on this turn, goes as the next batch.
    this.schedule();
  }

  private fail(seq: number): void {
    const batch = this.inFlight.get(seq);
    if (!batch) return;
    this.inFlight.delete(seq);
    clearTimeout(batch.timer);
    for (const w of batch.waiters) w?.reject(unavailable());
    this.schedule();
  }
}
