import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store as RateLimitStore } from 'express-rate-limit';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Logger } from 'pino';
import { AppError, notJson, payloadTooLarge, rateLimited, requestAborted, requestIdOf } from '../platform/errors.js';
import type { ApiMetrics } from '../platform/metrics.js';
import { clientAddress } from '../platform/trusted-proxies.js';
import { OVERLOADED, type Admission } from './admission.js';
import type { Antibot } from './antibot.js';
import type { VoteService } from './votes.js';

/** The same limit as express.json({ limit: '8kb' }) on the Express route. */
export const VOTE_BODY_LIMIT = 8 * 1024;
const JSON_TYPE = 'application/json; charset=utf-8';
const NO_STORE = { 'cache-control': 'no-store' };

export interface HotPathDeps {
  votes: VoteService;
  antibot: Antibot;
  metrics: ApiMetrics;
  log: Logger;
  /** Shared with the Express fallback route: one bound on votes in flight per process (admission.ts). */
  admission: Admission;
  /** Shared with the Express fallback route, so both paths count against one limit per address. */
  rateLimit: { perMinute: number; store: RateLimitStore } | null;
  /** TRUSTED_PROXIES compiled (trusted-proxies.ts): the same predicate Express's `trust proxy` uses. */
  trustProxy: (addr: string | undefined) => boolean;
  now: () => number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The two requests every vote makes, `POST /api/votes` and `GET /api/challenge`, answered on node:http
 * in front of the Express app (docs/decisions/0003-lean-vote-path.md). Same contract as the Express routes: status codes, error JSON, headers, body limit,
 * metric names and labels, request ids, log lines. Exactly those two (case-sensitive, no trailing
 * slash); a vote body that is not plain JSON (Content-Encoding, another charset or media type) also goes
 * to Express, whose route handles every such case through the same VoteService. Returns a request
 * listener that calls `fallback` (the Express app) for everything else.
 */
export function withHotPath(deps: HotPathDeps, fallback: Handler): Handler {
  const { votes, antibot, metrics, log } = deps;
  const leave = () => deps.admission.leave();
  // Metric children per route and status code, looked up by the status number: no label objects and
  // no key string per request.
  const recorder = (method: string, route: string) => {
    const children = new Map<number, { requests: { inc: () => void }; duration: { observe: (v: number) => void } }>();
    return (status: number, started: bigint) => {
      let c = children.get(status);
      if (!c) {
        const code = String(status);
        children.set(status, (c = { requests: metrics.httpRequests.labels(method, route, code), duration: metrics.httpDuration.labels(method, route, code) }));
      }
      c.requests.inc();
      c.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    };
  };
  const recordVote = recorder('POST', '/api/votes');
  const recordChallenge = recorder('GET', '/api/challenge');
  const rejected = new Map<string, { inc: () => void }>();

  /**
   * The whole answer in one writeHead with a flat header list: no header map built per response (the
   * rate-limit headers, set before, are merged by node:http's own slow path).
   */
  const send = (res: ServerResponse, status: number, reqId: string, body: string, headers?: Record<string, string>) => {
    const list = ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body)), 'x-request-id', reqId];
    if (headers) for (const k in headers) list.push(k, headers[k]!);
    res.writeHead(status, list).end(body);
  };

  const fail = (req: IncomingMessage, res: ServerResponse, reqId: string, err: unknown, started: bigint) => {
    const e = err instanceof AppError ? err : new AppError(500, 'internal', 'Erro interno.');
    const fields = { reqId, code: e.code, status: e.status, method: req.method, path: '/api/votes' };
    if (e.code === OVERLOADED) deps.admission.logRefusal(() => ({ ...fields, ip: clientAddress(req, deps.trustProxy) }));
    else if (e.isClientError) log.warn({ ...fields, ip: clientAddress(req, deps.trustProxy) }, `request rejected: ${e.code}`);
    else log.error({ ...fields, err }, `request failed: ${e.code}`);
    let r = rejected.get(e.code);
    if (!r) rejected.set(e.code, (r = metrics.votesRejected.labels(e.code, 'torcida')));
    r.inc();
    if (!res.headersSent) send(res, e.status, reqId, votes.errorBody(e), e.headers);
    recordVote(e.status, started);
  };

  const vote = (req: IncomingMessage, res: ServerResponse, reqId: string, started: bigint) => {
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > VOTE_BODY_LIMIT) {
      return fail(req, res, reqId, payloadTooLarge(), started);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > VOTE_BODY_LIMIT) {
        done = true;
        req.off('data', onData);
        return fail(req, res, reqId, payloadTooLarge(), started);
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('aborted', () => {
      if (done) return;
      done = true;
      fail(req, res, reqId, requestAborted(), started);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      let body: unknown;
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      // As body-parser's strict JSON: empty is {}, a bare value (not an object or array) is not JSON.
      const trimmed = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      if (trimmed.trim() === '') body = {};
      else {
        try {
          body = JSON.parse(trimmed);
        } catch {
          body = undefined;
        }
        if (body === null || typeof body !== 'object') {
          return fail(req, res, reqId, notJson(), started);
        }
      }
      votes.accept(body, reqId).then(
        (accepted) => {
          send(res, 202, reqId, JSON.stringify(accepted));
          recordVote(202, started);
        },
        (err: unknown) => fail(req, res, reqId, err, started),
      );
    });
  };

  const limited = async (req: IncomingMessage, res: ServerResponse): Promise<AppError | null> => {
    const limit = deps.rateLimit!;
    const info = await limit.store.increment(ipKeyGenerator(clientAddress(req, deps.trustProxy)));
    const resetMs = info.resetTime ? info.resetTime.getTime() : deps.now() + 60_000;
    const resetSeconds = Math.max(0, Math.ceil((resetMs - Date.now()) / 1000));
    // express-rate-limit's `standardHeaders: 'draft-7'`, as the Express route sends them.
    res.setHeader('RateLimit-Policy', `${limit.perMinute};w=60`);
    res.setHeader('RateLimit', `limit=${limit.perMinute}, remaining=${Math.max(0, limit.perMinute - info.totalHits)}, reset=${resetSeconds}`);
    return info.totalHits <= limit.perMinute ? null : rateLimited(resetMs, deps.now());
  };

  return (req, res) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const isVote = path === '/api/votes' && req.method === 'POST' && plainJson(req);
    const isChallenge = !isVote && path === '/api/challenge' && req.method === 'GET';
    if (!isVote && !isChallenge) return fallback(req, res);
    const started = process.hrtime.bigint();
    const reqId = requestIdOf(req.headers['x-request-id']);
    if (isChallenge) {
      // A challenge is single use: never cached.
      send(res, 200, reqId, JSON.stringify(antibot.challenge(deps.now())), NO_STORE);
      return recordChallenge(200, started);
    }
    // Admission first: a refusal costs no body read, no rate-limit count (an IPC round trip in a
    // cluster), no proof check and no publish.
    const refused = deps.admission.enter();
    if (refused) return req.resume(), fail(req, res, reqId, refused, started);
    res.on('close', leave);
    if (!deps.rateLimit) return vote(req, res, reqId, started);
    limited(req, res).then(
      (refused) => (refused ? (req.resume(), fail(req, res, reqId, refused, started)) : vote(req, res, reqId, started)),
      (err: unknown) => fail(req, res, reqId, err, started),
    );
  };
}

/**
 * A vote body the lean path reads exactly as express.json would: media type application/json, UTF-8
 * (or no charset), no content coding. Anything else goes to Express, which answers 415/400/413 or
 * inflates it, as before.
 */
function plainJson(req: IncomingMessage): boolean {
  const coding = req.headers['content-encoding'];
  if (coding !== undefined && coding.toLowerCase() !== 'identity') return false;
  const type = req.headers['content-type'];
  if (type === undefined) return false;
  const semi = type.indexOf(';');
  if ((semi === -1 ? type : type.slice(0, semi)).trim().toLowerCase() !== 'application/json') return false;
  if (semi === -1) return true;
  return /^\s*;\s*charset\s*=\s*"?utf-8"?\s*$/i.test(type.slice(semi));
}
