// The api hands out the next challenge with each answer (202, 403 antibot_*): the vote page solves that
// one instead of asking GET /api/challenge again. Across the results page it waits in sessionStorage.
import type { Challenge } from './antibot.ts';

export const NEXT_CHALLENGE = 'paredao:proximo-desafio';

/** Enough life left to be solved and sent; otherwise a fresh one is fetched. */
export function usableChallenge(challenge: unknown): challenge is Challenge {
  const expiresAt = (challenge as { parameters?: { expiresAt?: unknown } } | null)?.parameters?.expiresAt;
  return typeof expiresAt === 'number' && expiresAt * 1000 - Date.now() > 15_000;
}

/** The stored challenge, removed: single use, never offered twice. */
export function takeStoredChallenge(): unknown {
  try {
    const stored = sessionStorage.getItem(NEXT_CHALLENGE);
    sessionStorage.removeItem(NEXT_CHALLENGE);
    return stored ? JSON.parse(stored) : null;
  } catch {
    return null; // storage off (private mode) or not JSON: fetch one
  }
}

export function storeChallenge(challenge: unknown): void {
  try {
    if (usableChallenge(challenge)) sessionStorage.setItem(NEXT_CHALLENGE, JSON.stringify(challenge));
  } catch {
    // storage off: the next page fetches one
  }
}
