import { createHmac } from 'node:crypto';
import type { Store } from '@paredao/core';
import type { Request } from 'express';
import { SessionCookie } from '../platform/session-cookie.js';

/** Over plain HTTP; `__Host-paredao_voter` over HTTPS. */
export const VOTER_COOKIE = 'paredao_voter';

export type VoterSessionStore = Pick<Store, 'putVoterSession' | 'getVoterSession' | 'deleteVoterSession'>;

/**
 * A voter's sign-in: a random id in the store (sign-out and account deletion end it on every api
 * instance at once), and a cookie with the id and its HMAC, as the production team's sessions
 * (platform/session-cookie.ts). The cookie key is derived from ADMIN_SESSION_SECRET under a label of its
 * own, so an admin cookie is never a voter cookie nor the other way round.
 */
export class VoterSessions {
  private readonly cookies: SessionCookie;

  constructor(
    private readonly store: VoterSessionStore,
    sessionSecret: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    const key = createHmac('sha256', sessionSecret).update('paredao-voter-session').digest('hex');
    this.cookies = new SessionCookie(VOTER_COOKIE, key, ttlMs);
  }

  /** Opens a session for the account; returns the Set-Cookie value. */
  async open(accountId: string, secure: boolean): Promise<string> {
    const { id, token } = this.cookies.issue();
    await this.store.putVoterSession({ id, accountId, expiresAt: this.now() + this.ttlMs });
    return this.cookies.cookie(token, secure);
  }

  /**
   * The signed-in voter of a request, or null (no cookie, forged, signed out, expired, account
   * deleted). What the Único vote route asks.
   */
  async voterSession(req: Request): Promise<{ accountId: string } | null> {
    const id = this.cookies.idOf(this.cookies.tokenOf(req));
    if (!id) return null;
    const s = await this.store.getVoterSession(id, this.now());
    return s ? { accountId: s.accountId } : null;
  }

  /** Ends the request's session in the store; returns the Set-Cookie values that clear the cookie. */
  async close(req: Request): Promise<string[]> {
    const id = this.cookies.idOf(this.cookies.tokenOf(req));
    if (id) await this.store.deleteVoterSession(id);
    return this.cookies.clearCookies(req.secure);
  }

  clearCookies(secure: boolean): string[] {
    return this.cookies.clearCookies(secure);
  }
}
