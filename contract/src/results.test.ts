import { describe, expect, it } from 'vitest';
import { buildResults, percentages } from './results.js';
import type { Paredao } from './contract.js';

describe('percentages', () => {
  it('when the votes split three ways evenly, then the shares still add up to exactly 100', () => {
    const p = percentages([1, 1, 1]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 10);
    expect(p).toEqual([33.4, 33.3, 33.3]);
  });

  it('when nobody has voted, then every share is 0', () => {
    expect(percentages([0, 0])).toEqual([0, 0]);
  });

  it('for many random tallies, then the shares add up to 100 and each is within 0.1 of the exact value', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 500; i++) {
      const votes = Array.from({ length: 2 + (i % 3) }, () => Math.floor(rnd() * 10_000));
      const total = votes.reduce((a, b) => a + b, 0);
      if (total === 0) continue;
      const p = percentages(votes);
      expect(Math.round(p.reduce((a, b) => a + b, 0) * 10)).toBe(1000);
      votes.forEach((v, j) => expect(Math.abs(p[j]! - (100 * v) / total)).toBeLessThanOrEqual(0.1 + 1e-9));
    }
  });
});

describe('buildResults', () => {
  const paredao: Paredao = {
    id: 'p1',
    title: 't',
    status: 'open',
    candidates: [
      { id: 'a', name: 'A' },
      { id: 'b', name: 'B' },
    ],
  };

  it('when a candidate has no votes yet, then it still appears with 0, and hourly rows add up to the total', () => {
    const r = buildResults(
      paredao,
      {
        byCandidate: { a: 3 },
        hourly: [
          { hour: '2026-01-01T11:00:00.000Z', byCandidate: { a: 1 } },
          { hour: '2026-01-01T10:00:00.000Z', byCandidate: { a: 2 } },
        ],
      },
      new Date('2026-01-01T12:00:00Z'),
    );
    expect(r.total).toBe(3);
    expect(r.candidates).toEqual([
      { id: 'a', name: 'A', votes: 3, percent: 100 },
      { id: 'b', name: 'B', votes: 0, percent: 0 },
    ]);
    expect(r.hourly.map((h) => h.hour)).toEqual(['2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z']);
    expect(r.hourly[0]!.byCandidate).toEqual({ a: 2, b: 0 });
    expect(r.hourly.reduce((s, h) => s + h.total, 0)).toBe(r.total);
  });
});
