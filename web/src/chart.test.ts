import { describe, expect, it } from 'vitest';
import { fillHours, layoutStackedBars, niceStep } from './chart.ts';

const ids = ['a', 'b'];

describe('per-hour series', () => {
  it('fills hours without votes with zeros and normalises the ISO spelling', () => {
    const filled = fillHours(
      [
        { hour: '2026-11-23T12:00:00Z', total: 3, byCandidate: { a: 1, b: 2 } },
        { hour: '2026-11-23T14:00:00.000Z', total: 1, byCandidate: { a: 1, b: 0 } },
      ],
      ids,
      '2026-11-23T15:00:00.000Z',
    );
    expect(filled.map((h) => h.hour)).toEqual([
      '2026-11-23T12:00:00.000Z',
      '2026-11-23T13:00:00.000Z',
      '2026-11-23T14:00:00.000Z',
      '2026-11-23T15:00:00.000Z',
    ]);
    expect(filled[1]).toEqual({ hour: '2026-11-23T13:00:00.000Z', total: 0, byCandidate: { a: 0, b: 0 } });
  });

  it('returns nothing when there are no votes', () => {
    expect(fillHours([], ids, '2026-11-23T15:00:00.000Z')).toEqual([]);
  });
});

describe('stacked bar geometry', () => {
  it('picks round tick steps', () => {
    expect(niceStep(0)).toBe(1);
    expect(niceStep(7)).toBe(2);
    expect(niceStep(1234)).toBe(500);
    expect(niceStep(40)).toBe(10);
  });

  it('stacks each hour from the baseline, heights proportional to votes', () => {
    const layout = layoutStackedBars(
      [
        { hour: '2026-11-23T12:00:00.000Z', total: 30, byCandidate: { a: 10, b: 20 } },
        { hour: '2026-11-23T13:00:00.000Z', total: 15, byCandidate: { a: 15, b: 0 } },
      ],
      ids,
      600,
      300,
    );
    const base = layout.plot.y + layout.plot.h;
    const [first, second] = layout.bars;
    expect(layout.yMax).toBeGreaterThanOrEqual(30);
    expect(first!.segments.map((s) => s.candidateId)).toEqual(['a', 'b']);
    expect(first!.segments[0]!.y + first!.segments[0]!.h).toBeCloseTo(base);
    expect(first!.segments[1]!.y + first!.segments[1]!.h).toBeCloseTo(first!.segments[0]!.y);
    expect(first!.segments[1]!.h).toBeCloseTo(2 * first!.segments[0]!.h);
    // A zero count draws no segment.
    expect(second!.segments).toHaveLength(1);
    expect(second!.x).toBeGreaterThan(first!.x);
    expect(layout.yTicks[0]).toEqual({ value: 0, y: base });
  });

  it('always labels the newest hour and thins labels when bars are narrow', () => {
    const hourly = Array.from({ length: 48 }, (_, i) => ({
      hour: new Date(Date.UTC(2026, 10, 22, 0) + i * 3_600_000).toISOString(),
      total: 1,
      byCandidate: { a: 1, b: 0 },
    }));
    const layout = layoutStackedBars(hourly, ids, 360, 220);
    expect(layout.bars.at(-1)!.showLabel).toBe(true);
    expect(layout.bars.filter((b) => b.showLabel).length).toBeLessThan(12);
  });
});
