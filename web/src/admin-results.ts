// The results view of the admin page: any paredão's result, polled every 2 s while its voting is open.
import { ApiError, request } from './api.ts';
import type { Paredao, Results } from './admin-model.ts';
import type { AdminShell } from './admin-shell.ts';
import type { ListView } from './admin-list.ts';
import { formatDateTime } from './admin-time.ts';
import { h, show } from './dom.ts';
import { barWidth, colourIndex, formatClock, formatHourRange, formatInt, formatPercent, formatVotes } from './format.ts';
import { candidateModesText, modeTotalsText, weightingText } from './modes.ts';

const RESULTS_POLL_MS = 2000;

export interface ResultsView {
  open(p: Paredao): Promise<void>;
  /** Stops polling (leaving the view, logging out). */
  stop(): void;
}

export function resultsView(shell: AdminShell, list: ListView): ResultsView {
  const { ui } = shell;
  let resultsFor: Paredao | undefined;
  let resultsTimer: number | undefined;
  let resultsAbort: AbortController | undefined;

  async function open(p: Paredao): Promise<void> {
    resultsFor = p;
    ui.resultsTitle.textContent = `Resultado: ${p.title}`;
    ui.resultsKicker.textContent = p.status === 'open' ? 'Parcial' : 'Resultado final';
    ui.resultsKind.textContent =
      p.status === 'open' ? 'Parcial, votação aberta: atualiza a cada 2 segundos.' : `Resultado final. Votação encerrada em ${formatDateTime(p.closedAt)}.`;
    ui.resultsError.textContent = '';
    ui.resultsCandidates.replaceChildren();
    ui.resultsHourly.tHead?.replaceChildren();
    ui.resultsHourly.tBodies[0]?.replaceChildren();
    ui.resultsTotal.textContent = '–';
    ui.resultsUpdated.textContent = '–';
    shell.showView('results');
    ui.resultsTitle.focus();
    await pollResults(p, p.status === 'open');
  }

  async function pollResults(p: Paredao, again: boolean): Promise<void> {
    resultsAbort = new AbortController();
    try {
      const r = await request<Results>(`/api/admin/paredoes/${encodeURIComponent(p.id)}/results`, { signal: resultsAbort.signal });
      if (resultsFor !== p) return;
      ui.resultsError.textContent = '';
      renderResults(p, r);
      if (again && r.status === 'closed') {
        // Closed meanwhile (on schedule, or by someone else): this is now the final result.
        again = false;
        ui.resultsKicker.textContent = 'Resultado final';
        ui.resultsKind.textContent = `Resultado final. Votação encerrada em ${formatDateTime(r.closedAt ?? undefined)}.`;
      }
    } catch (err) {
      if ((err as Error).name === 'AbortError') return;
      shell.handleApiError(err, ui.resultsError);
      if (err instanceof ApiError && err.status === 401) return;
    }
    if (again && resultsFor === p) resultsTimer = window.setTimeout(() => void pollResults(p, true), RESULTS_POLL_MS);
  }

  function stop(): void {
    resultsFor = undefined;
    window.clearTimeout(resultsTimer);
    resultsAbort?.abort();
  }

  function renderResults(p: Paredao, r: Results): void {
    ui.resultsTotal.textContent = formatInt(r.total);
    // Both modes on: how the result is weighted, each mode's total, and each participant per mode.
    const weighting = [weightingText(r), modeTotalsText(r)].filter(Boolean).join(' ');
    ui.resultsWeighting.textContent = weighting;
    show(ui.resultsWeighting, weighting !== '');
    ui.resultsCandidates.replaceChildren(
      ...r.candidates.map((c, i) => {
        const fill = h('span', { class: 'bar-fill' });
        // A custom property set through CSSOM: allowed by a `default-src 'self'` CSP, unlike a style attribute.
        fill.style.setProperty('--pct', barWidth(c.percent));
        return h(
          'li',
          { class: `result c${colourIndex(i)}`, 'data-candidate-id': c.id },
          h('div', { class: 'result-head' }, h('span', { class: 'result-name' }, c.name), h('span', { class: 'result-pct' }, formatPercent(c.percent))),
          h('div', { class: 'bar', 'aria-hidden': 'true' }, fill),
          h('p', { class: 'result-votes' }, formatVotes(c.votes)),
          ...(candidateModesText(r, i) ? [h('p', { class: 'result-votes result-modes' }, candidateModesText(r, i)!)] : []),
        );
      }),
    );

    const names = r.candidates.length ? r.candidates : p.candidates.map((c) => ({ id: c.id, name: c.name }));
    ui.resultsHourly.tHead?.replaceChildren(
      h('tr', {}, h('th', { scope: 'col' }, 'Hora'), ...names.map((c) => h('th', { scope: 'col' }, c.name)), h('th', { scope: 'col' }, 'Total')),
    );
    ui.resultsHourly.tBodies[0]?.replaceChildren(
      ...r.hourly.map((row) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, h('time', { datetime: row.hour }, formatHourRange(row.hour))),
          ...names.map((c) => h('td', {}, formatInt(row.byCandidate[c.id] ?? 0))),
          h('td', {}, formatInt(row.total)),
        ),
      ),
    );
    show(ui.resultsHourlyWrap, r.hourly.length > 0);
    show(ui.resultsHourlyEmpty, r.hourly.length === 0);
    ui.resultsUpdated.textContent = formatClock(r.updatedAt);
  }

  ui.resultsBack.addEventListener('click', () => {
    const id = resultsFor?.id;
    shell.showView('list');
    void list.load().then(() => {
      if (id) list.focusCard(id);
    });
  });

  return { open, stop };
}
