import { describe, expect, it } from 'vitest';
import { hourBucket } from '../vote.js';
import { aggregate } from './types.js';

describe('aggregate', () => {
  it('when a batch has many votes, then it folds them into one increment per candidate and per hour', () => {
    const at = (h: number) => Date.UTC(2026, 0, 1, h, 30);
    const v = (id: string, c: string, h: number) => ({ v: 1 as const, voteId: id, paredaoId: 'p', candidateId: c, acceptedAt: at(h) });
    const { candidates, hours } = aggregate([v('1', 'a', 10), v('2', 'a', 10), v('3', 'b', 10), v('4', 'a', 11)], hourBucket);
    expect(candidates.sort((x, y) => x.candidateId.localeCompare(y.candidateId))).toEqual([
      { paredaoId: 'p', mode: 'torcida', candidateId: 'a', n: 3 },
      { paredaoId: 'p', mode: 'torcida', candidateId: 'b', n: 1 },
    ]);
    expect(hours).toHaveLength(3);
    expect(hours.find((h) => h.hour === '2026-01-01T10:00:00.000Z' && h.candidateId === 'a')?.n).toBe(2);
    expect(hours.reduce((s, h) => s + h.n, 0)).toBe(4);
  });

  it('when a batch mixes modes, then each mode has its own increments, and a vote without a mode is Torcida', () => {
    const at = Date.UTC(2026, 0, 1, 10, 30);
    const { candidates, hours } = aggregate(
      [
        { v: 1, voteId: '1', paredaoId: 'p', candidateId: 'a', acceptedAt: at },
        { v: 1, voteId: '2', paredaoId: 'p', candidateId: 'a', acceptedAt: at, mode: 'torcida' },
        { v: 1, voteId: '3', paredaoId: 'p', candidateId: 'a', acceptedAt: at, mode: 'unico' },
      ],
      hourBucket,
    );
    expect(candidates.sort((x, y) => x.mode.localeCompare(y.mode))).toEqual([
      { paredaoId: 'p', mode: 'torcida', candidateId: 'a', n: 2 },
      { paredaoId: 'p', mode: 'unico', candidateId: 'a', n: 1 },
    ]);
    expect(hours.map((h) => [h.mode, h.n]).sort()).toEqual([
      ['torcida', 2],
      ['unico', 1],
    ]);
  });
});
