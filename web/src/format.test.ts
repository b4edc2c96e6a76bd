import { describe, expect, it } from 'vitest';
import { barWidth, formatClock, formatDateTime, formatHourRange, formatHourShort, formatInt, formatPercent, formatVotes, initials, utcHourStart } from './format.ts';

describe('pt-BR numbers', () => {
  it('groups thousands with dots', () => {
    expect(formatInt(1234567)).toBe('1.234.567');
    expect(formatInt(0)).toBe('0');
  });

  it('says voto in the singular and votos otherwise', () => {
    expect(formatVotes(1)).toBe('1 voto');
    expect(formatVotes(0)).toBe('0 votos');
    expect(formatVotes(1500)).toBe('1.500 votos');
  });

  it('renders the API percent (0–100, one decimal) with a decimal comma', () => {
    expect(formatPercent(55.3)).toBe('55,3%');
    expect(formatPercent(100)).toBe('100,0%');
    expect(formatPercent(0)).toBe('0,0%');
    expect(formatPercent(33.35)).toMatch(/^33,[34]%$/u);
  });

  it('never renders a nonsense percent or bar width', () => {
    expect(formatPercent(Number.NaN)).toBe('0,0%');
    expect(formatPercent(140)).toBe('100,0%');
    expect(barWidth(-3)).toBe('0%');
    expect(barWidth(42.5)).toBe('42.5%');
    expect(barWidth(Number.POSITIVE_INFINITY)).toBe('0%');
  });
});

describe('hours in America/Sao_Paulo', () => {
  it('shows a UTC bucket three hours earlier (Brasília has no daylight saving since 2019)', () => {
    expect(formatHourRange('2026-11-23T14:00:00.000Z')).toBe('23/11 11:00–12:00');
    expect(formatHourShort('2026-11-23T14:00:00.000Z')).toBe('11h');
  });

  it('moves a bucket just after midnight UTC to the previous day', () => {
    expect(formatHourRange('2026-01-01T01:00:00Z')).toBe('31/12 22:00–23:00');
  });

  it('ends the last hour of the day at 00:00, not 24:00', () => {
    expect(formatHourRange('2026-03-10T02:00:00Z')).toBe('09/03 23:00–00:00');
  });

  it('keeps the historic daylight-saving offset for old dates', () => {
    // 2018-12-01 was under Brazilian summer time (UTC−2).
    expect(formatHourShort('2018-12-01T14:00:00Z')).toBe('12h');
  });

  it('formats a scheduled opening as Brasília date and time', () => {
    expect(formatDateTime('2026-11-24T00:30:00Z')).toBe('23/11 às 21:30');
  });

  it('formats a timestamp as a 24-hour wall clock', () => {
    expect(formatClock('2026-11-23T17:05:09.123Z')).toBe('14:05:09');
  });

  it('computes the UTC start of the current hour the way the API writes it', () => {
    expect(utcHourStart(new Date('2026-11-23T14:59:59.999Z'))).toBe('2026-11-23T14:00:00.000Z');
  });
});

describe('avatar initials', () => {
  it('takes the first letters of the first and last names', () => {
    expect(initials('Ana Paula')).toBe('AP');
    expect(initials('  maria  da   silva ')).toBe('MS');
    expect(initials('Participante 1')).toBe('P1');
  });

  it('takes two letters of a single name and copes with accents and emptiness', () => {
    expect(initials('Bia')).toBe('BI');
    expect(initials('Ícaro')).toBe('ÍC');
    expect(initials('   ')).toBe('?');
  });
});
