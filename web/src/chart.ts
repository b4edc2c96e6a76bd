// Geometry of the per-hour stacked bar chart, apart from the DOM so it can be unit-tested.
import type { Results } from './api.ts';

export type Hour = Results['hourly'][number];

const HOUR_MS = 3_600_000;
/** Past this many hours (two weeks) gaps are not filled: the table would become a calendar. */
const MAX_FILLED_HOURS = 24 * 14;

/**
 * The API lists only hours that have votes. Fill the gaps between the first and the last (and up to
 * `until`, the current hour) with zero rows, so the chart's time axis is honest. Hours come out as
 * `Date#toISOString()` whatever ISO spelling the API used, so they compare as strings.
 */
export function fillHours(hourly: Hour[], candidateIds: string[], until?: string): Hour[] {
  const known = new Map(hourly.map((h) => [Date.parse(h.hour), h]));
  const times = [...known.keys()].filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
  if (times.length === 0) return [];
  const first = times[0]!;
  let last = times[times.length - 1]!;
  const untilMs = until ? Date.parse(until) : Number.NaN;
  if (!Number.isNaN(untilMs) && untilMs > last) last = untilMs;
  const normal = (t: number, h: Hour | undefined): Hour =>
    h ? { ...h, hour: new Date(t).toISOString() } : { hour: new Date(t).toISOString(), total: 0, byCandidate: Object.fromEntries(candidateIds.map((id) => [id, 0])) };
  if ((last - first) / HOUR_MS > MAX_FILLED_HOURS) return times.map((t) => normal(t, known.get(t)));
  const out: Hour[] = [];
  for (let t = first; t <= last; t += HOUR_MS) out.push(normal(t, known.get(t)));
  return out;
}

/** A tick step of 1, 2 or 5 × 10^k giving about `count` intervals up to `max`. */
export function niceStep(max: number, count = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10;
  return Math.max(1, step * mag);
}

export interface Segment {
  candidateId: string;
  position: number;
  value: number;
  y: number;
  h: number;
}

export interface Bar {
  hour: string;
  total: number;
  x: number;
  w: number;
  segments: Segment[];
  showLabel: boolean;
}

export interface ChartLayout {
  width: number;
  height: number;
  plot: { x: number; y: number; w: number; h: number };
  yMax: number;
  yTicks: { value: number; y: number }[];
  bars: Bar[];
}

export function layoutStackedBars(hourly: Hour[], candidateIds: string[], width: number, height: number): ChartLayout {
  const plot = { x: 56, y: 12, w: Math.max(40, width - 56 - 12), h: Math.max(40, height - 12 - 32) };
  const maxTotal = Math.max(0, ...hourly.map((h) => candidateIds.reduce((s, id) => s + (h.byCandidate[id] ?? 0), 0)));
  const step = niceStep(maxTotal);
  const yMax = Math.max(step, Math.ceil(maxTotal / step) * step);
  const scale = (v: number) => (v / yMax) * plot.h;

  const yTicks: ChartLayout['yTicks'] = [];
  for (let v = 0; v <= yMax; v += step) yTicks.push({ value: v, y: plot.y + plot.h - scale(v) });

  const slot = hourly.length > 0 ? plot.w / hourly.length : plot.w;
  const barW = Math.max(2, Math.min(56, slot * 0.7));
  // Axis labels about every 48 px, whatever the number of hours.
  const labelEvery = Math.max(1, Math.ceil(48 / slot));

  const bars = hourly.map((h, i): Bar => {
    let base = plot.y + plot.h;
    const segments: Segment[] = [];
    candidateIds.forEach((id, position) => {
      const value = h.byCandidate[id] ?? 0;
      if (value <= 0) return;
      const segH = scale(value);
      base -= segH;
      segments.push({ candidateId: id, position, value, y: base, h: segH });
    });
    const total = segments.reduce((s, seg) => s + seg.value, 0);
    return { hour: h.hour, total, x: plot.x + slot * i + (slot - barW) / 2, w: barW, segments, showLabel: (hourly.length - 1 - i) % labelEvery === 0 };
  });

  return { width, height, plot, yMax, yTicks, bars };
}
