import { describe, expect, it } from 'vitest';
import { ceilingRatio, envPairs, findCeiling } from './ceiling.js';

/** A system that passes every rate up to `limit`. */
const upTo = (limit: number) => async (rate: number) => rate <= limit;

describe('findCeiling', () => {
  const ladder = [1000, 2000, 4000, 8000, 16000];

  it('when a system passes 5300/s and fails above, then the search lands within the resolution under it', async () => {
    const s = await findCeiling(upTo(5300), { ladder, resolution: 250 });
    expect(s.capped).toBe(false);
    expect(s.ceiling).toBeLessThanOrEqual(5300);
    expect(s.ceiling).toBeGreaterThan(5300 - 250);
    expect(s.firstFailing! - s.ceiling).toBeLessThanOrEqual(250);
    expect(s.tried.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    // Bisection, not a walk: about log2(4000 / 250) = 4 more steps.
    expect(s.tried.length).toBeLessThanOrEqual(4 + 5);
  });

  it('when every rung passes, then the ceiling is only a lower bound', async () => {
    const s = await findCeiling(upTo(1e9), { ladder, resolution: 250 });
    expect(s).toMatchObject({ ceiling: 16000, firstFailing: null, capped: true });
  });

  it('when the first rung fails, then the search bisects below it', async () => {
    const s = await findCeiling(upTo(600), { ladder, resolution: 100 });
    expect(s.ceiling).toBeLessThanOrEqual(600);
    expect(s.ceiling).toBeGreaterThan(500);
    expect(s.capped).toBe(false);
  });

  it('when the system fails everything, then the ceiling is 0', async () => {
    const s = await findCeiling(async () => false, { ladder, resolution: 250 });
    expect(s.ceiling).toBe(0);
    expect(s.capped).toBe(false);
  });
});

describe('ceilingRatio', () => {
  it('divides the two measured ceilings', async () => {
    const ours = await findCeiling(upTo(4000), { ladder: [1000, 2000, 4000, 8000], resolution: 100 });
    const floor = await findCeiling(upTo(6000), { ladder: [1000, 2000, 4000, 8000], resolution: 100 });
    const r = ceilingRatio(ours, floor);
    expect('ratio' in r && r.ratio).toBeCloseTo(ours.ceiling / floor.ceiling);
  });

  it('when the comparison never failed, then there is no ratio, and it says why', async () => {
    const ours = await findCeiling(upTo(4000), { ladder: [1000, 2000, 4000, 8000], resolution: 100 });
    const floor = await findCeiling(upTo(1e9), { ladder: [1000, 2000, 4000, 8000], resolution: 100 });
    expect(ceilingRatio(ours, floor)).toEqual({ why: expect.stringMatching(/passed every rate tried \(up to 8000\/s\)/) });
  });
});

describe('--env pairs', () => {
  it('when a value holds = or is empty, then only the first = splits it; when a pair has no key, then it is refused', () => {
    expect(envPairs(['A=1', 'URL=amqp://x?a=b', 'EMPTY='])).toEqual({ A: '1', URL: 'amqp://x?a=b', EMPTY: '' });
    expect(() => envPairs(['NOEQUALS'])).toThrow(/--env expects KEY=VALUE, got 'NOEQUALS'/);
    expect(() => envPairs(['=1'])).toThrow(/KEY=VALUE/);
  });
});
