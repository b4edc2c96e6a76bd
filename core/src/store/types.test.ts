import { describe, expect, it } from 'vitest';
import { hourBucket } from '../vote.js';
import { aggregate } from './types.js';

describe('aggregate', () => {
  it('when a batch has many votes, then it folds them into one increment per candidate and per hour', () => {
    const at = (h: number) => Date.UTC(2026, 0, 1, h, 30);
    const v = (id: string, c: string, h: number) => ({ v: 1 as const, voteId: id, paredaoId: 'p', candidateId: c, acceptedAt: at(h) });
    const { candidates, hours } = aggregate([v('1', 'a', 10), v('2', 'a', 10), v('3', 'b', 10), v('4', 'a', 11)], hourBucket);
    expect(candidates.sort((x, y) => x.candidateId.localeCompare(y.candidateId))).toEqual([
      { paredaoId: 'p', candidateId: 'a', n: 3 },
      { paredaoId: 'p', candidateId: 'b', n: 1 },
    ]);
    expect(hours).toHaveLength(3);
    expect(hours.find((h) => h.hour === '2026-01-01T10:00:00.000Z' && h.candidateId === 'a')?.n).toBe(2);
    expect(hours.reduce((s, h) => s + h.n, 0)).toBe(4);
  });
});
