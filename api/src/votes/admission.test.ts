import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Admission, type OverloadSignal } from './admission.js';

function admission(maxInFlight: number, opts: { random?: () => number; now?: () => number; maxLoopDelayMs?: number; loopDelayMs?: () => number; refused?: (s: OverloadSignal) => void } = {}) {
  const lines: { msg: string; refused?: number }[] = [];
  const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as (typeof lines)[number]) });
  return { a: new Admission({ maxInFlight, retryAfterSeconds: 2, log, ...opts }), lines };
}

describe('admission control of votes', () => {
  it('when fewer votes than the bound are in flight, then a vote is admitted; at the bound it is refused until one leaves', () => {
    const { a } = admission(2);
    expect(a.enter()).toBeNull();
    expect(a.enter()).toBeNull();
    expect(a.load).toBe(2);
    const refused = a.enter();
    expect(refused?.status).toBe(503);
    expect(refused?.code).toBe('overloaded');
    expect(a.load).toBe(2); // a refusal takes no place
    a.leave();
    expect(a.enter()).toBeNull();
  });

  it('when the bound is 0, then every vote is refused', () => {
    const { a } = admission(0);
    expect(a.enter()?.code).toBe('overloaded');
    expect(a.load).toBe(0);
  });

  it('when votes are refused, then Retry-After spreads them over N to 2N seconds', () => {
    const seen = (r: number) => admission(0, { random: () => r }).a.enter()!.headers['Retry-After'];
    expect(seen(0)).toBe('2');
    expect(seen(0.5)).toBe('3');
    expect(seen(0.999)).toBe('4');
  });

  it('when many votes are refused, then the log has one warn line a second with the count since the last', () => {
    let t = 0;
    const { a, lines } = admission(0, { now: () => t });
    for (let i = 0; i < 100; i++) a.logRefusal(() => ({}));
    expect(lines).toHaveLength(1);
    t = 1000;
    a.logRefusal(() => ({ reqId: 'r' }));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ msg: 'request rejected: overloaded', refused: 100, reqId: 'r' });
  });

  describe('by event-loop delay', () => {
    // The sampler and the coin are injected: the decision is tested without any clock or timing.
    // 100 in flight at most: the loop delay counts once 13 (an eighth) are in flight.
    const run = (delayMs: number, coin: number, max = 40, inFlight = 13) => {
      const signals: OverloadSignal[] = [];
      let delay = 0;
      const { a } = admission(100, { maxLoopDelayMs: max, loopDelayMs: () => delay, random: () => coin, refused: (s) => signals.push(s) });
      for (let i = 0; i < inFlight; i++) expect(a.enter()).toBeNull();
      delay = delayMs;
      return { refused: a.enter(), signals, load: a.load - inFlight };
    };

    it('when few votes are in flight, then a late loop refuses nothing (the machine, not our votes, is late)', () => {
      expect(run(500, 0, 40, 12).refused).toBeNull();
      expect(run(500, 0, 40, 0).signals).toEqual([]);
      expect(run(500, 0, 40, 13).refused?.code).toBe('overloaded');
    });

    it('when the loop is at or under the threshold, then every vote is admitted whatever the coin', () => {
      expect(run(0, 0).refused).toBeNull();
      expect(run(40, 0).refused).toBeNull();
      expect(run(40, 0).load).toBe(1);
    });

    it('when the loop is late past the threshold, then the share refused grows from none at it to all at twice it', () => {
      // 50 ms against 40: a quarter over, so a coin under 0.25 refuses and one above admits.
      expect(run(50, 0.2).refused?.code).toBe('overloaded');
      expect(run(50, 0.3).refused).toBeNull();
      // 80 ms and beyond: every vote, even with the highest coin.
      expect(run(80, 0.999).refused?.code).toBe('overloaded');
      expect(run(500, 0.999).refused?.code).toBe('overloaded');
    });

    it('when a vote is refused for loop delay, then it takes no place, gets the same 503 with Retry-After, and is counted as loop_delay', () => {
      const r = run(100, 0.5);
      expect(r.load).toBe(0);
      expect(r.refused).toMatchObject({ status: 503, code: 'overloaded' });
      expect(r.refused?.headers['Retry-After']).toBe('3');
      expect(r.signals).toEqual(['loop_delay']);
    });

    it('when the bound of votes in flight is reached, then the refusal is counted as in_flight', () => {
      const signals: OverloadSignal[] = [];
      const { a } = admission(1, { maxLoopDelayMs: 40, loopDelayMs: () => 0, refused: (s) => signals.push(s) });
      expect(a.enter()).toBeNull();
      expect(a.enter()?.code).toBe('overloaded');
      expect(signals).toEqual(['in_flight']);
    });

    it('when the threshold is 0, then the loop delay is not consulted', () => {
      let read = 0;
      const { a } = admission(10, { maxLoopDelayMs: 0, loopDelayMs: () => (read++, 1000) });
      expect(a.enter()).toBeNull();
      expect(read).toBe(0);
    });
  });
});
