import { solvedPayload } from './antibot.js';
import { HttpClient } from './http-client.js';
import { openLoop } from './load.js';

/**
 * Open-loop vote load that behaves like the web page under faults: a 503 is retried after its
 * Retry-After. By default with a NEW proof: the page resends the same one, but a new one keeps every
 * copy of a vote inside the short dedup window of the fault runs (faults/run.ts). With `retry:
 * 'same-proof'` it retries as the page does (docs/ANTIBOT.md, "The page's retry"): whatever got no
 * definitive answer (a 5xx, a 429, no answer) goes again with its proof, and a 403 antibot_replayed
 * to such a resend is the vote confirmed. Every
 * request's vote id is known up front — it is the first 32 hex characters of the challenge signature
 * (api/src/votes/antibot.ts voteIdOf) — so a counted vote can be traced to the request that carried it,
 * including requests that never got their 202.
 *
 * load.ts (runLoad) measures latency of one attempt per vote; this driver trades that for
 * retries and per-request bookkeeping, which the fault scenarios need.
 */
export interface FaultLoadOptions {
  url: string;
  ratePerSec: number;
  durationSec: number;
  /** Solved payloads; first attempts use one each, retries draw from the rest, then solve on demand. */
  proofs: string[];
  candidates: string[];
  /** Retries of one vote after 503s; afterwards the vote is given up (and reported). */
  maxRetries?: number;
  /** What a retry sends: a new proof (the default), or the same one, as the page does. */
  retry?: 'new-proof' | 'same-proof';
  connections?: number;
  onTick?: (t: { elapsedSec: number; accepted: number; statuses: Record<string, number> }) => void;
}

export interface FaultLoadResult {
  /** Vote ids that got a 202: the api promised these are safe. */
  accepted: string[];
  /** Vote ids whose resend (retry: 'same-proof') got 403 antibot_replayed: the page confirms these. */
  confirmedByReplay: string[];
  /** Vote ids of every request that did not get a 202 (503, 502, reset, …): may or may not be counted. */
  unconfirmed: string[];
  /** Every vote id sent, to recognise a counted id that no request carried. */
  sent: Set<string>;
  /** By HTTP status, or `error` for a request without one. */
  statuses: Record<string, number>;
  retries: number;
  /** Votes abandoned after maxRetries. */
  gaveUp: number;
  elapsedSec: number;
  /** When answers other than 202 came, in seconds since the load began: how long voters saw errors. */
  errorAtSec: number[];
}

/** The vote id the api will derive from a widget payload (api/src/votes/antibot.ts voteIdOf). */
export function voteIdOfProof(payload: string): string {
  const p = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { challenge: { signature: string } };
  return p.challenge.signature.slice(0, 32);
}

export async function runFaultLoad(opts: FaultLoadOptions): Promise<FaultLoadResult> {
  const total = Math.round(opts.ratePerSec * opts.durationSec);
  if (opts.proofs.length < total) throw new RangeError(`need at least ${total} proofs, got ${opts.proofs.length}`);
  const maxRetries = opts.maxRetries ?? 30;
  const origin = new URL(opts.url).origin;
  const client = new HttpClient(origin, { connections: opts.connections ?? 64, timeoutMs: 30_000, headers: ['retry-after'] });
  const accepted: string[] = [];
  const confirmedByReplay: string[] = [];
  const unconfirmed: string[] = [];
  const sameProof = opts.retry === 'same-proof';
  // The page sends again whatever got no definitive answer; the default driver only what got a 503.
  const retried = (status: string) => (sameProof ? ['503', '502', '504', '429', 'error'].includes(status) : status === '503');
  const sent = new Set<string>();
  const statuses: Record<string, number> = {};
  let spare = total;
  let retries = 0;
  let gaveUp = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const errorAtSec: number[] = [];
  let t0 = 0;

  const attempt = async (i: number, proof: string, tries: number): Promise<void> => {
    const voteId = voteIdOfProof(proof);
    sent.add(voteId);
    let status: string;
    let retryAfterMs = 0;
    try {
      const res = await client.send('POST', '/api/votes', JSON.stringify({ candidateId: opts.candidates[i % opts.candidates.length], altcha: proof }));
      status = String(res.status);
      if (res.status === 202) {
        const got = (JSON.parse(res.body.toString()) as { voteId: string }).voteId;
        if (got !== voteId) throw new Error(`api answered voteId ${got} for a proof whose id is ${voteId}`);
        accepted.push(voteId);
      } else if (sameProof && tries > 0 && res.status === 403 && errorCode(res.body) === 'antibot_replayed') {
        confirmedByReplay.push(voteId);
      } else {
        unconfirmed.push(voteId);
        retryAfterMs = Number(res.headers['retry-after'] ?? 1) * 1000;
      }
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('api answered')) throw err;
      status = 'error';
      unconfirmed.push(voteId);
      retryAfterMs = 1000; // no answer: the page waits its default before sending again
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status !== '202') errorAtSec.push((performance.now() - t0) / 1000);
    if (!retried(status)) return;
    if (tries >= maxRetries) {
      gaveUp++;
      return;
    }
    await new Promise((r) => setTimeout(r, retryAfterMs));
    if (sameProof) {
      retries++;
      return attempt(i, proof, tries + 1);
    }
    // Out of presolved proofs: solve one now, as the page does (the challenge endpoint needs no broker).
    const fresh = opts.proofs[spare++] ?? (await solvedPayload(origin).catch(() => undefined));
    if (fresh === undefined) {
      gaveUp++;
      return;
    }
    retries++;
    return attempt(i, fresh, tries + 1);
  };

  t0 = performance.now();
  const intervalMs = 1000 / opts.ratePerSec;
  await openLoop(t0, total, intervalMs, (i) => {
    // A failure is kept and thrown at the end, so the caller's finally (stack.stop) still runs.
    const p: Promise<void> = attempt(i, opts.proofs[i]!, 0)
      .catch((err: unknown) => void (failure ??= err))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, opts.onTick && ((now) => opts.onTick!({ elapsedSec: (now - t0) / 1000, accepted: accepted.length, statuses: { ...statuses } })));
  while (inFlight.size) await Promise.all([...inFlight]);
  await client.close();
  if (failure) throw failure;
  return { accepted, confirmedByReplay, unconfirmed, sent, statuses, retries, gaveUp, elapsedSec: (performance.now() - t0) / 1000, errorAtSec };
}

/** The `error.code` of a JSON error answer, or null. */
function errorCode(body: Buffer): string | null {
  try {
    return (JSON.parse(body.toString()) as { error?: { code?: string } }).error?.code ?? null;
  } catch {
    return null;
  }
}
