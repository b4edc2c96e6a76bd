import { availableParallelism, getPriority, setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Challenge } from 'altcha-lib';
import { encodePayload } from './antibot.js';
import { HttpClient } from './http-client.js';

/**
 * Open-loop load for `POST /api/votes`: request i is sent at start + i/rate whether or not earlier ones
 * have answered, so a slow server meets the same arrival rate (no coordinated omission). Latency is
 * measured from the scheduled instant, so time a request waited in the driver counts against the run;
 * `sendLagMs` says how late the driver itself was (it shares the CPU with the system under test).
 */
export interface LoadOptions {
  /** Base URL (`http://127.0.0.1:8080`) or a full URL; a bare base gets `path`. */
  url: string;
  ratePerSec: number;
  durationSec: number;
  /** Pre-solved ALTCHA payloads, one per vote (see presolve); needs ratePerSec × durationSec of them. */
  proofs?: string[];
  candidates?: string[];
  /** Keep-alive connections, one request in flight on each (http-client.ts). Default 128. */
  connections?: number;
  /**
   * Open all `connections` before the first scheduled send, so the run does not begin by opening them
   * (through nginx, hundreds of handshakes in its first second). Happens before the run's clock starts;
   * rejects if one cannot be opened. Default false: sockets open as requests need them.
   */
  warmConnections?: boolean;
  /** Requests allowed in flight; a send due while this many are outstanding is dropped and counted. Default 4 × connections. */
  maxOutstanding?: number;
  /** Default `POST /api/votes` with `{ candidateId, altcha }`; `GET` sends no body (results reads). */
  method?: 'POST' | 'GET';
  path?: string;
  /**
   * The sending thread's nice value while the run lasts (restored after): below the system's (0), so the
   * load driver, which stands in for clients on other machines, is not kept waiting by the system under
   * test it shares the cores with. Linux sets it per thread: the stack's processes keep theirs. Needs
   * root (CAP_SYS_NICE) to go below 0; otherwise the run goes on at the thread's own value.
   */
  nice?: number;
  /** Called about once a second while the run lasts. */
  onTick?: (t: LoadTick) => void;
  /**
   * Called for each answer: when it was due (ms after the run's first scheduled send), its status, its
   * latency and its body. For figures by status or by second (bench/overload.ts).
   */
  onAnswer?: (a: { dueMs: number; status: number; latencyMs: number; body: Buffer }) => void;
}

export interface LoadTick {
  elapsedSec: number;
  sent: number;
  completed: number;
  outstanding: number;
  dropped: number;
  statuses: Record<number, number>;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadResult {
  /** Requests handed to the connection pool. */
  sent: number;
  /** Sends skipped because maxOutstanding were already in flight. */
  dropped: number;
  /** voteIds of every 202. */
  accepted: string[];
  statuses: Record<number, number>;
  /** Network failures (connection refused/reset, timeouts): no HTTP status. */
  errors: number;
  /** Per completed request (any status), ms from its scheduled send instant to the end of the response body. */
  latenciesMs: Float64Array;
  latency: LatencySummary;
  /** How late the driver dispatched each request versus its schedule, ms. */
  sendLag: LatencySummary;
  /** Date.now() when the last 202 arrived; 0 if none. */
  lastAcceptedAt: number;
  startedAt: number;
  /** Wall time from the first scheduled send to the last response, s. */
  elapsedSec: number;
}

/**
 * Open loop: calls `fire(i, dueAt)` for i = 0 … total − 1 at t0 + i × intervalMs. Absolute schedule:
 * everything due by now goes out, however late a tick ran. `everySecond` is called about once a second.
 */
export function openLoop(t0: number, total: number, intervalMs: number, fire: (i: number, dueAt: number) => void, everySecond?: (now: number) => void): Promise<void> {
  let next = 0;
  let lastTick = t0;
  return new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - t0) / intervalMs) + 1);
      for (; next < due; next++) fire(next, t0 + next * intervalMs);
      if (everySecond && now - lastTick >= 1000) {
        lastTick = now;
        everySecond(now);
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, Math.min(t0 + next * intervalMs - performance.now(), 1)));
    };
    tick();
  });
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const method = opts.method ?? 'POST';
  const target = new URL(opts.url);
  const path = target.pathname !== '/' ? target.pathname + target.search : (opts.path ?? '/api/votes');
  const total = Math.round(opts.ratePerSec * opts.durationSec);
  const proofs = opts.proofs ?? [];
  const candidates = opts.candidates ?? [];
  if (method === 'POST') {
    if (proofs.length < total) throw new RangeError(`runLoad needs ${total} proofs for ${opts.ratePerSec}/s × ${opts.durationSec} s, got ${proofs.length}`);
    if (candidates.length === 0) throw new RangeError('runLoad needs at least one candidate');
  }
  const connections = opts.connections ?? 128;
  const maxOutstanding = opts.maxOutstanding ?? connections * 4;
  const client = new HttpClient(target.origin, { connections, timeoutMs: 30_000 });
  if (opts.warmConnections) {
    try {
      await client.warm();
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  const latencies = new Float64Array(total);
  const lags = new Float64Array(total);
  const accepted: string[] = [];
  const statuses: Record<number, number> = {};
  let sent = 0;
  let dropped = 0;
  let completed = 0;
  let errors = 0;
  let lastAcceptedAt = 0;
  let lastDoneAt = 0;
  const intervalMs = 1000 / opts.ratePerSec;

  const fire = (i: number, scheduledAt: number) => {
    const body = method === 'POST' ? JSON.stringify({ candidateId: candidates[i % candidates.length], altcha: proofs[i] }) : undefined;
    lags[sent++] = performance.now() - scheduledAt;
    client.request(method, path, body, (err, status, resBody) => {
      lastDoneAt = performance.now();
      // No status: refused, reset, timed out, or the body broke off.
      if (err) return void errors++;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 202 && method === 'POST') {
        accepted.push(voteIdOf(resBody.toString()));
        lastAcceptedAt = Date.now();
      }
      latencies[completed++] = lastDoneAt - scheduledAt;
      opts.onAnswer?.({ dueMs: scheduledAt - t0, status, latencyMs: lastDoneAt - scheduledAt, body: resBody });
    });
  };

  const releaseNice = opts.nice === undefined ? null : holdNice(opts.nice);
  const startedAt = Date.now();
  const t0 = performance.now();
  try {
    await openLoop(t0, total, intervalMs, (i, dueAt) => {
      if (sent - completed - errors >= maxOutstanding) dropped++;
      else fire(i, dueAt);
    }, opts.onTick && ((now) => opts.onTick!({ elapsedSec: (now - t0) / 1000, sent, completed, outstanding: sent - completed - errors, dropped, statuses: { ...statuses } })));
    // Everything is sent; wait for the stragglers (the client's 30 s timeout bounds this).
    while (completed + errors < sent) await new Promise((r) => setTimeout(r, 5));
  } finally {
    releaseNice?.();
  }
  await client.close();
  const done = latencies.subarray(0, completed);
  return {
    sent,
    dropped,
    accepted,
    statuses,
    errors,
    latenciesMs: done,
    latency: summarize(done),
    sendLag: summarize(lags.subarray(0, sent)),
    lastAcceptedAt,
    startedAt,
    elapsedSec: ((lastDoneAt || performance.now()) - t0) / 1000,
  };
}

/** Runs holding the driver's nice value (`LoadOptions.nice`), and the value to put back when the last ends. */
let niceHolders = 0;
let niceBefore = 0;

/**
 * Sets the calling thread's nice value for a run; returns what ends the hold. Runs overlap (a normal load
 * beside an overload): the first sets it, the last puts the old value back. A value that cannot be set
 * (not root) leaves the thread as it was.
 */
function holdNice(nice: number): () => void {
  if (niceHolders++ === 0) {
    niceBefore = getPriority();
    try {
      setPriority(nice);
    } catch {
      // Not permitted: the run goes on at the thread's own value.
    }
  }
  return () => {
    if (--niceHolders === 0) {
      try {
        setPriority(niceBefore);
      } catch {
        // Raising a nice value is always allowed.
      }
    }
  };
}

function voteIdOf(body: string): string {
  try {
    return String((JSON.parse(body) as { voteId?: unknown }).voteId ?? '');
  } catch {
    return '';
  }
}

/** Nearest-rank percentiles (ms) of a set of latencies. */
export function summarize(values: Float64Array): LatencySummary {
  const n = values.length;
  if (n === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: n, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[n - 1]!, mean: sum / n };
}

export interface PresolveOptions {
  /** Challenge requests in flight. Default 32. */
  concurrency?: number;
  /** Solver threads. Default: available cores. */
  workers?: number;
  /** Challenges per message to a solver thread. Default 200. */
  batch?: number;
  /** Give up on a challenge after this counter. Default 10 million. */
  maxCounter?: number;
  onProgress?: (done: number, n: number) => void;
}

/**
 * Fetches n challenges from `${url}/api/challenge` and solves them in worker threads, as fast as the
 * machine allows (altcha-lib's solveChallenge awaits every hash). Returns the widget's payloads
 * (antibot.ts encoding), one per vote. Run it before a load step, not during one.
 */
export async function presolve(url: string, n: number, opts: PresolveOptions = {}): Promise<string[]> {
  const concurrency = opts.concurrency ?? 32;
  const batch = opts.batch ?? 200;
  const workerCount = Math.max(1, opts.workers ?? availableParallelism());
  const maxCounter = opts.maxCounter ?? 10_000_000;
  const origin = new URL(url).origin;
  const client = new HttpClient(origin, { connections: concurrency, timeoutMs: 30_000 });
  const workers = Array.from({ length: workerCount }, () => new Worker(new URL('./presolve-worker.mjs', import.meta.url)));
  const idle = [...workers];
  const waiting: ((w: Worker) => void)[] = [];
  const takeWorker = () => new Promise<Worker>((r) => (idle.length ? r(idle.pop()!) : waiting.push(r)));
  const giveWorker = (w: Worker) => (waiting.length ? waiting.shift()!(w) : idle.push(w));
  let msgId = 0;
  const solveBatch = async (challenges: Challenge[]): Promise<{ counter: number; derivedKey: string }[]> => {
    const w = await takeWorker();
    try {
      const id = ++msgId;
      return await new Promise((resolve, reject) => {
        const onMessage = (m: { id: number; solutions?: ({ counter: number; derivedKey: string } | null)[]; error?: string }) => {
          if (m.id !== id) return;
          w.off('message', onMessage);
          w.off('error', reject);
          if (m.error) return reject(new Error(m.error));
          const missing = m.solutions!.findIndex((s) => s === null);
          if (missing >= 0) return reject(new Error(`challenge not solved within counter ${maxCounter}`));
          resolve(m.solutions as { counter: number; derivedKey: string }[]);
        };
        w.on('message', onMessage);
        w.once('error', reject);
        w.postMessage({ id, challenges, maxCounter });
      });
    } finally {
      giveWorker(w);
    }
  };

  const out = new Array<string>(n);
  let fetched = 0;
  let solved = 0;
  try {
    const fetchChallenge = async (): Promise<Challenge> => {
      const res = await client.send('GET', '/api/challenge');
      const text = res.body.toString();
      if (res.status !== 200) throw new Error(`challenge: HTTP ${res.status}: ${text.slice(0, 200)}`);
      return JSON.parse(text) as Challenge;
    };
    // Fetch in batches; solving one batch overlaps fetching the next.
    const pending: Promise<void>[] = [];
    let failure: unknown;
    while (fetched < n) {
      const from = fetched;
      const size = Math.min(batch, n - from);
      fetched += size;
      const challenges: Challenge[] = [];
      for (let i = 0; i < size; i += concurrency) {
        challenges.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, size - i) }, fetchChallenge))));
      }
      pending.push(
        solveBatch(challenges).then((solutions) => {
          for (let i = 0; i < size; i++) out[from + i] = encodePayload(challenges[i]!, solutions[i]!);
          solved += size;
          opts.onProgress?.(solved, n);
        }, (err: unknown) => void (failure ??= err)),
      );
      if (failure) throw failure;
      // Keep memory bounded: no more than two batches per solver thread waiting.
      if (pending.length >= workerCount * 2) await pending.shift();
    }
    await Promise.all(pending);
    if (failure) throw failure;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    await client.close();
  }
  return out;
}
