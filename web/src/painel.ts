import './style.css';
import { byId } from './dom.ts';
import { ApiError, getParedao, request, type Paredao, type Results } from './api.ts';
import type { AdminResults } from '@paredao/contract';
import { fillHours, layoutStackedBars, type Hour } from './chart.ts';
import { colourIndex, formatClock, formatHourRange, formatHourShort, formatInt, formatPercent, utcHourStart } from './format.ts';
import { showMode } from './live.ts';
import { MODE_NAMES, modesOf, weightingText } from './modes.ts';
import { subscribeResults } from './results.ts';

const SVG = 'http://www.w3.org/2000/svg';

const name = byId<HTMLElement>('paredao-nome');
const totalAll = byId<HTMLElement>('total-geral');
const totalHour = byId<HTMLElement>('total-hora');
const updated = byId<HTMLElement>('atualizado');
const candidatesBody = byId<HTMLTableElement>('tabela-participantes').tBodies[0]!;
const candidatesTotal = byId<HTMLElement>('total-tabela');
const candidatesTable = byId<HTMLTableElement>('tabela-participantes');
const weighting = byId<HTMLElement>('ponderacao');
const hoursTable = byId<HTMLTableElement>('tabela-horas');
const chart = byId<HTMLElement>('grafico');
const legend = byId<HTMLElement>('legenda');
const badge = byId<HTMLElement>('ao-vivo');
const badgeText = byId<HTMLElement>('ao-vivo-texto');

let last: Results | null = null;

function cell(tag: 'td' | 'th', text: string, className?: string): HTMLTableCellElement {
  const c = document.createElement(tag);
  c.textContent = text;
  if (className) c.className = className;
  if (tag === 'th') c.scope = 'row';
  return c;
}

function swatchCell(text: string, position: number): HTMLTableCellElement {
  const th = cell('th', '');
  th.className = `c${colourIndex(position)}`;
  const sw = document.createElement('span');
  sw.className = 'swatch';
  sw.setAttribute('aria-hidden', 'true');
  th.append(sw, document.createTextNode(text));
  return th;
}

function renderCandidates(r: Results): void {
  // With both modes on: each mode's votes and percentage beside the result (the weighted percentage).
  const modes = modesOf(r).length > 1 ? modesOf(r) : [];
  const th = (text: string) => {
    const c = document.createElement('th');
    c.scope = 'col';
    c.textContent = text;
    return c;
  };
  const head = document.createElement('tr');
  head.append(th('Participante'), th('Votos'), th(modes.length ? 'Resultado' : 'Percentual'), ...modes.flatMap((m) => [th(`${MODE_NAMES[m]}: votos`), th(`${MODE_NAMES[m]}: %`)]));
  candidatesTable.tHead?.replaceChildren(head);
  candidatesBody.replaceChildren(
    ...r.candidates.map((c, i) => {
      const tr = document.createElement('tr');
      tr.dataset.candidate = c.id;
      tr.append(swatchCell(c.name, i), cell('td', formatInt(c.votes)), cell('td', formatPercent(c.percent)));
      for (const m of modes) {
        const mc = r.modes[m]!.candidates[i];
        tr.append(cell('td', formatInt(mc?.votes ?? 0)), cell('td', formatPercent(mc?.percent ?? 0)));
      }
      return tr;
    }),
  );
  candidatesTotal.textContent = formatInt(r.total);
  const foot = candidatesTotal.parentElement!;
  while (foot.children.length > 3) foot.lastElementChild!.remove();
  for (const m of modes) foot.append(cell('td', formatInt(r.modes[m]!.total)), cell('td', ''));
  const text = weightingText(r);
  weighting.textContent = text ?? '';
  weighting.hidden = text === null;
}

function renderHourTable(r: Results, hours: Hour[], currentHour: string): void {
  const head = document.createElement('tr');
  const hourTh = document.createElement('th');
  hourTh.scope = 'col';
  hourTh.textContent = 'Hora';
  head.append(hourTh);
  for (const c of r.candidates) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = c.name;
    head.append(th);
  }
  const totalTh = document.createElement('th');
  totalTh.scope = 'col';
  totalTh.textContent = 'Total';
  head.append(totalTh);
  hoursTable.tHead!.replaceChildren(head);

  // Newest first: the hour on air is what the production team looks for.
  const rows = [...hours].reverse().map((h) => {
    const tr = document.createElement('tr');
    tr.dataset.hour = h.hour;
    if (h.hour === currentHour) tr.className = 'is-current';
    const label = h.hour === currentHour ? `${formatHourRange(h.hour)} (agora)` : formatHourRange(h.hour);
    tr.append(cell('th', label));
    for (const c of r.candidates) tr.append(cell('td', formatInt(h.byCandidate[c.id] ?? 0)));
    tr.append(cell('td', formatInt(h.total)));
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell('td', 'Ainda não há votos.');
    td.colSpan = r.candidates.length + 2;
    tr.append(td);
    rows.push(tr);
  }
  hoursTable.tBodies[0]!.replaceChildren(...rows);
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function renderChart(r: Results, hours: Hour[]): void {
  const width = Math.max(280, Math.round(chart.clientWidth || 600));
  const height = width < 500 ? 220 : 280;
  const ids = r.candidates.map((c) => c.id);
  const names = new Map(r.candidates.map((c) => [c.id, c.name]));
  const layout = layoutStackedBars(hours, ids, width, height);

  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': 'grafico-titulo' });
  const title = svg('title', { id: 'grafico-titulo' });
  title.textContent = 'Gráfico de votos por hora, empilhados por participante. Os números estão na tabela abaixo.';
  root.append(title);

  for (const t of layout.yTicks) {
    root.append(svg('line', { class: 'grid-line', x1: layout.plot.x, x2: layout.plot.x + layout.plot.w, y1: t.y, y2: t.y }));
    const label = svg('text', { class: 'axis-label', x: layout.plot.x - 8, y: t.y + 4, 'text-anchor': 'end' });
    label.textContent = formatInt(t.value);
    root.append(label);
  }

  if (layout.bars.length === 0) {
    const empty = svg('text', { class: 'empty', x: layout.plot.x + layout.plot.w / 2, y: layout.plot.y + layout.plot.h / 2, 'text-anchor': 'middle' });
    empty.textContent = 'Ainda não há votos.';
    root.append(empty);
  }

  for (const bar of layout.bars) {
    const g = svg('g', {});
    for (const seg of bar.segments) {
      const rect = svg('rect', { class: `seg c${colourIndex(seg.position)}`, x: bar.x, y: seg.y, width: bar.w, height: Math.max(0.5, seg.h) });
      const tip = svg('title', {});
      tip.textContent = `${formatHourRange(bar.hour)} · ${names.get(seg.candidateId) ?? seg.candidateId}: ${formatInt(seg.value)}`;
      rect.append(tip);
      g.append(rect);
    }
    if (bar.showLabel) {
      const label = svg('text', { class: 'axis-label', x: bar.x + bar.w / 2, y: layout.plot.y + layout.plot.h + 20, 'text-anchor': 'middle' });
      label.textContent = formatHourShort(bar.hour);
      g.append(label);
    }
    root.append(g);
  }
  chart.replaceChildren(root);

  legend.replaceChildren(
    ...r.candidates.map((c, i) => {
      const li = document.createElement('li');
      li.className = `c${colourIndex(i)}`;
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.setAttribute('aria-hidden', 'true');
      li.append(sw, document.createTextNode(c.name));
      return li;
    }),
  );
}

function render(r: Results): void {
  last = r;
  const currentHour = utcHourStart(new Date());
  const ids = r.candidates.map((c) => c.id);
  const hours = fillHours(r.hourly, ids, r.total > 0 ? currentHour : undefined);
  totalAll.textContent = formatInt(r.total);
  totalHour.textContent = formatInt(hours.find((h) => h.hour === currentHour)?.total ?? 0);
  updated.textContent = formatClock(r.updatedAt);
  renderCandidates(r);
  renderHourTable(r, hours, currentHour);
  renderChart(r, hours);
}

// Redraw at the new width; the SVG is drawn in real pixels so its text never scales.
let resizeTimer: number | undefined;
new ResizeObserver(() => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    if (last) render(last);
  }, 150);
}).observe(chart);

const statusText: Record<Paredao['status'], string> = {
  draft: 'em preparação',
  open: 'votação aberta',
  closed: 'votação encerrada',
};

function showParedao(p: Paredao): void {
  name.textContent = `${p.title} · ${statusText[p.status]}`;
}

getParedao().then(showParedao, () => {
  name.textContent = 'Não foi possível carregar os dados do paredão.';
});

// The panel follows the current paredão live; the picker shows any other one (past results stay),
// from the production team's API. Without a session, back to the login.
const picker = byId<HTMLSelectElement>('paredao-escolha');
const toLogin = () => window.location.assign('/admin.html?next=/painel.html');
let stopLive: (() => void) | null = null;
let pollTimer: number | undefined;

function followCurrent(): void {
  window.clearTimeout(pollTimer);
  stopLive ??= subscribeResults({
    // The public stream gives totals only while a paredão that hides partials is open; the panel is
    // behind the login and shows everything, so it then reads the admin results of that paredão.
    onResults: (r) => (r.partialsHidden ? void renderFull(r.paredaoId) : render(r)),
    // Opening and closing show up here as they happen.
    onParedao: showParedao,
    onMode: (mode) => showMode(badge, badgeText, mode),
  });
}

let fullAbort: AbortController | undefined;
async function renderFull(paredaoId: string): Promise<void> {
  fullAbort?.abort();
  const abort = (fullAbort = new AbortController());
  try {
    const r = await request<AdminResults>(`/api/admin/paredoes/${encodeURIComponent(paredaoId)}/results`, { signal: abort.signal });
    if (stopLive && !abort.signal.aborted) render(r);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) toLogin();
  }
}

async function follow(p: Paredao): Promise<void> {
  stopLive?.();
  stopLive = null;
  fullAbort?.abort();
  window.clearTimeout(pollTimer);
  showParedao(p);
  let r: AdminResults;
  try {
    r = await request<AdminResults>(`/api/admin/paredoes/${encodeURIComponent(p.id)}/results`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return toLogin();
    name.textContent = 'Não foi possível carregar o resultado deste paredão.';
    return;
  }
  if (picker.value !== p.id) return; // another choice was made meanwhile
  render(r);
  showMode(badge, badgeText, r.status === 'open' ? 'polling' : 'offline');
  if (r.status === 'open') pollTimer = window.setTimeout(() => void follow({ ...p, status: r.status }), 2000);
}

async function loadPicker(): Promise<void> {
  let list: Paredao[];
  try {
    list = await request<Paredao[]>('/api/admin/paredoes');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) toLogin();
    return;
  }
  for (const p of list) {
    const opt = document.createElement('option');
    opt.value = p.id;
    opt.textContent = `${p.title} (${statusText[p.status]})`;
    picker.append(opt);
  }
  picker.disabled = false;
  picker.addEventListener('change', () => {
    const chosen = list.find((p) => p.id === picker.value);
    if (chosen) void follow(chosen);
    else followCurrent();
  });
}

followCurrent();
void loadPicker();
