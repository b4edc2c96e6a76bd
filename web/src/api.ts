// The pages' one HTTP client: the contract's calls, typed, with every failure turned into one error
// type (ApiError) the pages can act on. The admin and panel pages use `request` for their routes.

// The shapes are the api's own (contract/src/contract.ts, the schemas it validates with and generates
// /api/docs from): imported as types only, so no zod reaches the pages.
import type { Candidate, HiddenResults, Paredao, ParedaoStatus, PublicResults, Results, VoteRequest } from '@paredao/contract';

export type { Candidate, HiddenResults, Paredao, ParedaoStatus, PublicResults, Results, VoteRequest };

/** Used when a 429/503 comes without a usable Retry-After (an nginx error page, say). */
export const DEFAULT_RETRY_SECONDS = 5;
/** A misconfigured header must not make someone wait for an hour; the longest real one is the admin login lockout (300 s). */
export const MAX_RETRY_SECONDS = 300;

export class ApiError extends Error {
  constructor(
    /** HTTP status, or 0 when the request never got an answer. */
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds to wait before retrying, for 429/503/network failures; null when retrying will not help. */
    readonly retryAfter: number | null,
    /** A fresh anti-bot challenge, when the answer carried one (every 403 `antibot_*` does). */
    readonly challenge: unknown = null,
    /** The whole error body (a 409 `already_voted` names the candidate beside `error`). */
    readonly body: unknown = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get retryable(): boolean {
    return this.retryAfter !== null;
  }
}

/**
 * `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns whole seconds
 * to wait (at least 1, at most MAX_RETRY_SECONDS), or null when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value == null) return null;
  const v = value.trim();
  if (v === '') return null;
  let seconds: number;
  if (/^\d+$/u.test(v)) {
    seconds = Number(v);
  } else {
    // Date.parse is lenient ("-5" is a year): an HTTP-date always names a weekday and month.
    if (!/[a-z]{3}/iu.test(v)) return null;
    const at = Date.parse(v);
    if (Number.isNaN(at)) return null;
    seconds = Math.ceil((at - now) / 1000);
  }
  return Math.min(MAX_RETRY_SECONDS, Math.max(1, seconds));
}

/** Reads `{ error: { code, message } }` out of any body; null when it is not that shape. */
export function parseErrorBody(body: unknown): { code: string; message: string } | null {
  if (typeof body !== 'object' || body === null || !('error' in body)) return null;
  const err = (body as { error: unknown }).error;
  if (typeof err !== 'object' || err === null) return null;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code !== 'string') return null;
  return { code, message: typeof message === 'string' ? message : '' };
}

/** Which failures are worth retrying on their own, and after how long. */
export function retryDelayFor(status: number, retryAfterHeader: string | null, now: number = Date.now()): number | null {
  if (status === 429 || status === 503) return parseRetryAfter(retryAfterHeader, now) ?? DEFAULT_RETRY_SECONDS;
  if (status === 502 || status === 504) return DEFAULT_RETRY_SECONDS;
  return null;
}

/** A minimal runtime check, so a proxy error page or an old cached body never crashes a page. */
export function isResults(x: unknown): x is Results {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Partial<Results>;
  return (
    typeof r.total === 'number' &&
    Array.isArray(r.candidates) &&
    r.candidates.every((c) => typeof c?.id === 'string' && typeof c.name === 'string' && typeof c.votes === 'number' && typeof c.percent === 'number') &&
    Array.isArray(r.hourly) &&
    r.hourly.every((h) => typeof h?.hour === 'string' && typeof h.total === 'number' && typeof h.byCandidate === 'object' && h.byCandidate !== null)
  );
}

/** The totals-only view voters get while a paredão that hides partials is open. */
export function isHiddenResults(x: unknown): x is HiddenResults {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Partial<HiddenResults>;
  return r.partialsHidden === true && typeof r.total === 'number' && Array.isArray(r.candidates) && r.candidates.every((c) => typeof c?.id === 'string' && typeof c.name === 'string');
}

/** What GET /api/results and its stream send: the full results or the totals-only view. */
export function isPublicResults(x: unknown): x is PublicResults {
  return isHiddenResults(x) || isResults(x);
}

export function isParedao(x: unknown): x is Paredao {
  if (typeof x !== 'object' || x === null) return false;
  const p = x as Partial<Paredao>;
  return (
    typeof p.id === 'string' &&
    typeof p.title === 'string' &&
    (p.status === 'draft' || p.status === 'open' || p.status === 'closed') &&
    Array.isArray(p.candidates) &&
    p.candidates.every((c) => typeof c?.id === 'string' && typeof c.name === 'string')
  );
}

export interface RequestOptions {
  method?: string;
  /** A JSON body (sent as application/json). */
  json?: unknown;
  /** A raw body (a file upload) with its own Content-Type. */
  raw?: Blob;
  signal?: AbortSignal;
  cache?: RequestCache;
}

/**
 * One call to our own api: JSON in and out, the session cookie along. Resolves to the parsed body
 * (undefined for 204, null for a body that is not JSON); throws ApiError for an error answer or no
 * answer at all, and lets an AbortError through as it is.
 */
export async function request<T = unknown>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: BodyInit | undefined;
  if (opts.raw) {
    body = opts.raw;
    headers['content-type'] = opts.raw.type;
  } else if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, { method: opts.method ?? (body ? 'POST' : 'GET'), headers, body, credentials: 'same-origin', signal: opts.signal, cache: opts.cache });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', err instanceof Error ? err.message : String(err), DEFAULT_RETRY_SECONDS);
  }
  if (res.status === 204) return undefined as T;
  let parsed: unknown = null;
  // nginx answers some errors (413, 502) with HTML: then the status alone says enough.
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = await res.json();
    } catch {
      parsed = null;
    }
  }
  if (!res.ok) {
    const error = parseErrorBody(parsed);
    const challenge = typeof parsed === 'object' && parsed !== null && 'challenge' in parsed ? (parsed as { challenge: unknown }).challenge : null;
    throw new ApiError(res.status, error?.code ?? `http_${res.status}`, error?.message || res.statusText, retryDelayFor(res.status, res.headers.get('retry-after')), challenge, parsed);
  }
  return parsed as T;
}

export async function getParedao(): Promise<Paredao> {
  const body = await request('/api/paredao');
  if (!isParedao(body)) throw new ApiError(502, 'bad_response', 'unexpected /api/paredao body', DEFAULT_RETRY_SECONDS);
  return body;
}

export async function getResults(): Promise<PublicResults> {
  const body = await request('/api/results', { cache: 'no-store' });
  if (!isPublicResults(body)) throw new ApiError(502, 'bad_response', 'unexpected /api/results body', DEFAULT_RETRY_SECONDS);
  return body;
}

/** The 202 carries the challenge for the voter's next vote, so that one needs no GET /api/challenge. */
export async function postVote(vote: VoteRequest): Promise<{ voteId: string; challenge: unknown }> {
  const body = await request('/api/votes', { json: vote });
  const voteId = typeof body === 'object' && body !== null && 'voteId' in body ? String((body as { voteId: unknown }).voteId) : '';
  const challenge = typeof body === 'object' && body !== null && 'challenge' in body ? (body as { challenge: unknown }).challenge : null;
  return { voteId, challenge };
}

// ---- Voto Único accounts (/api/voters) -----------------------------------------------------------

/** The signed-in voter: the CPF comes masked from the api (•••.456.789-••), never whole. */
export interface Voter {
  cpf: string;
  createdAt: string;
}

export interface VoterCeremony {
  ceremonyId: string;
  options: Record<string, unknown>;
}

export const voterRegisterOptions = (cpf: string, altcha: string) => request<VoterCeremony>('/api/voters/register/options', { json: { cpf, altcha } });
export const voterRegisterVerify = (ceremonyId: string, response: unknown) => request<Voter>('/api/voters/register/verify', { json: { ceremonyId, response } });
export const voterLoginOptions = () => request<VoterCeremony>('/api/voters/login/options', { method: 'POST' });
export const voterLoginVerify = (ceremonyId: string, response: unknown) => request<Voter>('/api/voters/login/verify', { json: { ceremonyId, response } });
export const voterLogout = () => request<void>('/api/voters/logout', { method: 'POST' });
export const voterDelete = () => request<void>('/api/voters/me', { method: 'DELETE' });

/** The signed-in voter's one Voto Único (decision 0005): 202 once claimed and confirmed by the broker. */
export const postUnicoVote = (candidateId: string) => request<{ voteId: string; candidateId: string }>('/api/voters/vote', { json: { candidateId } });

/** The candidate a 409 `already_voted` names (whom this person voted for), or null. */
export function alreadyVotedFor(err: unknown): string | null {
  if (!(err instanceof ApiError) || err.status !== 409 || err.code !== 'already_voted') return null;
  const c = (err.body as { candidateId?: unknown } | null)?.candidateId;
  return typeof c === 'string' ? c : null;
}

/** The signed-in voter, or null when nobody is (401). */
export async function getVoter(): Promise<Voter | null> {
  try {
    return await request<Voter>('/api/voters/me', { cache: 'no-store' });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}
