import type { FaultRow } from './fault-audit.js';
import { appProcesses } from './bench-report.js';

/** What `npm run faults` writes to faults/results/<date>.json: the raw rows and the machine they ran on. */
export interface FaultsOutput {
  machine: string;
  command: string;
  gitCommit: string;
  startedAt: string;
  finishedAt: string;
  /** Load average (1, 5, 15 min) as the run began: what else the machine was doing. */
  loadAvgAtStart: number[];
  rows: FaultRow[];
}

const statusText = (s: Record<string, number>) =>
  Object.entries(s)
    .filter(([k]) => k !== '202')
    .map(([k, v]) => `${v}× ${k}`)
    .join(', ') || '—';

const HEADER = '| scenario | fault | load | requests | 202 | other answers | voters saw errors for | counted | lost | counted without 202 | doubled | hourly adds up | DLQ | all 202 counted after | notes | run |';
const ALIGN = '|---|---|---|--:|--:|---|--:|--:|--:|--:|--:|---|--:|--:|---|---|';

function rowLine(r: FaultRow, run: number): string {
  const answers = `${statusText(r.statuses)}${r.retries ? ` (${r.retries} retried with ${r.retriedWith ?? 'a new proof'}${r.gaveUp ? `, ${r.gaveUp} given up` : ''})` : ''}`;
  return (
    `| ${r.scenario} | ${r.fault} | ${r.ratePerSec}/s × ${r.durationSec} s | ${r.requests} | ${r.accepted} | ${answers} | ` +
    `${r.errorSpanSec === null ? 'never' : `${r.errorSpanSec.toFixed(1)} s`} | ${r.counted} | **${r.lost}** | ${r.extraWithout202}${r.unknown ? ` (+${r.unknown} unknown!)` : ''} | ` +
    `**${r.doubled}** | ${r.hourlyAddsUp ? 'yes' : '**no**'} | ${r.dead} | ${r.drainSec.toFixed(1)} s | ${r.notes}${r.confirmedByReplay ? `; ${r.confirmedByReplay} confirmed by the page, as counted, on a 403 antibot_replayed to their resend` : ''}${r.pruned ? `; ${r.pruned} counted ids pruned from the hot store during the run` : ''} | ${run} |`
  );
}

/**
 * The table of docs/RELIABILITY.md from one or more runs: a later run's row of a scenario replaces an
 * earlier one's (a partial run re-measures some scenarios). Each run is described by its own line.
 */
export function renderFaults(runs: { source: string; out: FaultsOutput }[]): string {
  const latest = new Map<string, { row: FaultRow; run: number }>();
  runs.forEach(({ out }, i) => {
    for (const row of out.rows) latest.set(row.scenario.split('.')[0]!, { row, run: i + 1 });
  });
  const used = new Set([...latest.values()].map((v) => v.run));
  const lines: string[] = [];
  runs.forEach(({ source, out }, i) => {
    if (!used.has(i + 1)) return;
    lines.push(
      `Run ${i + 1}: \`${out.command}\` at commit \`${out.gitCommit}\`, ${out.startedAt.slice(0, 16).replace('T', ' ')}–${out.finishedAt.slice(11, 16)} UTC, ` +
        `raw output \`${source}\`. Machine: ${out.machine}. The driver, nginx, ${apiShape(out.rows)}, consumer, RabbitMQ (three nodes in 6-9, one otherwise) and SQLite all run on it; ` +
        `load average (1 / 5 / 15 min) as the run began: ${out.loadAvgAtStart.map((l) => l.toFixed(1)).join(' / ')}.`,
    );
    lines.push('');
  });
  lines.push(HEADER, ALIGN);
  for (const [, { row, run }] of [...latest].sort(([a], [b]) => Number(a) - Number(b))) lines.push(rowLine(row, run));
  return lines.join('\n');
}

/** How the api ran in a run's scenarios: "api ×2" for all, or which ran it as one process. */
export function apiShape(rows: readonly FaultRow[]): string {
  const byCount = new Map<number, string[]>();
  for (const r of rows) {
    const n = r.apiWorkers ?? 2;
    byCount.set(n, [...(byCount.get(n) ?? []), r.scenario.split('.')[0]!]);
  }
  if (byCount.size <= 1) {
    const n = [...byCount.keys()][0] ?? 2;
    return n === 1 ? 'the api (one process)' : `api ×${n}`;
  }
  const parts = [...byCount].sort(([a], [b]) => a - b).map(([n, ids]) => `${appProcesses(n)} in ${ids.sort((a, b) => Number(a) - Number(b)).join(', ')}`);
  return `the api (${parts.join('; ')})`;
}
