import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from './errors.js';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

export const SESSION_COOKIE = 'paredao_admin';

/** `scrypt:N:r:p:salt:hash` (base64; no `$`, so .env files and shells leave it alone): what scripts/hash-password.mjs prints and ADMIN_PASSWORD_HASH holds. */
export async function hashPassword(password: string, N = 16384, r = 8, p = 1): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, { N, r, p, maxmem: 64 * 1024 * 1024 });
  return `scrypt:${N}:${r}:${p}:${salt.toString('base64')}:${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split(':');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashB64, 'base64');
  const actual = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export interface AuthOptions {
  username: string;
  passwordHash: string | undefined;
  /** Key that signs session tokens; every api instance must share it. */
  sessionKey: string;
  sessionTtlMs: number;
  /** Delay before answering a failed login, to slow down guessing. */
  failureDelayMs: number;
  now?: () => number;
}

export interface Session {
  username: string;
  expiresAt: number;
}

/**
 * Stateless sessions: an HMAC-signed token with the user name and expiry in an HttpOnly, SameSite=Strict
 * cookie, so every api instance and worker accepts it without shared state.
 */
export class Auth {
  private readonly now: () => number;

  constructor(private readonly opts: AuthOptions) {
    this.now = opts.now ?? Date.now;
  }

  get configured(): boolean {
    return !!this.opts.passwordHash;
  }

  async login(username: unknown, password: unknown): Promise<string> {
    const ok =
      this.configured &&
      typeof username === 'string' &&
      typeof password === 'string' &&
      password.length <= 1024 &&
      // Always run the hash, so a wrong user name takes as long as a wrong password.
      (await verifyPassword(password, this.opts.passwordHash!)) &&
      username === this.opts.username;
    if (!ok) {
      await new Promise((r) => setTimeout(r, this.opts.failureDelayMs));
      throw new AppError(401, 'invalid_credentials', 'Usuário ou senha incorretos.');
    }
    return this.issue({ username: this.opts.username, expiresAt: this.now() + this.opts.sessionTtlMs });
  }

  issue(s: Session): string {
    const body = Buffer.from(JSON.stringify({ u: s.username, e: s.expiresAt })).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  verify(token: string | undefined): Session | null {
    if (!token) return null;
    const [body, sig] = token.split('.');
    if (!body || !sig) return null;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    try {
      const { u, e } = JSON.parse(Buffer.from(body, 'base64url').toString()) as { u: string; e: number };
      if (typeof u !== 'string' || typeof e !== 'number' || e <= this.now()) return null;
      return { username: u, expiresAt: e };
    } catch {
      return null;
    }
  }

  cookie(token: string, secure: boolean): string {
    return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(this.opts.sessionTtlMs / 1000)}${secure ? '; Secure' : ''}`;
  }

  clearCookie(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  /** Express middleware: 401 without a valid session. */
  required = (req: Request, _res: Response, next: NextFunction): void => {
    const session = this.verify(readCookie(req.headers.cookie, SESSION_COOKIE));
    if (!session) return next(new AppError(401, 'unauthenticated', 'Entre com seu usuário de produção.'));
    res_locals(req).session = session;
    next();
  };

  private sign(body: string): string {
    return createHmac('sha256', this.opts.sessionKey).update(body).digest('base64url');
  }
}

const res_locals = (req: Request) => (req.res!.locals as { session?: Session });

export function sessionOf(req: Request): Session {
  return res_locals(req).session!;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
