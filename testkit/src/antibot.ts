import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';

/** What a person's browser does: fetch a challenge, solve it, and encode the widget's payload. */
export async function solvedPayload(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/challenge`);
  if (!res.ok) throw new Error(`challenge: HTTP ${res.status}`);
  return solve((await res.json()) as Challenge);
}

export async function solve(challenge: Challenge): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error('challenge not solved');
  return encodePayload(challenge, solution);
}

/** The widget's payload: base64 of `{ challenge, solution: { counter, derivedKey } }`. */
export function encodePayload(challenge: Challenge, solution: { counter: number; derivedKey: string }): string {
  return Buffer.from(JSON.stringify({ challenge, solution: { counter: solution.counter, derivedKey: solution.derivedKey } })).toString('base64');
}
