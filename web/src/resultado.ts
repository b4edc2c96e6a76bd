import './style.css';
import { byId } from './dom.ts';
import type { PublicResults } from './api.ts';
import { barWidth, colourIndex, formatClock, formatPercent, formatVotes } from './format.ts';
import { showMode, throttledAnnouncer } from './live.ts';
import { candidateModesText, modeTotalsText, weightingText } from './modes.ts';
import { subscribeResults } from './results.ts';

const votedFor = new URLSearchParams(window.location.search).get('voto');

const confirmation = byId<HTMLElement>('confirmacao');
const confirmationTitle = byId<HTMLElement>('confirmacao-titulo');
const plainTitle = byId<HTMLElement>('titulo-sem-voto');
const loading = byId<HTMLElement>('carregando');
const list = byId<HTMLOListElement>('resultados');
const totals = byId<HTMLElement>('totais');
const total = byId<HTMLElement>('total');
const updated = byId<HTMLElement>('atualizado');
const badge = byId<HTMLElement>('ao-vivo');
const badgeText = byId<HTMLElement>('ao-vivo-texto');
const hiddenNote = byId<HTMLElement>('parciais-ocultas');
const modesNote = byId<HTMLElement>('modos');
const announce = throttledAnnouncer(byId<HTMLElement>('anuncio'), 15_000);

if (votedFor) {
  confirmation.hidden = false;
  plainTitle.remove();
}

interface Row {
  li: HTMLLIElement;
  pct: HTMLElement;
  bar: HTMLElement;
  fill: HTMLElement;
  votes: HTMLElement;
  modes: HTMLElement;
}
const rows = new Map<string, Row>();

function row(id: string, name: string, position: number): Row {
  const existing = rows.get(id);
  if (existing) return existing;
  const li = document.createElement('li');
  li.className = `result c${colourIndex(position)}`;
  li.dataset.candidate = id;
  const head = document.createElement('div');
  head.className = 'result-head';
  const nameEl = document.createElement('span');
  nameEl.className = 'result-name';
  nameEl.textContent = name;
  head.append(nameEl);
  if (id === votedFor) {
    const b = document.createElement('span');
    b.className = 'result-badge';
    b.textContent = 'Seu voto';
    head.append(b);
  }
  const pct = document.createElement('span');
  pct.className = 'result-pct';
  head.append(pct);
  const bar = document.createElement('div');
  bar.className = 'bar';
  bar.setAttribute('aria-hidden', 'true');
  const fill = document.createElement('span');
  fill.className = 'bar-fill';
  bar.append(fill);
  const votes = document.createElement('p');
  votes.className = 'result-votes';
  const modes = document.createElement('p');
  modes.className = 'result-votes result-modes';
  modes.hidden = true;
  li.append(head, bar, votes, modes);
  const r = { li, pct, bar, fill, votes, modes };
  rows.set(id, r);
  return r;
}

function render(r: PublicResults): void {
  loading.hidden = true;
  totals.hidden = false;
  // Totals only while a paredão that hides partials is open: no participant's number on the page.
  const hidden = r.partialsHidden;
  hiddenNote.hidden = !hidden;
  const ordered = r.candidates.map((c, i) => {
    const el = row(c.id, c.name, i);
    el.bar.hidden = hidden;
    if (r.partialsHidden) {
      el.pct.textContent = '';
      el.votes.textContent = '';
      el.modes.hidden = true;
    } else {
      const full = r.candidates[i]!;
      el.pct.textContent = formatPercent(full.percent);
      // A custom property set through CSSOM, not a style attribute: allowed by a strict CSP.
      el.fill.style.setProperty('--pct', barWidth(full.percent));
      el.votes.textContent = formatVotes(full.votes);
      const perMode = candidateModesText(r, i);
      el.modes.textContent = perMode ?? '';
      el.modes.hidden = perMode === null;
    }
    return el.li;
  });
  // Re-inserting unchanged nodes would restart the bars' width transition.
  if (ordered.length !== list.children.length || ordered.some((li, i) => list.children[i] !== li)) list.replaceChildren(...ordered);
  total.textContent = formatVotes(r.total);
  updated.textContent = `Atualizado às ${formatClock(r.updatedAt)}`;
  const note = [r.partialsHidden ? null : weightingText(r), modeTotalsText(r)].filter(Boolean).join(' ');
  modesNote.textContent = note;
  modesNote.hidden = note === '';

  const mine = r.candidates.find((c) => c.id === votedFor);
  if (mine) {
    confirmationTitle.textContent = `Seu voto para ${mine.name} foi confirmado!`;
    document.title = `Voto confirmado: ${mine.name} · Paredão`;
  }
  if (r.partialsHidden) announce(`Total: ${formatVotes(r.total)}. As parciais ficam ocultas até o fim da votação.`);
  else announce(`Parcial: ${r.candidates.map((c) => `${c.name} ${formatPercent(c.percent)}`).join(', ')}. Total: ${formatVotes(r.total)}.`);
}

let rendered = false;

subscribeResults({
  onResults: (r) => {
    rendered = true;
    render(r);
  },
  onMode: (mode) => {
    showMode(badge, badgeText, mode);
    // Results keep being fetched every 2 s; say so instead of "Carregando…" forever.
    if (mode === 'offline' && !rendered) loading.textContent = 'Não foi possível carregar a parcial agora. Tentando de novo…';
  },
});
