import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

describe('Batcher', () => {
  it('when max items arrive, then they are flushed at once as one batch', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>(3, 10_000, async (x) => void batches.push(x));
    [1, 2, 3, 4].forEach((i) => b.add(i));
    await new Promise((r) => setTimeout(r, 5));
    expect(batches).toEqual([[1, 2, 3]]);
    expect(b.pending).toBe(1);
    await b.drain();
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('when fewer than max arrive, then they are flushed after the wait', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>(100, 20, async (x) => void batches.push(x));
    b.add(1);
    b.add(2);
    expect(batches).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(batches).toEqual([[1, 2]]);
  });

  it('when a flush is slow, then the next batch waits for it: flushes never overlap', async () => {
    let active = 0;
    let maxActive = 0;
    const b = new Batcher<number>(2, 1, async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 10));
      active--;
    });
    for (let i = 0; i < 10; i++) b.add(i);
    await b.drain();
    expect(maxActive).toBe(1);
  });

  it('when discarded, then waiting items are dropped', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>(10, 5, async (x) => void batches.push(x));
    b.add(1);
    b.discard();
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toEqual([]);
  });

  it('when items carry weights, then a batch holds at most max weight and an over-heavy item goes alone', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>(10, 10_000, async (x) => void batches.push(x));
    b.add(1, 4);
    b.add(2, 4);
    b.add(3, 4); // 12 ≥ 10: [1, 2] goes (8), 3 waits
    b.add(4, 25); // 29: [3] alone would be 4, with 4 it is 29 > 10, so [3] then [4]
    await new Promise((r) => setTimeout(r, 5));
    expect(batches).toEqual([[1, 2], [3], [4]]);
    expect(b.pending).toBe(0);
  });
});
