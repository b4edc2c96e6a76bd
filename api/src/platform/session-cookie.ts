/**
 * A session cookie that carries a random id and an HMAC of it (docs/decisions/0002-admin-sessions.md):
 * a forged or guessed cookie is refused without a store read, and a copy of the store's sessions (a
 * backup) is not a set of usable cookies. The session rows themselves stay with each kind of session
 * (admin: api/src/admin/auth.ts; voters: api/src/voters/sessions.ts); this is what both share.
 *
 * Parsing and serialising `Cookie`/`Set-Cookie` is the `cookie` package (jshttp, the one Express uses).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { Request } from 'express';

export class SessionCookie {
  /**
   * Over HTTPS: the `__Host-` prefix makes the browser refuse the cookie unless it is Secure, has
   * Path=/ and no Domain, so a sibling subdomain cannot plant or overwrite it.
   */
  readonly secureName: string;

  /** `name`: the cookie over plain HTTP (the local run); `secret`: the HMAC key every api instance shares. */
  constructor(
    readonly name: string,
    private readonly secret: string,
    private readonly ttlMs: number,
  ) {
    this.secureName = `__Host-${name}`;
  }

  /** A fresh session id and the cookie value that stands for it. */
  issue(): { id: string; token: string } {
    const id = randomBytes(32).toString('base64url');
    return { id, token: `${id}.${this.sign(id)}` };
  }

  /** The session id a cookie value carries, if its HMAC is right; null otherwise. */
  idOf(token: string | undefined): string | null {
    if (!token) return null;
    const dot = token.indexOf('.');
    if (dot <= 0) return null;
    const id = token.slice(0, dot);
    const expected = Buffer.from(this.sign(id));
    const given = Buffer.from(token.slice(dot + 1));
    return expected.length === given.length && timingSafeEqual(expected, given) ? id : null;
  }

  sign(text: string): string {
    return createHmac('sha256', this.secret).update(text).digest('base64url');
  }

  /**
   * The cookie's value in a request. Over HTTPS only the `__Host-` cookie counts: a sibling subdomain
   * can plant a plain one (Domain=parent), and accepting it would sign the victim into the attacker's
   * session (login CSRF). Over plain HTTP only the plain one exists.
   */
  tokenOf(req: Request): string | undefined {
    const jar = req.headers.cookie ? parseCookie(req.headers.cookie) : {};
    return req.secure ? jar[this.secureName] : jar[this.name];
  }

  /** `secure`: the client's own connection was HTTPS (req.secure, from the trusted proxy's X-Forwarded-Proto). */
  cookie(token: string, secure: boolean): string {
    return stringifySetCookie(secure ? this.secureName : this.name, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure,
      maxAge: Math.floor(this.ttlMs / 1000),
    });
  }

  /** Clears whichever of the two cookies the browser holds. */
  clearCookies(secure: boolean): string[] {
    const gone = { path: '/', httpOnly: true, sameSite: 'strict' as const, maxAge: 0 };
    return [
      stringifySetCookie(this.name, '', { ...gone, secure }),
      // A __Host- cookie can only be set (and so cleared) over HTTPS.
      ...(secure ? [stringifySetCookie(this.secureName, '', { ...gone, secure: true })] : []),
    ];
  }
}
