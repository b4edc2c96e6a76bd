/**
 * Login and sessions of the production team.
 *
 * A session is a random id kept in the store, so logout and a password change end it at once on every
 * api instance (each request looks the id up; admin traffic is a handful of requests a minute). The
 * cookie carries the id and an HMAC of it under ADMIN_SESSION_SECRET, a secret of its own
 * (platform/session-cookie.ts; docs/decisions/0002-admin-sessions.md).
 */
import type { Store } from '@paredao/core';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../platform/errors.js';
import { SessionCookie } from '../platform/session-cookie.js';
import { Gate, GateFullError } from './gate.js';
import { verifyPassword } from './password-hash.js';

/** Over plain HTTP (the local run); `__Host-paredao_admin` over HTTPS. */
export const SESSION_COOKIE = 'paredao_admin';

export type SessionStore = Pick<Store, 'putSession' | 'getSession' | 'deleteSession' | 'revokeSessionsExcept'>;

export interface AuthOptions {
  username: string;
  passwordHash: string | undefined;
  /** ADMIN_SESSION_SECRET: signs session cookies; every api instance must share it. */
  sessionSecret: string;
  sessionTtlMs: number;
  /** Delay before answering a failed login, to slow down guessing. */
  failureDelayMs: number;
  /**
   * Password hashes one process runs at once (each takes up to SCRYPT_MAX_BYTES), how many more logins
   * may wait for a turn, and for how long; past that a login gets 429 instead of memory.
   */
  hashing?: { concurrency: number; maxWaiting: number; maxWaitMs: number };
  store: SessionStore;
  now?: () => number;
}

export interface Session {
  id: string;
  username: string;
  expiresAt: number;
}

export class Auth {
  private readonly now: () => number;
  /** Which password a session was opened with; a changed ADMIN_PASSWORD_HASH gives a new one. */
  private readonly credential: string;
  private readonly hashGate: Gate;
  private readonly cookies: SessionCookie;

  constructor(private readonly opts: AuthOptions) {
    this.now = opts.now ?? Date.now;
    this.cookies = new SessionCookie(SESSION_COOKIE, opts.sessionSecret, opts.sessionTtlMs);
    this.hashGate = new Gate(opts.hashing ?? { concurrency: 1, maxWaiting: 4, maxWaitMs: 3000 });
    this.credential = this.cookies.sign(`credential:${opts.passwordHash ?? ''}`).slice(0, 22);
  }

  get configured(): boolean {
    return !!this.opts.passwordHash;
  }

  /**
   * At start: ends every session opened with another password (and the expired ones). The first api
   * instance that starts with a new ADMIN_PASSWORD_HASH thereby logs everyone out on all instances.
   */
  revokeStale(): Promise<number> {
    return this.opts.store.revokeSessionsExcept(this.credential, this.now());
  }

  /** Checks the password and opens a session; returns the cookie value. */
  async login(username: unknown, password: unknown): Promise<string> {
    let ok: boolean;
    try {
      ok = await this.hashGate.run(
        async () =>
          this.configured &&
          typeof username === 'string' &&
          typeof password === 'string' &&
          password.length <= 1024 &&
          // Always run the hash, so a wrong user name takes as long as a wrong password.
          (await verifyPassword(password, this.opts.passwordHash!)) &&
          username === this.opts.username,
      );
    } catch (err) {
      if (!(err instanceof GateFullError)) throw err;
      throw new AppError(429, 'rate_limited', 'Muitas tentativas de login ao mesmo tempo. Tente de novo em instantes.', { 'Retry-After': '2' });
    }
    if (!ok) {
      await new Promise((r) => setTimeout(r, this.opts.failureDelayMs));
      throw new AppError(401, 'invalid_credentials', 'Usuário ou senha incorretos.');
    }
    const { id, token } = this.cookies.issue();
    await this.opts.store.putSession({ id, username: this.opts.username, credential: this.credential, expiresAt: this.now() + this.opts.sessionTtlMs });
    return token;
  }

  /** The session a cookie value stands for, or null (forged, logged out, revoked, expired). */
  async verify(token: string | undefined): Promise<Session | null> {
    const id = this.cookies.idOf(token);
    if (!id) return null;
    const s = await this.opts.store.getSession(id, this.now());
    if (!s || s.credential !== this.credential || s.username !== this.opts.username) return null;
    return { id: s.id, username: s.username, expiresAt: s.expiresAt };
  }

  /** Ends the session in the store, so the cookie is useless everywhere even if a copy survives. */
  async logout(token: string | undefined): Promise<void> {
    const id = this.cookies.idOf(token);
    if (id) await this.opts.store.deleteSession(id);
  }

  /** The session cookie's value in a request (only the `__Host-` one over HTTPS). */
  tokenOf(req: Request): string | undefined {
    return this.cookies.tokenOf(req);
  }

  cookie(token: string, secure: boolean): string {
    return this.cookies.cookie(token, secure);
  }

  clearCookies(secure: boolean): string[] {
    return this.cookies.clearCookies(secure);
  }

  /** Express middleware: 401 without a valid session. */
  required = (req: Request, _res: Response, next: NextFunction): void => {
    this.verify(this.tokenOf(req)).then((session) => {
      if (!session) return next(new AppError(401, 'unauthenticated', 'Entre com seu usuário de produção.'));
      res_locals(req).session = session;
      next();
    }, next);
  };
}

const res_locals = (req: Request) => req.res!.locals as { session?: Session };

export function sessionOf(req: Request): Session {
  return res_locals(req).session!;
}

/**
 * Cross-site request check for state changes, besides SameSite=Strict (which old browsers and
 * same-site sibling domains get around): a browser always sends `Sec-Fetch-Site` or `Origin` on a
 * POST; either must say the request came from our own origin. A request with neither is not from a
 * browser, so it cannot carry a victim's cookie. "Our own origin" is the configured list
 * (PUBLIC_ORIGINS), not the request's `Host`: a DNS-rebinding page sends `Host` and `Origin` of its own
 * name, which would match each other.
 */
export function sameOriginOnly(publicOrigins: readonly string[]) {
  const allowed = new Set(publicOrigins);
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const site = req.get('sec-fetch-site');
    const origin = req.get('origin');
    if ((site !== undefined && site !== 'same-origin') || (origin !== undefined && !allowed.has(origin))) {
      return next(new AppError(403, 'cross_origin', 'Requisição de outra origem recusada.'));
    }
    next();
  };
}
