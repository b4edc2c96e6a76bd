// The list view of the admin page: every paredão as a card with what can be done to it now (edit,
// open, close, results, export, audit).
import { request } from './api.ts';
import { STATUS_LABEL, type Audit, type Paredao } from './admin-model.ts';
import type { AdminShell } from './admin-shell.ts';
import { formatDateTime } from './admin-time.ts';
import { h, show } from './dom.ts';
import { formatInt, formatVotes } from './format.ts';
import { MODE_NAMES, votingText } from './modes.ts';
import { votingOf } from '@paredao/contract';

export interface ListView {
  load(): Promise<void>;
  /** Puts the keyboard on the first button of a paredão's card. */
  focusCard(id: string): void;
}

export function listView(shell: AdminShell, nav: { openEditor(p?: Paredao): void; openResults(p: Paredao): Promise<void> }): ListView {
  const { ui } = shell;
  let paredoes: Paredao[] = [];

  async function load(): Promise<void> {
    ui.listError.textContent = '';
    try {
      paredoes = await request<Paredao[]>('/api/admin/paredoes');
      renderList();
    } catch (err) {
      shell.handleApiError(err, ui.listError);
    }
  }

  function focusCard(id: string): void {
    ui.list.querySelector<HTMLElement>(`[data-paredao-id="${CSS.escape(id)}"] button`)?.focus();
  }

  /** Cards by paredão id, with the JSON they were built from. */
  const cards = new Map<string, { json: string; el: HTMLLIElement }>();

  /**
   * Rebuilds only the cards whose paredão changed, so a reload of the list never wipes an audit shown
   * in another card nor moves focus away from a button the user is on.
   */
  function renderList(): void {
    const els = paredoes.map((p) => {
      const json = JSON.stringify(p);
      const known = cards.get(p.id);
      if (known?.json === json) return known.el;
      const el = card(p);
      cards.set(p.id, { json, el });
      return el;
    });
    for (const id of [...cards.keys()]) if (!paredoes.some((p) => p.id === id)) cards.delete(id);
    const same = els.length === ui.list.children.length && els.every((el, i) => ui.list.children[i] === el);
    if (!same) ui.list.replaceChildren(...els);
    show(ui.listEmpty, paredoes.length === 0);
  }

  function card(p: Paredao): HTMLLIElement {
    const headingId = `paredao-${p.id}-title`;
    const times = h('dl', { class: 'adm-times' });
    const addTime = (label: string, iso: string | undefined) => {
      if (iso) times.append(h('div', {}, h('dt', {}, label), h('dd', {}, h('time', { datetime: iso }, formatDateTime(iso)))));
    };
    addTime('Criado em', p.createdAt);
    if (p.status === 'draft') {
      addTime('Abertura agendada', p.opensAt);
    }
    addTime('Aberto em', p.openedAt);
    if (p.status !== 'closed') addTime('Encerramento agendado', p.closesAt);
    addTime('Encerrado em', p.closedAt);

    const output = h('div', { class: 'adm-output', role: 'status', 'aria-live': 'polite' });
    const actions = h('div', { class: 'adm-actions' });
    const button = (label: string, cls: string, onClick: (btn: HTMLButtonElement) => void) => {
      const btn = h('button', { type: 'button', class: `button adm-small ${cls}` }, label);
      btn.addEventListener('click', () => onClick(btn));
      actions.append(btn);
      return btn;
    };

    if (p.status === 'draft') {
      button('Editar', 'button-secondary', () => nav.openEditor(p));
      button('Abrir votação', 'adm-primary', (btn) => void openVoting(p, btn, output));
    }
    if (p.status === 'open') {
      button('Ver resultado', 'button-secondary', () => void nav.openResults(p));
      button('Encerrar votação', 'adm-danger', (btn) => void closeVoting(p, btn, output));
    }
    if (p.status === 'closed') button('Ver resultado', 'adm-primary', () => void nav.openResults(p));
    if (p.status !== 'draft') {
      const base = `/api/admin/paredoes/${encodeURIComponent(p.id)}/export`;
      actions.append(
        h('a', { class: 'button button-secondary adm-small', href: `${base}?format=csv`, download: `paredao-${p.id}.csv` }, 'Exportar CSV'),
        h('a', { class: 'button button-secondary adm-small', href: `${base}?format=json`, download: `paredao-${p.id}.json` }, 'Exportar JSON'),
      );
      button('Auditoria', 'button-secondary', (btn) => void audit(p, btn, output));
    }

    return h(
      'li',
      { class: `adm-item adm-status-${p.status}`, 'aria-labelledby': headingId, 'data-paredao-id': p.id },
      h('div', { class: 'adm-item-head' }, h('h2', { id: headingId }, p.title), h('span', { class: `adm-badge adm-badge-${p.status}` }, STATUS_LABEL[p.status])),
      h('p', { class: 'adm-participants' }, p.candidates.map((c) => c.name).join(' · ')),
      h('p', { class: 'adm-voting adm-small-text adm-muted' }, `Modos: ${votingText(votingOf(p))}${p.status === 'draft' ? '' : ' (fixos desde a abertura)'}`),
      times,
      actions,
      output,
    );
  }

  async function openVoting(p: Paredao, btn: HTMLButtonElement, output: HTMLElement): Promise<void> {
    const ok = await shell.confirm('Abrir votação', `Abrir a votação de “${p.title}”? Depois de aberto, o paredão não pode mais ser editado.`, 'Abrir votação');
    if (!ok) return btn.focus();
    await transition(p, 'open', btn, output, `Votação de “${p.title}” aberta.`);
  }

  async function closeVoting(p: Paredao, btn: HTMLButtonElement, output: HTMLElement): Promise<void> {
    const ok = await shell.confirm('Encerrar votação', `Encerrar a votação de “${p.title}”? Nenhum voto será aceito depois disso.`, 'Encerrar votação', true);
    if (!ok) return btn.focus();
    await transition(p, 'close', btn, output, `Votação de “${p.title}” encerrada.`);
  }

  async function transition(p: Paredao, action: 'open' | 'close', btn: HTMLButtonElement, output: HTMLElement, done: string): Promise<void> {
    btn.disabled = true;
    output.textContent = '';
    output.classList.remove('adm-error');
    try {
      await request<Paredao>(`/api/admin/paredoes/${encodeURIComponent(p.id)}/${action}`, { method: 'POST' });
      shell.flash(done);
      await load();
      // The card was rebuilt: keep keyboard users where they were.
      focusCard(p.id);
    } catch (err) {
      btn.disabled = false;
      output.classList.add('adm-error');
      shell.handleApiError(err, output);
    }
  }

  async function audit(p: Paredao, btn: HTMLButtonElement, output: HTMLElement): Promise<void> {
    btn.disabled = true;
    output.classList.remove('adm-error');
    output.textContent = 'Conferindo…';
    try {
      const a = await request<Audit>(`/api/admin/paredoes/${encodeURIComponent(p.id)}/audit`);
      output.replaceChildren(auditReport(p, a));
    } catch (err) {
      output.classList.add('adm-error');
      shell.handleApiError(err, output);
    } finally {
      btn.disabled = false;
    }
  }

  function auditReport(p: Paredao, a: Audit): HTMLElement {
    const names = new Map(p.candidates.map((c) => [c.id, c.name]));
    const ids = [...new Set([...p.candidates.map((c) => c.id), ...Object.keys(a.tally), ...Object.keys(a.recomputed)])];
    const total = Object.values(a.tally).reduce((s, n) => s + n, 0);
    if (a.matches) {
      return h('p', { class: 'adm-audit adm-audit-ok' }, h('strong', {}, 'Confere.'), ` A contagem (${formatVotes(total)}) bate com a recontagem voto a voto.`);
    }
    // A list rather than a table: it fits a phone without hiding the recount column.
    const rows = ids.map((id) => {
      const t = a.tally[id] ?? 0;
      const r = a.recomputed[id] ?? 0;
      return h(
        'li',
        { class: t === r ? '' : 'adm-mismatch' },
        h('strong', {}, names.get(id) ?? id),
        `: contagem ${formatInt(t)}, recontagem ${formatInt(r)}${t === r ? '' : ' (diferente)'}`,
      );
    });
    // Each mode on its own too: a vote counted in the wrong mode leaves the totals equal.
    const modeRows = (['unico', 'torcida'] as const).map((m) => {
      const t = a.modes[m].total;
      const r = Object.values(a.modes[m].recomputed).reduce((s, n) => s + n, 0);
      return h('li', { class: t === r ? '' : 'adm-mismatch' }, h('strong', {}, MODE_NAMES[m]), `: contagem ${formatInt(t)}, recontagem ${formatInt(r)}${t === r ? '' : ' (diferente)'}`);
    });
    return h(
      'div',
      { class: 'adm-audit adm-audit-bad' },
      h('p', {}, h('strong', {}, 'Não confere.'), ' A contagem difere da recontagem voto a voto:'),
      h('ul', {}, ...rows, ...modeRows),
    );
  }

  ui.newParedao.addEventListener('click', () => nav.openEditor());

  return { load, focusCard };
}
