import { describe, expect, it } from 'vitest';
import { ADMIN_USER } from '@paredao/testkit/admin';
import { freshResults } from '../support/settled.js';
import { blockStack } from '../support/block-stack.js';
import { postVote } from '../support/votes.js';

/**
 * Two api workers on one host (the compose default) decide as one: a proof is accepted once, however
 * many copies arrive at once and whichever worker takes each, and a client's rate-limit count is one
 * count for the host, not one per worker (api/src/platform/cluster-arbiter.ts).
 */

async function answers(responses: Response[]): Promise<{ status: number; code?: string; voteId?: string }[]> {
  return Promise.all(
    responses.map(async (r) => {
      const body = (await r.json()) as { voteId?: string; error?: { code: string } };
      return { status: r.status, code: body.error?.code, voteId: body.voteId };
    }),
  );
}

describe('one proof, one 202, with two api workers behind nginx', () => {
  const stack = blockStack({ apiWorkers: 2 });

  it('when a bot sends one proof twenty times at once, then exactly one copy gets 202 and the others 403 antibot_replayed, round after round', async () => {
    for (let round = 0; round < 5; round++) {
      const altcha = await stack().solve();
      const got = await answers(await Promise.all(Array.from({ length: 20 }, () => postVote(stack().url, 'participante-1', altcha))));
      expect(got.filter((a) => a.status === 202), `round ${round}`).toHaveLength(1);
      expect(got.filter((a) => a.status === 403 && a.code === 'antibot_replayed'), `round ${round}`).toHaveLength(19);
    }
    expect((await stack().waitForTotal(5)).total).toBe(5);
  });

  it('when the copies of one proof name two candidates, then the one candidate answered 202 is the one counted', async () => {
    const before = await freshResults(stack());
    const expected = new Map(before.candidates.map((c) => [c.id, c.votes]));
    for (let round = 0; round < 3; round++) {
      const altcha = await stack().solve();
      const candidates = Array.from({ length: 20 }, (_, i) => (i % 2 ? 'participante-2' : 'participante-1'));
      const got = await answers(await Promise.all(candidates.map((c) => postVote(stack().url, c, altcha))));
      const accepted = got.flatMap((a, i) => (a.status === 202 ? [candidates[i]!] : []));
      expect(accepted, `round ${round}`).toHaveLength(1);
      expected.set(accepted[0]!, expected.get(accepted[0]!)! + 1);
      // A snapshot at this total holds every vote so far (none is counted twice), so it is current.
      const after = await stack().waitForTotal(before.total + round + 1);
      expect(new Map(after.candidates.map((c) => [c.id, c.votes])), `round ${round}`).toEqual(expected);
    }
  });
});

describe('one rate-limit count per client for the host, with two api workers', () => {
  const perMinute = 30;
  const stack = blockStack({ apiWorkers: 2, rateLimitPerIp: perMinute });

  // Straight to the api's port, where the cluster spreads connections over both workers: nginx's own
  // limit in front would refuse first and hide the api's.
  it('when one address sends twice the vote limit at once, then exactly the limit gets past it', async () => {
    const got = await answers(await Promise.all(Array.from({ length: perMinute * 2 }, () => postVote(stack().apiUrl, 'participante-1', 'not-a-proof'))));
    expect(got.filter((a) => a.status !== 429)).toHaveLength(perMinute);
    expect(got.filter((a) => a.status === 429)).toHaveLength(perMinute);
  });

  it('when one address sends 30 wrong passwords, then 20 are checked and the rest refused with 429', async () => {
    const login = () =>
      fetch(`${stack().apiUrl}/api/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: ADMIN_USER, password: 'wrong' }),
      });
    // Four at a time: more at once in one process are refused for memory (auth.ts), which is not the limit under test.
    const got = [];
    for (let i = 0; i < 30; i += 4) got.push(...(await answers(await Promise.all(Array.from({ length: Math.min(4, 30 - i) }, login)))));
    expect(got.filter((a) => a.status === 401)).toHaveLength(20);
    expect(got.filter((a) => a.status === 429)).toHaveLength(10);
  });
});
