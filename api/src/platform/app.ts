import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '@paredao/core';
import { publicParedao } from '@paredao/contract';
import express, { type NextFunction, type Request, type Response } from 'express';
import { MemoryStore, rateLimit, type Store as RateLimitStore } from 'express-rate-limit';
import type { Logger } from 'pino';
import { adminRouter } from '../admin/admin.js';
import type { Auth } from '../admin/auth.js';
import type { ParedaoService } from '../paredoes/paredoes.js';
import type { ResultsService } from '../results/results.js';
import { Admission, OVERLOAD_SIGNALS, OVERLOADED } from '../votes/admission.js';
import type { Antibot } from '../votes/antibot.js';
import { withHotPath } from '../votes/hot-path.js';
import { UnicoVoteService } from '../votes/unico.js';
import type { ReplayGuard } from '../votes/replay-guard.js';
import { VoteService, type VotePublisher } from '../votes/votes.js';
import { voterRouter, type VoterParts } from '../voters/voters.js';
import { AppError, notJson, payloadTooLarge, rateLimited, requestAborted, requestIdOf } from './errors.js';
import type { ApiMetrics } from './metrics.js';
import { buildOpenApiDocument } from './openapi.js';
import { compileTrust, type TrustedProxies } from './trusted-proxies.js';

export interface AppDeps {
  store: Store;
  paredoes: ParedaoService;
  auth: Auth;
  closeGraceMs: number;
  log: Logger;
  metrics: ApiMetrics;
  metricsText: () => Promise<{ contentType: string; body: string }>;
  publisher: VotePublisher;
  results: ResultsService;
  antibot: Antibot;
  replayGuard: ReplayGuard;
  rateLimitPerMinute: number;
  /**
   * VOTE_MAX_IN_FLIGHT, VOTE_RETRY_AFTER_SECONDS and VOTE_MAX_LOOP_DELAY_MS (config.ts) with the
   * process's event-loop delay (loop-delay.ts): admission control of votes (votes/admission.ts).
   */
  voteAdmission: { maxInFlight: number; retryAfterSeconds: number; maxLoopDelayMs?: number; loopDelayMs?: () => number };
  /** TRUSTED_PROXIES: the peers whose X-Forwarded-* headers count (trusted-proxies.ts). */
  trustedProxies: TrustedProxies;
  /** PUBLIC_ORIGINS (config.ts, publicOrigins): the only origins admin changes may come from. */
  publicOrigins: readonly string[];
  /**
   * Where the vote and login limits count: in a cluster, the host's one count per client (the primary,
   * cluster-arbiter.ts); by default this process's memory.
   */
  rateLimitStores?: { votes: RateLimitStore; login: RateLimitStore; voterSignups: RateLimitStore; voterLogins: RateLimitStore };
  /** Voto Único accounts (api/src/voters): what the voter routes need beyond the shared parts above. */
  voters: VoterParts;
  now?: () => number;
}

/** Where a signed-in voter casts the Voto Único (docs/decisions/0005-voto-unico.md). */
export const UNICO_VOTE_PATH = '/api/voters/vote';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

/**
 * Builds the api's request listener; never listens (worker.ts does), so tests run it in-process. The vote
 * and challenge requests take the lean node:http path (hot-path.ts); every other request, and a vote
 * body that is not plain JSON, goes to the Express app.
 */
export function createApp(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { store, paredoes, log, metrics, publisher, results, antibot, replayGuard } = deps;
  const now = deps.now ?? Date.now;
  const votes = new VoteService({ paredoes, antibot, replayGuard, publisher, metrics, log, now });
  const unico = new UnicoVoteService({ store, paredoes, publisher, metrics, log, now });
  // One bound on votes in flight for both paths that take votes, and one count per address.
  const refusedBy = new Map(OVERLOAD_SIGNALS.map((s) => [s, metrics.overloadRefused.labels(s)]));
  const admission = new Admission({ ...deps.voteAdmission, log, now, refused: (s) => refusedBy.get(s)!.inc() });
  const rateLimitStore = deps.rateLimitStores?.votes ?? new MemoryStore();
  const app = express();
  app.disable('x-powered-by');
  // One spelling per route: Express would otherwise also route /api/Votes and /api/votes/
  // to the vote handler, paths that nginx's exact-match rate limit does not cover.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.set('etag', false);
  // The client IP, scheme and host are what nginx says, and only nginx (by address), never `true`.
  const trustProxy = compileTrust(deps.trustedProxies);
  app.set('trust proxy', trustProxy);

  app.use((req, res, next) => {
    req.id = requestIdOf(req.get('x-request-id'));
    req.log = log.child({ reqId: req.id });
    res.setHeader('x-request-id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route?.path ? String(req.route.path) : 'unmatched';
      const labels = { method: req.method, route, status_code: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    const reasons = [];
    if (!publisher.ready) reasons.push('broker channel not open');
    if (!results.storeUsable) reasons.push('store not readable');
    res.status(reasons.length ? 503 : 200).json(reasons.length ? { status: 'not ready', reasons } : { status: 'ready' });
  });

  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await deps.metricsText();
    res.type(contentType).send(body);
  });

  app.get('/api/paredao', (_req, res) => {
    const p = paredoes.current;
    if (!p) throw new AppError(404, 'no_paredao', 'Nenhum paredão aberto no momento.');
    res.set('cache-control', 'no-cache').json(publicParedao(p));
  });

  app.get('/api/images/:id', async (req, res) => {
    const id = String(req.params.id);
    const img = /^[0-9a-f]{24}$/.test(id) ? await store.getImage(id) : null;
    if (!img) throw new AppError(404, 'not_found', 'Imagem inexistente.');
    // Image ids are random and never reused: cache for good (nginx keeps a copy too). Should bytes
    // ever pass for a document, the browser must neither sniff them into one nor run anything in it.
    res
      .set({
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
      })
      .type(img.contentType)
      .send(img.bytes);
  });

  const openApiJson = JSON.stringify(buildOpenApiDocument());
  app.get('/api/docs', (_req, res) => {
    res.type('application/json').send(openApiJson);
  });

  // GET is answered by hot-path.ts before it gets here; this route keeps HEAD as it was.
  app.get('/api/challenge', async (_req, res) => {
    // A challenge is single use: never cached.
    res.set('cache-control', 'no-store').json(antibot.challenge(now()));
  });

  app.get('/api/results', (_req, res) => {
    if (!results.current) throw new AppError(404, 'no_paredao', 'Nenhum paredão no momento.');
    res.set('cache-control', 'no-store').type('application/json').send(results.currentJson);
  });

  app.get('/api/results/stream', (req, res) => {
    // Each stream holds a socket here and at nginx for up to an hour: past the cap, the page falls
    // back to polling /api/results (web/src/live.ts) instead of the process running out of sockets.
    if (!results.subscribe(res)) {
      req.log.warn({ subscribers: results.subscribers }, 'results stream refused: subscriber cap reached');
      throw new AppError(503, 'stream_full', 'Muitas conexões ao vivo; os resultados seguem por atualização periódica.', { 'Retry-After': '30' });
    }
  });

  const limiter = rateLimit({
    windowMs: 60_000,
    limit: deps.rateLimitPerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skip: () => deps.rateLimitPerMinute === 0,
    // Keyed as hot-path.ts keys it (express-rate-limit's default: ipKeyGenerator(req.ip)).
    store: rateLimitStore,
    handler: (req, _res, next) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime?.getTime();
      next(rateLimited(reset ?? now() + 60_000, now()));
    },
  });

  const admit = (req: Request, res: Response, next: NextFunction) => {
    const refused = admission.enter();
    if (refused) {
      req.resume();
      return next(refused);
    }
    res.on('close', () => admission.leave());
    next();
  };

  const jsonOnly = (req: Request, _res: Response, next: NextFunction) => {
    if (!req.is('application/json')) {
      return next(new AppError(415, 'unsupported_media_type', 'Envie o voto como application/json.'));
    }
    next();
  };

  // The Express route takes only the vote bodies the lean path leaves to it (hot-path.ts: plainJson).
  app.post('/api/votes', admit, limiter, jsonOnly, express.json({ limit: '8kb', strict: true }), async (req, res) => {
    res.status(202).json(await votes.accept(req.body, req.id));
  });

  app.use(adminRouter({ store, auth: deps.auth, antibot, paredoes, closeGraceMs: deps.closeGraceMs, publicOrigins: deps.publicOrigins, now, loginLimitStore: deps.rateLimitStores?.login }));

  app.use(
    voterRouter({
      ...deps.voters,
      store,
      antibot,
      replayGuard,
      metrics,
      publicOrigins: deps.publicOrigins,
      limitStores: deps.rateLimitStores ? { signups: deps.rateLimitStores.voterSignups, logins: deps.rateLimitStores.voterLogins } : undefined,
      now,
    }),
  );

  // The Voto Único (votes/unico.ts): after the voter routes, whose same-origin check and no-store it
  // passes; the same admission bound and per-address count as the Torcida vote. No proof of work: the
  // person is the limit (one vote per account, an account costs a proof, a CPF and a passkey).
  app.post(UNICO_VOTE_PATH, admit, limiter, jsonOnly, express.json({ limit: '1kb', strict: true }), async (req, res) => {
    const session = await deps.voters.sessions.voterSession(req);
    res.status(202).json(await unico.accept(req.body, session?.accountId ?? null, req.id));
  });

  app.use((_req, _res, next) => {
    next(new AppError(404, 'not_found', 'Rota inexistente.'));
  });

  // One error middleware: stable JSON for the client, one log line at the right level.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = toAppError(err);
    const reqLog = req.log ?? log;
    if (e.code === OVERLOADED) {
      admission.logRefusal(() => ({ reqId: req.id, code: e.code, status: e.status, method: req.method, path: req.path, ip: req.ip }));
    } else if (e.isClientError) {
      reqLog.warn({ code: e.code, status: e.status, method: req.method, path: req.path, ip: req.ip }, `request rejected: ${e.code}`);
    } else {
      reqLog.error({ err, code: e.code, status: e.status, method: req.method, path: req.path }, `request failed: ${e.code}`);
    }
    if (req.method === 'POST' && req.path === '/api/votes') metrics.votesRejected.inc({ reason: e.code, mode: 'torcida' });
    else if (req.method === 'POST' && req.path === UNICO_VOTE_PATH) metrics.votesRejected.inc({ reason: e.code, mode: 'unico' });
    if (res.headersSent) return;
    res.status(e.status).set(e.headers).type('application/json').send(votes.errorBody(e));
  });

  return withHotPath(
    {
      votes,
      antibot,
      metrics,
      log,
      admission,
      rateLimit: deps.rateLimitPerMinute > 0 ? { perMinute: deps.rateLimitPerMinute, store: rateLimitStore } : null,
      trustProxy,
      now,
    },
    app,
  );
}

/** Maps body-parser and unknown errors onto AppError; 5xx messages never leak internals. */
function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const type = (err as { type?: string } | null)?.type;
  switch (type) {
    case 'entity.too.large':
      return payloadTooLarge();
    case 'entity.parse.failed':
      return notJson();
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_media_type', 'Codificação não suportada; use UTF-8.');
    case 'request.aborted':
      return requestAborted();
    default: {
      // body-parser marks other client faults (a body that says gzip but is not, say) with a 4xx status.
      const status = (err as { status?: unknown } | null)?.status;
      if (typeof status === 'number' && status >= 400 && status < 500) return new AppError(400, 'invalid_body', 'Corpo da requisição inválido.');
      return new AppError(500, 'internal', 'Erro interno.');
    }
  }
}
