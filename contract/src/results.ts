import type { Paredao, Results } from './contract.js';

/** What the store counted for one paredão: votes by candidate, in total and per UTC hour. */
export interface Tally {
  byCandidate: Record<string, number>;
  hourly: { hour: string; byCandidate: Record<string, number> }[];
}

/**
 * Percentages with one decimal that add up to exactly 100 (largest remainder method), so the page
 * never shows 33.3 + 33.3 + 33.3 = 99.9.
 */
export function percentages(votes: number[]): number[] {
  const total = votes.reduce((a, b) => a + b, 0);
  if (total === 0) return votes.map(() => 0);
  const scaled = votes.map((v) => (v * 1000) / total); // tenths of a percent
  const floors = scaled.map(Math.floor);
  let left = 1000 - floors.reduce((a, b) => a + b, 0);
  const order = scaled.map((s, i) => ({ i, rem: s - Math.floor(s) })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i] = (floors[i] ?? 0) + 1;
    left--;
  }
  return floors.map((f) => f / 10);
}

/** The production URL's object, built from a store tally and the paredão's candidates. */
export function buildResults(paredao: Paredao, tally: Tally, now: Date): Results {
  const votes = paredao.candidates.map((c) => tally.byCandidate[c.id] ?? 0);
  const pcts = percentages(votes);
  const ids = paredao.candidates.map((c) => c.id);
  return {
    paredaoId: paredao.id,
    total: votes.reduce((a, b) => a + b, 0),
    candidates: paredao.candidates.map((c, i) => ({ id: c.id, name: c.name, votes: votes[i] ?? 0, percent: pcts[i] ?? 0 })),
    hourly: tally.hourly
      .map((h) => {
        const byCandidate = Object.fromEntries(ids.map((id) => [id, h.byCandidate[id] ?? 0]));
        return { hour: h.hour, total: Object.values(byCandidate).reduce((a, b) => a + b, 0), byCandidate };
      })
      .sort((a, b) => a.hour.localeCompare(b.hour)),
    updatedAt: now.toISOString(),
  };
}
