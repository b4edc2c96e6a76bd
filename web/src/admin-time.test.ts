import { describe, expect, it } from 'vitest';
import { formatDateTime, isoToLocalInput, localInputToIso } from './admin-time.ts';

describe('admin times are Brasília time whatever the browser zone is', () => {
  it('when a datetime-local value is read, then it is taken as America/Sao_Paulo (UTC−3) and sent as UTC', () => {
    expect(localInputToIso('2026-11-23T20:30')).toBe('2026-11-23T23:30:00.000Z');
    expect(localInputToIso('2026-12-31T22:00')).toBe('2027-01-01T01:00:00.000Z');
  });

  it('when a date falls in the old Brazilian summer time (2018), then the offset of that date is used', () => {
    // 2018-12-01 was UTC−2 in São Paulo; the zone database knows it.
    expect(localInputToIso('2018-12-01T12:00')).toBe('2018-12-01T14:00:00.000Z');
  });

  it('when the value is empty or malformed, then there is no date', () => {
    expect(localInputToIso('')).toBeUndefined();
    expect(localInputToIso('23/11/2026 20:30')).toBeUndefined();
  });

  it('when a saved instant is edited, then the input shows it in Brasília time and round-trips', () => {
    expect(isoToLocalInput('2026-11-23T23:30:00.000Z')).toBe('2026-11-23T20:30');
    expect(localInputToIso(isoToLocalInput('2026-07-04T03:05:00.000Z'))).toBe('2026-07-04T03:05:00.000Z');
    expect(isoToLocalInput(undefined)).toBe('');
  });

  it('when times are shown, then they are in pt-BR and Brasília time', () => {
    expect(formatDateTime('2026-11-23T23:30:00.000Z')).toBe('23/11/2026, 20:30');
    expect(formatDateTime(undefined)).toBe('—');
  });
});
