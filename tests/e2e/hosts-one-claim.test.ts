import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@paredao/testkit/ports';
import { stopProcess } from '@paredao/testkit/process';
import { ROOT, type Stack } from '@paredao/testkit/stack';
import { sample } from '../support/metrics.js';
import { freshResults } from '../support/settled.js';
import { blockStack } from '../support/block-stack.js';
import { postVote } from '../support/votes.js';

/**
 * Two api hosts behind one balancer: the stack's api (host A, 2 workers) and a second api process
 * (host B, 2 workers, its own primary and arbiter) on the same store and queue, as two machines
 * would be. A bot sends one proof to both at once, half the copies for each candidate.
 */

type Answer = { status: number; code?: string };

async function answers(responses: Response[]): Promise<Answer[]> {
  return Promise.all(responses.map(async (r) => ({ status: r.status, code: ((await r.json()) as { error?: { code: string } }).error?.code })));
}

/** Host B: another api process with the stack's settings, on a port of its own. */
function secondHost(stack: () => Stack) {
  let child: ChildProcess | undefined;
  let url = '';
  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const log = createWriteStream(join(stack().dir, 'api-b.log'));
    child = spawn('node', ['api/dist/main.js'], { cwd: ROOT, env: { ...stack().env, API_PORT: String(port), API_SOCKET: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    await waitFor(`host B ready (log: ${join(stack().dir, 'api-b.log')})`, async () => {
      if (child!.exitCode !== null) throw new Error(`host B exited with ${child!.exitCode}`);
      return (await fetch(`${url}/readyz`)).ok;
    });
  });
  afterAll(async () => {
    await stopProcess(child);
  });
  return () => url;
}

/**
 * Rounds of 20 copies of one proof, alternating hosts, host A's for participante-1 and host B's for
 * participante-2 (so a 202 from each host names two candidates): per round, the copies answered 202.
 */
async function rounds(stack: () => Stack, hostB: () => string, n: number): Promise<{ accepted: { host: string; candidate: string }[]; got: Answer[] }[]> {
  const out = [];
  for (let round = 0; round < n; round++) {
    const altcha = await stack().solve();
    const copies = Array.from({ length: 20 }, (_, i) => ({ host: i % 2 ? hostB() : stack().apiUrl, candidate: i % 2 ? 'participante-2' : 'participante-1' }));
    const got = await answers(await Promise.all(copies.map((c) => postVote(c.host, c.candidate, altcha))));
    out.push({ accepted: copies.filter((_, i) => got[i]!.status === 202), got });
  }
  return out;
}

describe('one proof, one vote, across two api hosts (PROOF_CLAIMS=store)', () => {
  const stack = blockStack({ apiWorkers: 2, env: { PROOF_CLAIMS: 'store' } });
  const hostB = secondHost(stack);

  it('when a bot sends one proof to two hosts at once, each for another candidate, then exactly one copy gets 202, the others 403 antibot_replayed, and its candidate is the one counted', async () => {
    const before = await freshResults(stack());
    const expected = new Map(before.candidates.map((c) => [c.id, c.votes]));
    const got = await rounds(stack, hostB, 5);
    for (const [i, r] of got.entries()) {
      expect(r.accepted, `round ${i}: copies answered 202`).toHaveLength(1);
      expect(r.got.filter((a) => a.status === 403 && a.code === 'antibot_replayed'), `round ${i}`).toHaveLength(19);
      const { candidate } = r.accepted[0]!;
      expected.set(candidate, expected.get(candidate)! + 1);
    }
    const after = await stack().waitForTotal(before.total + 5);
    expect(new Map(after.candidates.map((c) => [c.id, c.votes]))).toEqual(expected);
    // The hosts' metrics count the copies refused because the store held the proof spent on the other candidate.
    const conflicts = async (base: string) => sample(await (await fetch(`${base}/metrics`)).text(), 'paredao_proof_claim_conflicts_total', {}) ?? NaN;
    expect((await conflicts(stack().apiUrl)) + (await conflicts(hostB()))).toBeGreaterThan(0);
  });
});

describe('without store claims (PROOF_CLAIMS=host), the residual the setting closes', () => {
  const stack = blockStack({ apiWorkers: 2 });
  const hostB = secondHost(stack);

  it('when a bot sends one proof to two hosts at once, each for another candidate, then each host answers 202 once, and the consumer counts the proof once', async () => {
    const before = await freshResults(stack());
    const got = await rounds(stack, hostB, 4);
    for (const [i, r] of got.entries()) expect(r.accepted.length, `round ${i}`).toBeLessThanOrEqual(2);
    // The residual: in some round a 202 from each host, so for two candidates, of which one is not counted
    // (each host accepts its first copy before the applied ids of the other's can reach it).
    expect(got.some((r) => r.accepted.length === 2)).toBe(true);
    const after = await stack().waitForTotal(before.total + 4);
    expect(after.total).toBe(before.total + 4);
  });
});
