import { describe, expect, it } from 'vitest';
import { ApiError } from './api.ts';
import { logOut } from './admin-shell.ts';

describe('logOut (the admin page\'s "Sair")', () => {
  it('when the api ends the session, then the page says the operator left', async () => {
    expect(await logOut(async () => undefined)).toEqual({ ended: true, message: 'Você saiu da administração.' });
  });

  it('when the session had already ended (401), then that counts as logged out', async () => {
    expect((await logOut(() => Promise.reject(new ApiError(401, 'unauthenticated', 'x', null)))).ended).toBe(true);
  });

  it('when the logout fails (network, 5xx, 403, 429), then the page says so and that the session is still open', async () => {
    for (const err of [
      new ApiError(0, 'network_error', 'Failed to fetch', 2),
      new ApiError(503, 'unavailable', 'x', 2),
      new ApiError(403, 'cross_origin', 'Requisição de outra origem recusada.', null),
      new ApiError(429, 'rate_limited', 'x', 2),
    ]) {
      const outcome = await logOut(() => Promise.reject(err));
      expect(outcome.ended, err.code).toBe(false);
      expect(outcome.message).toMatch(/^Não foi possível sair: .+ Sua sessão continua aberta/);
      expect(outcome.message).not.toMatch(/Você saiu/);
    }
  });
});
