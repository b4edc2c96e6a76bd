import { maskCpf, normalizeCpf, voterRegisterOptionsRequestSchema, voterVerifyRequestSchema, type VoterCeremony, type VoterMe } from '@paredao/contract';
import type { Store } from '@paredao/core';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { rateLimit, type Store as RateLimitStore } from 'express-rate-limit';
import { sameOriginOnly } from '../admin/auth.js';
import { AppError } from '../platform/errors.js';
import type { ApiMetrics } from '../platform/metrics.js';
import type { Antibot } from '../votes/antibot.js';
import type { ReplayGuard } from '../votes/replay-guard.js';
import { CpfKey } from './cpf-key.js';
import { newAccountId, Passkeys, type Ceremony } from './passkeys.js';
import { VoterSessions } from './sessions.js';
import type { CpfVerifier } from './verifier.js';

export interface VoterDeps {
  store: Store;
  passkeys: Passkeys;
  sessions: VoterSessions;
  cpfKey: CpfKey;
  verifier: CpfVerifier;
  antibot: Antibot;
  replayGuard: ReplayGuard;
  metrics: ApiMetrics;
  publicOrigins: readonly string[];
  /** Sign-ups started per client IP per hour (each can cost a call to the CPF provider); 0 = no limit. */
  signupsPerIpHour: number;
  /** Sign-in attempts per client IP per minute; 0 = no limit. */
  loginsPerIpMinute: number;
  /** Where the two limits count: the host's one count in a cluster (cluster-arbiter.ts), else in-process. */
  limitStores?: { signups: RateLimitStore; logins: RateLimitStore };
  now: () => number;
}

/** What the voter routes need beyond the parts the whole app shares (app.ts, AppDeps.voters). */
export type VoterParts = Pick<VoterDeps, 'passkeys' | 'sessions' | 'cpfKey' | 'verifier' | 'signupsPerIpHour' | 'loginsPerIpMinute'>;

export function voterParts(o: {
  store: Store;
  publicOrigins: readonly string[];
  /** CPF_HMAC_SECRET */
  cpfHmacSecret: string;
  /** ADMIN_SESSION_SECRET: the voter cookie's key is derived from it (sessions.ts). */
  sessionSecret: string;
  sessionTtlMs: number;
  verifier: CpfVerifier;
  signupsPerIpHour: number;
  loginsPerIpMinute: number;
  now?: () => number;
}): VoterParts {
  return {
    passkeys: new Passkeys({ store: o.store, publicOrigins: o.publicOrigins, ceremonyTtlMs: 5 * 60_000, now: o.now }),
    sessions: new VoterSessions(o.store, o.sessionSecret, o.sessionTtlMs, o.now),
    cpfKey: new CpfKey(o.cpfHmacSecret),
    verifier: o.verifier,
    signupsPerIpHour: o.signupsPerIpHour,
    loginsPerIpMinute: o.loginsPerIpMinute,
  };
}

/**
 * Voto Único's voter accounts: sign-up (CPF once, then a passkey), sign-in with the passkey, the signed-in
 * voter, sign-out, and deletion (LGPD). The CPF goes no further than this file's handlers: it is checked,
 * keyed (CpfKey), masked, and never logged (the error log line has no body; pino redacts `cpf`).
 */
export function voterRouter(d: VoterDeps): Router {
  const r = Router({ strict: true, caseSensitive: true });
  r.use('/api/voters', (_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  });
  r.use('/api/voters', sameOriginOnly(d.publicOrigins));
  const json = express.json({ limit: '16kb', strict: true });

  const limiter = (windowMs: number, limit: number, store: RateLimitStore | undefined, message: string) =>
    rateLimit({
      windowMs,
      limit,
      skip: () => limit === 0,
      store,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      handler: (req, _res, next) => {
        const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime?.getTime() ?? d.now() + windowMs;
        next(new AppError(429, 'rate_limited', message, { 'Retry-After': String(Math.max(1, Math.ceil((reset - d.now()) / 1000))) }));
      },
    });
  const signupLimit = limiter(3_600_000, d.signupsPerIpHour, d.limitStores?.signups, 'Muitos cadastros a partir deste endereço. Tente mais tarde.');
  const loginLimit = limiter(60_000, d.loginsPerIpMinute, d.limitStores?.logins, 'Muitas tentativas de entrar a partir deste endereço. Aguarde um instante.');

  const ceremonyBody = (c: Ceremony): VoterCeremony => ({ ceremonyId: c.ceremonyId, options: c.options, expiresAt: new Date(c.expiresAt).toISOString() });
  const meBody = (a: { cpfMasked: string; createdAt: number }): VoterMe => ({ cpf: a.cpfMasked, createdAt: new Date(a.createdAt).toISOString() });
  const verifyBody = (req: Request) => {
    const parsed = voterVerifyRequestSchema.safeParse(req.body);
    if (!parsed.success) throw new AppError(400, 'invalid_body', 'Envie { "ceremonyId", "response" }.');
    return parsed.data;
  };

  r.post('/api/voters/register/options', signupLimit, json, async (req, res) => {
    const parsed = voterRegisterOptionsRequestSchema.safeParse(req.body);
    if (!parsed.success) throw new AppError(400, 'invalid_body', 'Envie { "cpf", "altcha" }.');
    const { origin } = d.passkeys.originOf(req.get('origin'));
    // The proof first: every answer about a CPF (its digits, the provider's word) costs the same work as a vote.
    const at = d.now();
    const proofId = d.antibot.verify(parsed.data.altcha, at);
    // Spent on this request: nginx's retry of it may reuse the proof, another request may not.
    if (!(await d.replayGuard.claim(proofId, at, `signup:${req.id}`))) {
      throw new AppError(403, 'antibot_replayed', 'Esta verificação anti-robô já foi usada. Uma nova está sendo feita.');
    }
    const cpf = normalizeCpf(parsed.data.cpf.trim());
    if (!cpf) throw new AppError(400, 'invalid_cpf', 'CPF inválido: confira os 11 números.');
    if (!(await d.verifier.accepts(cpf, req.id))) {
      throw new AppError(422, 'cpf_refused', 'Este CPF não pôde ser confirmado. Confira o número ou a situação dele na Receita Federal.');
    }
    // Whether this CPF already has an account is not looked at here: that answer comes only after a
    // passkey was made (register/verify), so this step tells nothing about who is registered.
    const ceremony = await d.passkeys.startRegistration(origin, { accountId: newAccountId(), cpfHmac: d.cpfKey.of(cpf), cpfMasked: maskCpf(cpf) });
    res.json(ceremonyBody(ceremony));
  });

  r.post('/api/voters/register/verify', loginLimit, json, async (req, res) => {
    const { ceremonyId, response } = verifyBody(req);
    const { account, credential } = await d.passkeys.finishRegistration(ceremonyId, response);
    if ((await d.store.createVoterAccount(account, credential)) === 'cpf_taken') {
      throw new AppError(409, 'cpf_registered', 'Este CPF já tem uma conta. Entre com a passkey dela.');
    }
    d.metrics.voterSignups.inc();
    req.log.info({ secure: req.secure }, 'voter account created');
    res.setHeader('set-cookie', await d.sessions.open(account.id, req.secure));
    res.status(201).json(meBody(account));
  });

  r.post('/api/voters/login/options', loginLimit, async (req, res) => {
    const { origin } = d.passkeys.originOf(req.get('origin'));
    res.json(ceremonyBody(await d.passkeys.startLogin(origin)));
  });

  r.post('/api/voters/login/verify', loginLimit, json, async (req, res) => {
    const { ceremonyId, response } = verifyBody(req);
    const accountId = await d.passkeys.finishLogin(ceremonyId, response);
    const account = await d.store.getVoterAccount(accountId);
    if (!account) throw new AppError(401, 'passkey_invalid', 'A passkey não foi aceita. Tente de novo.');
    d.metrics.voterSignins.inc();
    req.log.info({ secure: req.secure }, 'voter signed in');
    res.setHeader('set-cookie', await d.sessions.open(account.id, req.secure));
    res.json(meBody(account));
  });

  const signedIn = async (req: Request) => {
    const s = await d.sessions.voterSession(req);
    const account = s ? await d.store.getVoterAccount(s.accountId) : null;
    if (!account) throw new AppError(401, 'unauthenticated', 'Entre com sua passkey.');
    return account;
  };

  r.get('/api/voters/me', async (req, res) => {
    res.json(meBody(await signedIn(req)));
  });

  r.post('/api/voters/logout', async (req, res) => {
    res.setHeader('set-cookie', await d.sessions.close(req));
    res.status(204).end();
  });

  r.delete('/api/voters/me', async (req, res) => {
    const account = await signedIn(req);
    await d.store.deleteVoterAccount(account.id);
    d.metrics.voterDeletions.inc();
    req.log.info('voter account deleted');
    res.setHeader('set-cookie', d.sessions.clearCookies(req.secure));
    res.status(204).end();
  });

  // Every refusal on these routes counted by its code (never by CPF or account); app.ts answers and logs it.
  r.use('/api/voters', (err: unknown, _req: Request, _res: Response, next: NextFunction) => {
    const status = (err as { status?: unknown } | null)?.status;
    const reason = err instanceof AppError ? err.code : typeof status === 'number' && status < 500 ? 'invalid_body' : 'internal';
    d.metrics.voterRefusals.inc({ reason });
    next(err);
  });
  return r;
}
