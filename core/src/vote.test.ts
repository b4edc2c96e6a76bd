import { describe, expect, it } from 'vitest';
import { decodeVote, encodeVote, hourBucket } from './vote.js';

describe('hourBucket', () => {
  it('when a vote is cast at 14:59:59.999 UTC, then it counts in the 14:00 hour', () => {
    expect(hourBucket(Date.UTC(2026, 10, 23, 14, 59, 59, 999))).toBe('2026-11-23T14:00:00.000Z');
  });
  it('when a vote is cast exactly on the hour, then it starts the new hour', () => {
    expect(hourBucket(Date.UTC(2026, 10, 23, 15, 0, 0, 0))).toBe('2026-11-23T15:00:00.000Z');
  });
});

describe('decodeVote', () => {
  const vote = { v: 1 as const, voteId: 'abcdef0123456789', paredaoId: 'p1', candidateId: 'a', acceptedAt: 1_700_000_000_000 };

  it('when the message is a vote, then it round-trips', () => {
    expect(decodeVote(encodeVote(vote))).toEqual({ ok: true, vote });
  });
  it('when the message is not JSON, then it is poison', () => {
    expect(decodeVote(Buffer.from('{nope'))).toMatchObject({ ok: false, reason: 'not JSON' });
  });
  it('when a field is missing or of the wrong type, then it is poison', () => {
    expect(decodeVote(Buffer.from(JSON.stringify({ ...vote, candidateId: 3 }))).ok).toBe(false);
    const { voteId: _drop, ...noId } = vote;
    expect(decodeVote(Buffer.from(JSON.stringify(noId))).ok).toBe(false);
    expect(decodeVote(Buffer.from(JSON.stringify({ ...vote, v: 2 }))).ok).toBe(false);
  });
});
