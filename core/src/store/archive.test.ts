import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeIds, encodeIds, mergeBlobs } from './archive.js';
import { combinedMark, LowWatermark } from './watermark.js';

describe('archive blobs', () => {
  it('when api ids (128-bit hex) are archived, then they come back sorted, each once, in at most 20 bytes per id', () => {
    const a = Array.from({ length: 20_000 }, () => randomBytes(16).toString('hex'));
    const b = Array.from({ length: 5_000 }, () => randomBytes(16).toString('hex'));
    const blob = encodeIds(new Map([['a', a], ['b', b]]));
    const back = decodeIds(blob);
    expect(back.get('a')).toEqual({ count: a.length, ids: [...a].sort() });
    expect(back.get('b')?.ids).toEqual([...b].sort());
    expect(blob.length / 25_000).toBeLessThanOrEqual(20);
  });

  it('when ids of any other shape are archived, then they come back as they were', () => {
    const ids = ['v-0001', 'v-0002', 'ção-3', 'ABCDEF'];
    expect(decodeIds(encodeIds(new Map([['x', ids]]))).get('x')?.ids).toEqual([...ids].sort());
  });

  it('when blobs are merged, then the merged one holds every id of each and counts them', () => {
    const one = encodeIds(new Map([['a', ['00aa', '00ab']]]));
    const two = encodeIds(new Map([['a', ['00ac']], ['b', ['ff00']]]));
    const { blob, votes } = mergeBlobs([one, two]);
    expect(votes).toBe(4);
    expect([...decodeIds(blob)].map(([c, { ids }]) => [c, ids])).toEqual([['a', ['00aa', '00ab', '00ac']], ['b', ['ff00']]]);
    expect([...decodeIds(blob, false)].map(([c, { count }]) => [c, count])).toEqual([['a', 3], ['b', 1]]);
  });
});

describe('low watermark', () => {
  it('when nothing was acked (an outage), then there is no mark, however much is in flight', () => {
    const w = new LowWatermark(1000);
    w.delivered({}, 5000);
    expect(w.mark()).toBeNull();
  });

  it('when deliveries are acked, then the mark is the newest acked acceptedAt, or the oldest in flight if older, less the slack', () => {
    const w = new LowWatermark(1000);
    const d1 = {};
    const d2 = {};
    const d3 = {};
    w.delivered(d1, 10_000);
    w.delivered(d2, 9_000);
    w.acked(d1, 12_000);
    expect(w.mark()).toBe(8_000);
    w.acked(d2, 11_000);
    expect(w.mark()).toBe(11_000);
    w.delivered(d3, 20_000);
    expect(w.mark()).toBe(11_000);
    w.dropped(d3);
    w.delivered(d3, 2_000);
    w.lost();
    expect(w.mark()).toBe(11_000);
  });

  it('when consumers report marks, then the store keeps the smallest, never lower than before', () => {
    expect(combinedMark(0, [5, 3, 9])).toBe(3);
    expect(combinedMark(4, [5, 3, 9])).toBe(4);
    expect(combinedMark(4, [])).toBe(4);
  });
});
