// Pure pt-BR formatting: no DOM here, so it is unit-tested in node and reused by the browser test.

/** Hours are UTC buckets in the API; the show runs on Brasília time (README, Paredões). */
export const SHOW_TIME_ZONE = 'America/Sao_Paulo';

const integer = new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat('pt-BR', {
  style: 'percent',
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});
const dayAndHour = new Intl.DateTimeFormat('pt-BR', {
  timeZone: SHOW_TIME_ZONE,
  day: '2-digit',
  month: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const hourOnly = new Intl.DateTimeFormat('pt-BR', {
  timeZone: SHOW_TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const clock = new Intl.DateTimeFormat('pt-BR', {
  timeZone: SHOW_TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** 1234567 → "1.234.567". */
export function formatInt(n: number): string {
  return integer.format(n);
}

/** "1 voto", "1.234 votos". */
export function formatVotes(n: number): string {
  return `${formatInt(n)} ${n === 1 ? 'voto' : 'votos'}`;
}

/** The API's percent is 0–100 with one decimal: 55.3 → "55,3%". */
export function formatPercent(p: number): string {
  const clamped = Number.isFinite(p) ? Math.min(100, Math.max(0, p)) : 0;
  return percent.format(clamped / 100);
}

/** Width of a bar in CSS percent, never negative nor over 100, as a string for a custom property. */
export function barWidth(p: number): string {
  const clamped = Number.isFinite(p) ? Math.min(100, Math.max(0, p)) : 0;
  return `${clamped}%`;
}

function parts(fmt: Intl.DateTimeFormat, iso: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of fmt.formatToParts(new Date(iso))) out[part.type] = part.value;
  return out;
}

/**
 * An hour bucket (UTC ISO start of hour) as Brasília time: "23/11 11:00–12:00".
 * The end is computed from the instant one hour later, so it stays right across offset changes.
 */
export function formatHourRange(isoHour: string): string {
  const start = parts(dayAndHour, isoHour);
  const endIso = new Date(Date.parse(isoHour) + 3_600_000).toISOString();
  const end = parts(hourOnly, endIso);
  return `${start.day}/${start.month} ${start.hour}:${start.minute}–${end.hour}:${end.minute}`;
}

/** Short axis label for an hour bucket in Brasília time: "11h". */
export function formatHourShort(isoHour: string): string {
  const p = parts(hourOnly, isoHour);
  return p.minute === '00' ? `${p.hour}h` : `${p.hour}:${p.minute}`;
}

/** A timestamp as a Brasília wall clock: "14:03:22". */
export function formatClock(iso: string): string {
  const p = parts(clock, iso);
  return `${p.hour}:${p.minute}:${p.second}`;
}

/** A moment as Brasília date and time: "23/11 às 21:30". */
export function formatDateTime(iso: string): string {
  const p = parts(dayAndHour, iso);
  return `${p.day}/${p.month} às ${p.hour}:${p.minute}`;
}

/** The UTC start of the hour holding `at`, as the API writes it ("2026-11-23T14:00:00.000Z"). */
export function utcHourStart(at: Date): string {
  const d = new Date(at.getTime());
  d.setUTCMinutes(0, 0, 0);
  return d.toISOString();
}

/** Initials for a placeholder avatar: "Ana Paula" → "AP", "Participante 1" → "P1", "Bia" → "BI". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/u).filter(Boolean);
  const first = words[0] ?? '';
  if (words.length === 0) return '?';
  if (words.length === 1) return Array.from(first).slice(0, 2).join('').toLocaleUpperCase('pt-BR');
  const last = words[words.length - 1] ?? '';
  return (Array.from(first)[0]! + Array.from(last)[0]!).toLocaleUpperCase('pt-BR');
}

/** A stable small number for a participant id, to pick one of the palette's colour classes. */
export function colourIndex(position: number, paletteSize = 4): number {
  return ((position % paletteSize) + paletteSize) % paletteSize;
}
