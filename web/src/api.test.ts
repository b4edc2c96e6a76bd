import { describe, expect, it } from 'vitest';
import { ApiError, DEFAULT_RETRY_SECONDS, MAX_RETRY_SECONDS, isResults, parseErrorBody, parseRetryAfter, retryDelayFor } from './api.ts';

describe('Retry-After', () => {
  const now = Date.parse('2026-11-23T14:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter(' 30 ', now)).toBe(30);
  });

  it('reads an HTTP-date as the seconds left until it', () => {
    expect(parseRetryAfter('Mon, 23 Nov 2026 14:00:12 GMT', now)).toBe(12);
  });

  it('waits at least one second and at most the cap', () => {
    expect(parseRetryAfter('0', now)).toBe(1);
    expect(parseRetryAfter('Mon, 23 Nov 2026 13:00:00 GMT', now)).toBe(1);
    expect(parseRetryAfter('86400', now)).toBe(MAX_RETRY_SECONDS);
  });

  it('returns null for a missing or unreadable header', () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter('', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
  });

  it('retries 429 and 503 after the header, or a default without one; not 400/403/409', () => {
    expect(retryDelayFor(429, '9', now)).toBe(9);
    expect(retryDelayFor(503, null, now)).toBe(DEFAULT_RETRY_SECONDS);
    expect(retryDelayFor(502, null, now)).toBe(DEFAULT_RETRY_SECONDS);
    for (const status of [400, 403, 409, 413, 415, 500]) expect(retryDelayFor(status, '3', now)).toBeNull();
  });
});

describe('error bodies', () => {
  it('reads { error: { code, message } }', () => {
    expect(parseErrorBody({ error: { code: 'voting_closed', message: 'closed' } })).toEqual({ code: 'voting_closed', message: 'closed' });
    expect(parseErrorBody({ error: { code: 'x' } })).toEqual({ code: 'x', message: '' });
  });

  it('returns null for anything else', () => {
    expect(parseErrorBody(null)).toBeNull();
    expect(parseErrorBody('<html>')).toBeNull();
    expect(parseErrorBody({ error: 'boom' })).toBeNull();
    expect(parseErrorBody({ error: { message: 'no code' } })).toBeNull();
  });

  it('marks an ApiError retryable only when it has a delay', () => {
    expect(new ApiError(503, 'broker_unavailable', '', 5).retryable).toBe(true);
    expect(new ApiError(403, 'antibot_replayed', '', null).retryable).toBe(false);
  });
});

describe('results shape check', () => {
  const good = {
    paredaoId: 'p',
    total: 3,
    candidates: [{ id: 'a', name: 'A', votes: 3, percent: 100 }],
    hourly: [{ hour: '2026-11-23T14:00:00.000Z', total: 3, byCandidate: { a: 3 } }],
    updatedAt: '2026-11-23T14:00:01.000Z',
  };

  it('accepts the production URL object', () => {
    expect(isResults(good)).toBe(true);
  });

  it('rejects bodies a page could not render', () => {
    expect(isResults({ ...good, total: '3' })).toBe(false);
    expect(isResults({ ...good, candidates: [{ id: 'a', name: 'A', votes: 3 }] })).toBe(false);
    expect(isResults({ ...good, hourly: [{ hour: 'x', total: 1, byCandidate: null }] })).toBe(false);
    expect(isResults({ error: { code: 'x', message: 'y' } })).toBe(false);
  });
});
