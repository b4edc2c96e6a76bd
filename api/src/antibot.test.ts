import { solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { describe, expect, it } from 'vitest';
import { Antibot } from './antibot.js';
import { AppError } from './errors.js';

const secret = 'x'.repeat(40);
const antibot = new Antibot({ secret, difficulty: 1, expirySeconds: 60 });

async function solved(a = antibot, now = Date.now()) {
  const challenge = await a.challenge(now);
  const solution = await solveChallenge({ challenge, deriveKey });
  return { challenge, solution: solution! };
}
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');
const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    return e instanceof AppError ? e.code : String(e);
  }
};

describe('Antibot', () => {
  it('when a proof is solved, then it verifies and always yields the same vote id', async () => {
    const p = await solved();
    const id1 = await antibot.verify(b64(p));
    const id2 = await antibot.verify(b64(p));
    expect(id1).toMatch(/^[0-9a-f]{32}$/);
    expect(id2).toBe(id1);
  });

  it('when the proof is missing, malformed, forged, expired or wrong, then each has its own code', async () => {
    const p = await solved();
    expect(await codeOf(antibot.verify(undefined))).toBe('antibot_missing');
    expect(await codeOf(antibot.verify('%%%not-base64'))).toBe('antibot_malformed');
    expect(await codeOf(antibot.verify(b64({ challenge: p.challenge })))).toBe('antibot_malformed');
    const forged = { ...p, challenge: { ...p.challenge, parameters: { ...p.challenge.parameters, keyPrefix: '00' } } };
    expect(await codeOf(antibot.verify(b64(forged)))).toBe('antibot_invalid');
    const otherServer = new Antibot({ secret: 'y'.repeat(40), difficulty: 1, expirySeconds: 60 });
    expect(await codeOf(otherServer.verify(b64(p)))).toBe('antibot_invalid');
    const wrong = { ...p, solution: { counter: p.solution.counter + 1, derivedKey: p.solution.derivedKey.replace(/.$/, (c) => (c === '0' ? '1' : '0')) } };
    expect(await codeOf(antibot.verify(b64(wrong)))).toBe('antibot_invalid');
    const old = await solved(antibot, Date.now() - 120_000);
    expect(await codeOf(antibot.verify(b64(old)))).toBe('antibot_expired');
  });

  it('when the difficulty grows, then the secret counter the client must find grows with it', async () => {
    const hard = new Antibot({ secret, difficulty: 20, expirySeconds: 60 });
    const { solution } = await solved(hard);
    expect(solution.counter).toBeGreaterThanOrEqual(10_000);
    expect(solution.counter).toBeLessThanOrEqual(30_000);
  });
});
