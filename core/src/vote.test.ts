import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeBatch, encodeBatchEntry, encodeVote, hourBucket, modeOf, voteMessageSchema } from './vote.js';

describe('hourBucket', () => {
  it('when a vote is cast at 14:59:59.999 UTC, then it counts in the 14:00 hour', () => {
    expect(hourBucket(Date.UTC(2026, 10, 23, 14, 59, 59, 999))).toBe('2026-11-23T14:00:00.000Z');
  });
  it('when a vote is cast exactly on the hour, then it starts the new hour', () => {
    expect(hourBucket(Date.UTC(2026, 10, 23, 15, 0, 0, 0))).toBe('2026-11-23T15:00:00.000Z');
  });
});

describe('decodeMessage', () => {
  const vote = { v: 1 as const, voteId: 'abcdef0123456789', paredaoId: 'p1', candidateId: 'a', acceptedAt: 1_700_000_000_000 };
  const { v: _v, ...entry } = vote;

  it('when the message is a single vote (v1), then it round-trips', () => {
    expect(decodeMessage(encodeVote(vote))).toEqual({ ok: true, votes: [vote], rejected: [] });
  });
  it('when the message is a batch (v2), then every vote comes out in order, as v1 votes', () => {
    const second = { ...vote, voteId: 'fedcba9876543210', candidateId: 'b', reqId: 'r-2' };
    const body = encodeBatch([encodeBatchEntry(vote), encodeBatchEntry(second)]);
    expect(decodeMessage(body)).toEqual({ ok: true, votes: [vote, second], rejected: [] });
  });
  it('when one entry of a batch is malformed, then only that entry is rejected, by index', () => {
    const body = Buffer.from(JSON.stringify({ v: 2, votes: [entry, { ...entry, candidateId: 3 }, 'junk', { ...entry, voteId: '0123456789abcdef' }] }));
    const d = decodeMessage(body);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.votes.map((v) => v.voteId)).toEqual([vote.voteId, '0123456789abcdef']);
    expect(d.rejected.map((r) => r.index)).toEqual([1, 2]);
  });
  it('when the message is not JSON, then it is poison', () => {
    expect(decodeMessage(Buffer.from('{nope'))).toMatchObject({ ok: false, reason: 'not JSON' });
  });
  it('when a batch has no vote list, then it is poison', () => {
    expect(decodeMessage(Buffer.from('{"v":2}')).ok).toBe(false);
    expect(decodeMessage(Buffer.from('{"v":2,"votes":[]}')).ok).toBe(false);
  });
  it('when a field is missing or of the wrong type, then it is poison', () => {
    expect(decodeMessage(Buffer.from(JSON.stringify({ ...vote, candidateId: 3 }))).ok).toBe(false);
    const { voteId: _drop, ...noId } = vote;
    expect(decodeMessage(Buffer.from(JSON.stringify(noId))).ok).toBe(false);
    expect(decodeMessage(Buffer.from(JSON.stringify({ ...vote, v: 3 }))).ok).toBe(false);
  });
});

describe('vote mode on the queue', () => {
  const base = { voteId: 'abcdef0123456789', paredaoId: 'p1', candidateId: 'a', acceptedAt: 1_700_000_000_000 };

  it('when a batch entry carries its mode, then it comes out with it', () => {
    const [torcida, unico] = [encodeBatchEntry({ ...base, mode: 'torcida' }), encodeBatchEntry({ ...base, voteId: 'abcdef0123456780', mode: 'unico' })];
    const decoded = decodeMessage(encodeBatch([torcida, unico]));
    expect(decoded.ok && decoded.votes.map(modeOf)).toEqual(['torcida', 'unico']);
  });

  it('when a message from an api older than the modes has none, then its vote is Torcida', () => {
    const decoded = decodeMessage(Buffer.from(JSON.stringify({ v: 1, ...base })));
    expect(decoded.ok && decoded.votes[0]!.mode).toBeUndefined();
    expect(decoded.ok && modeOf(decoded.votes[0]!)).toBe('torcida');
  });

  it('when the mode is not one of the two, then the vote is refused', () => {
    expect(decodeMessage(encodeBatch([JSON.stringify({ ...base, mode: 'avulso' })]))).toMatchObject({ ok: true, votes: [], rejected: [{ index: 0 }] });
  });
});

describe('batch entries at the edges of the vote schema', () => {
  const ok = { voteId: 'a'.repeat(32), paredaoId: 'p', candidateId: 'c', acceptedAt: 1_764_547_200_000 };
  const edges: unknown[] = [
    ok,
    { ...ok, reqId: 'r', mode: 'unico' },
    { ...ok, voteId: 'a'.repeat(8) },
    { ...ok, voteId: 'a'.repeat(7) },
    { ...ok, voteId: 'a'.repeat(128) },
    { ...ok, voteId: 'a'.repeat(129) },
    { ...ok, paredaoId: '' },
    { ...ok, paredaoId: 'p'.repeat(64) },
    { ...ok, paredaoId: 'p'.repeat(65) },
    { ...ok, candidateId: '' },
    { ...ok, candidateId: 'c'.repeat(65) },
    { ...ok, candidateId: 3 },
    { ...ok, acceptedAt: 0 },
    { ...ok, acceptedAt: -1 },
    { ...ok, acceptedAt: 1.5 },
    { ...ok, acceptedAt: 8.64e15 },
    { ...ok, acceptedAt: 8.64e15 + 1 },
    { ...ok, acceptedAt: 1e300 },
    { ...ok, acceptedAt: '1764547200000' },
    { ...ok, reqId: '' },
    { ...ok, reqId: 'r'.repeat(128) },
    { ...ok, reqId: 'r'.repeat(129) },
    { ...ok, reqId: null },
    { ...ok, mode: 'torcida' },
    { ...ok, mode: 'avulso' },
    { ...ok, mode: null },
    { ...ok, extra: 'dropped' },
    { voteId: ok.voteId, paredaoId: 'p', candidateId: 'c' },
    [ok],
    null,
    'vote',
    7,
  ];
  it('when entries sit on either side of each limit, then each is decoded exactly as the schema parses it', () => {
    const decoded = decodeMessage(encodeBatch(edges.map((e) => JSON.stringify(e))));
    if (!decoded.ok) throw new Error('a batch with valid entries decodes');
    const schema = voteMessageSchema.omit({ v: true });
    const expected = edges.map((e) => schema.safeParse(e)).flatMap((r) => (r.success ? [{ v: 1, ...r.data }] : []));
    expect(decoded.votes).toStrictEqual(expected);
    expect(decoded.rejected.map((r) => r.index)).toEqual(edges.flatMap((e, i) => (schema.safeParse(e).success ? [] : [i])));
    expect(decoded.votes.length).toBeGreaterThan(5);
    expect(decoded.rejected.length).toBeGreaterThan(15);
  });
});

describe('hourBucket across hours', () => {
  it('when votes alternate between two hours, then each gets its own hour', () => {
    const h = Date.UTC(2026, 11, 5, 9);
    expect([h - 1, h, h - 1, h + 3_599_999, h + 3_600_000].map(hourBucket)).toEqual([
      '2026-12-05T08:00:00.000Z',
      '2026-12-05T09:00:00.000Z',
      '2026-12-05T08:00:00.000Z',
      '2026-12-05T09:00:00.000Z',
      '2026-12-05T10:00:00.000Z',
    ]);
  });
});
