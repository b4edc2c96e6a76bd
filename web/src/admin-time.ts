// Dates for the administration page: the production team works in Brasília time whatever the
// browser's zone is, so the datetime-local fields are read and written in that zone explicitly.
import { SHOW_TIME_ZONE as TIME_ZONE } from './format.ts';

const dateTime = new Intl.DateTimeFormat('pt-BR', {
  timeZone: TIME_ZONE,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

const partsFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** "23/11/2026, 20:30" in Brasília time; "—" when there is no date. */
export function formatDateTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function partsOf(ms: number): WallTime {
  const out: Record<string, number> = {};
  for (const p of partsFormat.formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 0,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** Milliseconds to add to a UTC instant to get the zone's wall clock at that instant. */
function zoneOffset(ms: number): number {
  const w = partsOf(ms);
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wallAsUtc - Math.floor(ms / 1000) * 1000;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * The value of an `<input type="datetime-local">` ("2026-11-23T20:30"), read as Brasília time, as an
 * ISO UTC string. Undefined for an empty or malformed value.
 */
export function localInputToIso(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const wallAsUtc = Date.UTC(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s);
  // The offset at the guessed instant can differ from the one at the answer across a zone change;
  // a second pass settles it.
  let utc = wallAsUtc - zoneOffset(wallAsUtc);
  utc = wallAsUtc - zoneOffset(utc);
  return new Date(utc).toISOString();
}

/** An ISO instant as a datetime-local value in Brasília time, for editing a saved draft. */
export function isoToLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const ms = new Date(iso).getTime();
  if (Number.isNaN(ms)) return '';
  const w = partsOf(ms);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}
