import { describe, expect, it } from 'vitest';
import { ceilingStepText, judge, recoverySeconds, type OverloadStep, type RecoveryWindow } from './overload-report.js';

const step = (over: Partial<OverloadStep> = {}): OverloadStep => ({
  multiple: 2,
  rate: 2000,
  durationSec: 10,
  loadAvgBefore: [1, 1, 1],
  sent: 20_000,
  dropped: 0,
  networkErrors: 0,
  statuses: { 202: 9500, 503: 10_500 },
  refusals: { '503 overloaded': 10_500 },
  acceptedPerSec: 950,
  acceptedP99Ms: 120,
  refusedP99Ms: 8,
  sendLagP99Ms: 1,
  apiWorkersReplaced: 0,
  servicesDown: [],
  counted: 9500,
  lost: 0,
  doubled: 0,
  recoveryRate: 500,
  normalP99Ms: 30,
  normalLimitMs: 100,
  recoverySec: 2,
  recovery: windows('xxnnnnn'),
  ...over,
});
/** Recovery windows from a pattern: n normal, x not. */
function windows(pattern: string): RecoveryWindow[] {
  return [...pattern].map((c, i) => ({ second: i + 1, answered: 100, refused: 0, p99Ms: c === 'n' ? 20 : 300, normal: c === 'n' }));
}
const verdicts = (s: OverloadStep) => judge(s, 1000).map(([, , ok]) => ok);

describe('the overload targets, judged', () => {
  it('when latency is normal three seconds in a row, then it has recovered from the first of them; a later spike does not undo it', () => {
    expect(recoverySeconds(windows('nnnnx'))).toBe(0);
    expect(recoverySeconds(windows('xnxnnnxn'))).toBe(3);
    expect(recoverySeconds(windows('xnnxnn'))).toBeNull();
  });

  it('when every figure is within its target, then every row is met', () => {
    expect(verdicts(step())).toEqual([true, true, true, true, true, true]);
  });

  it('when goodput falls under 90 % of the ceiling, refusals are slow or time out, or votes are lost, then those rows are missed', () => {
    expect(verdicts(step({ acceptedPerSec: 899 }))[0]).toBe(false);
    expect(verdicts(step({ refusedP99Ms: 50 }))[2]).toBe(false);
    expect(verdicts(step({ networkErrors: 3 }))[2]).toBe(false);
    expect(verdicts(step({ refusals: { '502 not_json': 4 } }))[2]).toBe(false);
    expect(verdicts(step({ apiWorkersReplaced: 1 }))[3]).toBe(false);
    expect(verdicts(step({ doubled: 1 }))[4]).toBe(false);
    expect(verdicts(step({ recovery: windows('xxxxxxxnn') }))[5]).toBe(false);
    expect(verdicts(step({ recovery: windows('xxxxxxnnn') }))[5]).toBe(false);
  });

  it('when nothing was refused at all, then there was no excess to refuse and the accepted row judges the rest', () => {
    expect(verdicts(step({ refusals: {}, refusedP99Ms: 0, acceptedP99Ms: 300 }))).toEqual([true, false, true, true, true, true]);
  });
});

describe('a ceiling step in the report', () => {
  it('says which admission line refused its errors, where the run recorded it', () => {
    expect(ceilingStepText({ rate: 3000, p99: 49.2, errorRate: 0.0042, passed: false, statuses: { 202: 29_874, 503: 126 }, edgeRefused: 120 })).toBe(
      '3000 (p99 49 ms, 0.42 % errors: 503×126, 120 of them by nginx; fail)',
    );
  });

  it('an older run without those fields, or a clean step, reads as before', () => {
    expect(ceilingStepText({ rate: 2000, p99: 20, errorRate: 0, passed: true, statuses: { 202: 20_000 }, edgeRefused: 0 })).toBe('2000 (p99 20 ms; pass)');
    expect(ceilingStepText({ rate: 3000, p99: 49.2, errorRate: 0.0042, passed: false })).toBe('3000 (p99 49 ms, 0.42 % errors; fail)');
  });
});
