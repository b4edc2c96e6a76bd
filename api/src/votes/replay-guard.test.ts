import type { Store } from '@paredao/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ReplayGuard } from './replay-guard.js';

const id = (n: number) => `${(n + 0x10000).toString(16).padStart(16, '0')}${'f'.repeat(16)}`;
/** Only appliedSince is used by the guard: a store that has applied the given rows. */
const storeWith = (rows: { voteId: string; appliedAt: number }[]) =>
  ({ appliedSince: async (since: number, limit: number) => rows.filter((r) => r.appliedAt >= since).slice(0, limit) }) as unknown as Store;

describe('ReplayGuard', () => {
  const expiryMs = 120_000;
  const log = pino({ level: 'silent' });

  it('when an id is claimed twice within its proof lifetime, then the second claim is refused', async () => {
    const g = new ReplayGuard(storeWith([]), expiryMs, log, 0);
    expect(await g.claim(id(1), 1000)).toBe(true);
    expect(await g.claim(id(1), 1000 + expiryMs - 1)).toBe(false);
  });

  it('when a claim was released (publish failed), then the voter may use the proof again', async () => {
    const g = new ReplayGuard(storeWith([]), expiryMs, log, 0);
    expect(await g.claim(id(2), 1000)).toBe(true);
    g.release(id(2));
    expect(await g.claim(id(2), 1001)).toBe(true);
  });

  it('when ids have outlived any proof they could belong to, then they are dropped: memory stays bounded at a steady rate', async () => {
    const g = new ReplayGuard(storeWith([]), expiryMs, log, 0);
    const perSecond = 500;
    let n = 0;
    for (let s = 0; s < 600; s++) for (let i = 0; i < perSecond; i++) await g.claim(id(++n), s * 1000 + i);
    // Held: at most one expiry period plus one bucket (1/12 of it) of claims, not the whole 10 minutes.
    expect(g.size).toBeLessThanOrEqual(perSecond * (expiryMs / 1000) * (1 + 1 / 12) + perSecond);
    expect(g.size).toBeGreaterThanOrEqual(perSecond * (expiryMs / 1000) - perSecond);
  });

  it('when the consumer applied a vote through another instance, then a sync makes this one refuse it', async () => {
    const g = new ReplayGuard(storeWith([{ voteId: id(3), appliedAt: 5000 }]), expiryMs, log, 0);
    await g.sync(6000);
    expect(await g.claim(id(3), 6000)).toBe(false);
    expect(await g.claim(id(4), 6000)).toBe(true);
  });

});
