import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Admission } from './admission.js';

function admission(maxInFlight: number, opts: { random?: () => number; now?: () => number } = {}) {
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
});
