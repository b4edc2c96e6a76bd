import { describe, expect, it } from 'vitest';
import { Antibot } from '@paredao/api/votes/antibot';
import { ShaSearch, type ShaChallengeParameters } from '@paredao/web/pow';

// The vote page's proof-of-work search (web/src/pow.ts, run in antibot-worker.ts) against the api's
// own challenges and verification: what it finds is what POST /api/votes accepts.
const antibot = new Antibot({ secret: 'solver-test-secret', difficulty: 2, expirySeconds: 120 });

/** Solves as the widget does with two workers: counters 0, 2, 4, … and 1, 3, 5, …, the first found wins. */
function solve(challenge: ReturnType<Antibot['challenge']>) {
  const params = challenge.parameters as unknown as ShaChallengeParameters;
  const workers = [0, 1].map((counterStart) => new ShaSearch(params, { counterStart, counterStep: 2, counterMode: 'uint32' }));
  for (;;) {
    for (const w of workers) {
      const found = w.run(256);
      if (found) return found;
      if (w.exhausted) throw new Error('not found');
    }
  }
}

const payload = (challenge: ReturnType<Antibot['challenge']>, solution: { counter: number; derivedKey: string }) =>
  Buffer.from(JSON.stringify({ challenge, solution: { ...solution, time: 1 } })).toString('base64');

describe("the vote page's solver with the api's challenges", () => {
  it('finds the counter of every challenge, and the api verifies each payload to its vote id', () => {
    for (let i = 0; i < 20; i++) {
      const challenge = antibot.challenge();
      const solution = solve(challenge);
      expect(antibot.verify(payload(challenge, solution))).toBe(challenge.signature!.slice(0, 32));
    }
  });

  it("a key for another challenge's counter is refused by the api", () => {
    const challenge = antibot.challenge();
    const solution = solve(challenge);
    const other = antibot.challenge();
    expect(() => antibot.verify(payload(other, solution))).toThrow(expect.objectContaining({ code: 'antibot_invalid' }));
  });
});
