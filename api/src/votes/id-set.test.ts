import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IdSet } from './id-set.js';

describe('IdSet', () => {
  it('when many ids are added, then each is found once and unknown ids are not', () => {
    const s = new IdSet(4);
    const ids = Array.from({ length: 50_000 }, () => randomBytes(16).toString('hex'));
    expect(ids.filter((id) => s.add(id))).toHaveLength(ids.length);
    expect(ids.filter((id) => s.add(id))).toHaveLength(0);
    expect(s.size).toBe(50_000);
    expect(ids.every((id) => s.has(id))).toBe(true);
    expect(Array.from({ length: 1000 }, () => randomBytes(16).toString('hex')).some((id) => s.has(id))).toBe(false);
    // 8 bytes per slot, at most ~2.7 slots per id after growth: far below a Set of strings.
    expect(s.bytes / s.size).toBeLessThan(24);
  });

  it('when an id is deleted, then it can be added again, and ids after it in a probe chain are still found', () => {
    const s = new IdSet(4);
    const ids = Array.from({ length: 2000 }, () => randomBytes(16).toString('hex'));
    ids.forEach((id) => s.add(id));
    for (const id of ids.slice(0, 1000)) expect(s.delete(id)).toBe(true);
    expect(s.delete(ids[0]!)).toBe(false);
    expect(ids.slice(1000).every((id) => s.has(id))).toBe(true);
    expect(ids.slice(0, 1000).some((id) => s.has(id))).toBe(false);
    expect(s.add(ids[0]!)).toBe(true);
    expect(s.size).toBe(1001);
  });

  it('when ids are not hex (or hex with zero leading bits), then they are keyed too', () => {
    const s = new IdSet();
    expect(s.add('vote-a')).toBe(true);
    expect(s.add('vote-b')).toBe(true);
    expect(s.has('vote-a')).toBe(true);
    expect(s.add('0000000000000000ffff')).toBe(true);
    expect(s.has('0000000000000000ffff')).toBe(true);
    expect(s.has('0000000000000005ffff')).toBe(false);
  });
});
