import { createChallenge, randomInt, solveChallenge, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.js';
import { Antibot, RandomPool } from './antibot.js';

const secret = 'x'.repeat(40);
const antibot = new Antibot({ secret, difficulty: 1, expirySeconds: 60 });

async function solved(a = antibot, now = Date.now()) {
  const challenge = a.challenge(now);
  const solution = await solveChallenge({ challenge, deriveKey });
  return { challenge, solution: solution! };
}
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');
const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'accepted';
  } catch (e) {
    return e instanceof AppError ? e.code : String(e);
  }
};

describe('Antibot', () => {
  it('when a proof is solved, then it verifies and always yields the same vote id', async () => {
    const p = await solved();
    const id1 = antibot.verify(b64(p));
    expect(id1).toMatch(/^[0-9a-f]{32}$/);
    expect(antibot.verify(b64(p))).toBe(id1);
  });

  it('when the proof is missing, malformed, forged, expired or wrong, then each has its own code', async () => {
    const p = await solved();
    expect(codeOf(() => antibot.verify(undefined))).toBe('antibot_missing');
    expect(codeOf(() => antibot.verify('%%%not-base64'))).toBe('antibot_malformed');
    expect(codeOf(() => antibot.verify(b64({ challenge: p.challenge })))).toBe('antibot_malformed');
    const forged = { ...p, challenge: { ...p.challenge, parameters: { ...p.challenge.parameters, keyPrefix: '00' } } };
    expect(codeOf(() => antibot.verify(b64(forged)))).toBe('antibot_invalid');
    const otherServer = new Antibot({ secret: 'y'.repeat(40), difficulty: 1, expirySeconds: 60 });
    expect(codeOf(() => otherServer.verify(b64(p)))).toBe('antibot_invalid');
    const wrong = { ...p, solution: { counter: p.solution.counter + 1, derivedKey: p.solution.derivedKey.replace(/.$/, (c) => (c === '0' ? '1' : '0')) } };
    expect(codeOf(() => antibot.verify(b64(wrong)))).toBe('antibot_invalid');
    const old = await solved(antibot, Date.now() - 120_000);
    expect(codeOf(() => antibot.verify(b64(old)))).toBe('antibot_expired');
  });

  it('when the difficulty grows, then the secret counter the client must find grows with it', async () => {
    const hard = new Antibot({ secret, difficulty: 20, expirySeconds: 60 });
    const { solution } = await solved(hard);
    expect(solution.counter).toBeGreaterThanOrEqual(0);
    expect(solution.counter).toBeLessThan(40_000);
  });

  it('when challenges are drawn, then their counters spread over [0, 2 × mean): a bot that starts scanning past 0 misses proofs', async () => {
    // Difficulty 1: a mean of 1000 hashes, counters uniform over [0, 2000). Scanning from 500 (half the
    // mean) would miss every proof whose counter is below it: about a quarter of them.
    const counters: number[] = [];
    for (let i = 0; i < 60; i++) counters.push((await solved()).solution.counter);
    const below = counters.filter((c) => c < 500).length;
    expect(below).toBeGreaterThanOrEqual(4); // P(fewer than 4 of 60 at p = 1/4) < 10⁻⁴
    expect(Math.max(...counters)).toBeLessThan(2000);
    expect(counters.filter((c) => c >= 1500).length).toBeGreaterThanOrEqual(4);
  });
});

describe('Antibot speaks altcha-lib 2.x exactly (it reimplements its HMAC steps with node:crypto for speed)', () => {
  it('when altcha-lib verifies our challenges, then it agrees with us on every valid and tampered payload', async () => {
    for (let i = 0; i < 20; i++) {
      const p = await solved();
      const tampered = i % 2 ? { ...p, solution: { ...p.solution, derivedKey: p.solution.derivedKey.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) } } : p;
      const lib = await verifySolution({ challenge: tampered.challenge, solution: tampered.solution, deriveKey, ...antibot.secrets });
      const ours = codeOf(() => antibot.verify(b64(tampered)));
      expect(lib.verified).toBe(i % 2 === 0);
      expect(ours === 'accepted').toBe(lib.verified);
    }
  });

  it('when altcha-lib creates a challenge with our keys, then we verify its solution', async () => {
    const challenge = await createChallenge({
      algorithm: 'SHA-256',
      cost: 1,
      counter: randomInt(1500, 500),
      deriveKey,
      expiresAt: Math.floor(Date.now() / 1000) + 60,
      ...antibot.secrets,
    });
    const solution = await solveChallenge({ challenge, deriveKey });
    expect(codeOf(() => antibot.verify(b64({ challenge, solution })))).toBe('accepted');
  });
});

describe('Antibot canonical form and randomness', () => {
  it('when a payload lists the parameters in another key order, then it still verifies (altcha-lib signs them sorted)', async () => {
    const p = await solved();
    const params = p.challenge.parameters as unknown as Record<string, unknown>;
    const reversed = Object.fromEntries(Object.keys(params).reverse().map((k) => [k, params[k]]));
    expect(Object.keys(reversed)[0]).not.toBe(Object.keys(params)[0]);
    expect(antibot.verify(b64({ ...p, challenge: { ...p.challenge, parameters: reversed } }))).toBe(antibot.verify(b64(p)));
  });

  it('when many challenges are issued, then no salt or nonce repeats, across refills of the random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const { salt, nonce } = antibot.challenge().parameters as unknown as { salt: string; nonce: string };
      expect(salt).toMatch(/^[0-9a-f]{32}$/);
      seen.add(salt).add(nonce);
    }
    expect(seen.size).toBe(2000);
  });

  it('when the pool is drawn from, then every draw is fresh bytes and a draw larger than the pool is refused', () => {
    const pool = new RandomPool(64);
    const draws = Array.from({ length: 40 }, () => {
      const b = Buffer.alloc(20);
      pool.fill(b, 2, 18);
      expect(b.subarray(0, 2).equals(Buffer.alloc(2))).toBe(true);
      expect(b.subarray(18).equals(Buffer.alloc(2))).toBe(true);
      return b.toString('hex', 2, 18);
    });
    expect(new Set(draws).size).toBe(40);
    expect(() => pool.fill(Buffer.alloc(100), 0, 100)).toThrow(RangeError);
  });
});
