import { expect } from 'vitest';
import type { FaultRow } from '@paredao/testkit/fault-audit';

/**
 * What every fault scenario in CI must show, whatever the fault (tests/e2e/faults.test.ts and
 * cluster.test.ts): nothing accepted is lost, nothing is counted twice, every counted vote is either a
 * 202 or a request whose publish was confirmed after it gave up, the hourly rows add up, and nothing
 * was dead-lettered. Prints the row first, so a CI log has the figures even when it passes.
 */
export function expectNothingLostNothingDoubled(r: FaultRow): void {
  console.log(`${r.scenario}: ${r.fault}; ${r.requests} requests, ${r.accepted} × 202, counted ${r.counted}, lost ${r.lost}, counted without 202 ${r.extraWithout202}, doubled ${r.doubled}, ${JSON.stringify(r.statuses)}, errors for ${r.errorSpanSec?.toFixed(1) ?? 'no'} s; ${r.notes}`);
  expect(r.accepted).toBeGreaterThan(0);
  expect(r.lost).toBe(0);
  expect(r.doubled).toBe(0);
  expect(r.unknown).toBe(0);
  expect(r.counted).toBe(r.accepted + (r.confirmedByReplay ?? 0) + r.extraWithout202);
  expect(r.hourlyAddsUp).toBe(true);
  expect(r.dead).toBe(0);
}
