/**
 * The Voto Único benchmark (bench/unico.ts): its raw output's shape, its targets, and the generated
 * `unico` section of docs/BENCHMARKS.md. Pure: no stack, so the figures it derives can be checked alone.
 */
import type { LatencySummary } from './load.js';

/** The target for Voto Único on the development machine, and the one that may never move. */
export const UNICO_TARGETS = { votesPerSec: 500, doubled: 0 } as const;

/** One closed-loop run of one path: every voter (or proof) once, `concurrency` at a time. */
export interface PathRun {
  /** Requests sent (Único: two per voter, at the same instant). */
  requests: number;
  wallSec: number;
  accepted: number;
  /** accepted / wallSec */
  votesPerSec: number;
  /** Answers by status, e.g. { "202": 6000, "409": 6000 }. */
  statuses: Record<string, number>;
  /** Latency of the 202 answers, ms. */
  acceptedLatency: LatencySummary;
}

export interface UnicoOutput {
  machine: { cpuModel: string; cores: number; node: string; date: string; command: string; gitCommit: string; loadAvgBefore: number[]; loadAvgAfter: number[] };
  settings: { voters: number; concurrency: number; apiWorkers: number; target: string; sessions: string };
  targets: typeof UNICO_TARGETS;
  unico: PathRun & {
    /** Voters whose two simultaneous attempts got exactly one 202 and one 409 naming the same candidate. */
    onePlusConflict: number;
    /** Voters with two 202s: a person counted twice would start here (must be 0). */
    twoAccepted: number;
    /** Voters with no 202 at all (a refusal other than 409 on both). */
    noneAccepted: number;
  };
  torcida: PathRun;
  /** Once the consumer caught up: the store's counts against the api's 202s. */
  counted: { unico: number; torcida: number; unicoRecount: number; doubled: number };
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const statuses = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([k, n]) => `${n} × ${k}`)
    .join(', ');

/** The generated section: both paths of one run, and the targets judged. */
export function renderUnico(out: UnicoOutput, source: string): string {
  const m = out.machine;
  const load = (l: number[]) => l.map((v) => v.toFixed(1)).join(' / ');
  const row = (name: string, r: PathRun) =>
    `| ${name} | ${r.requests} | ${statuses(r.statuses)} | ${r.wallSec.toFixed(1)} s | **${Math.round(r.votesPerSec)}** | ${ms(r.acceptedLatency.p50)} | ${ms(r.acceptedLatency.p99)} |`;
  const u = out.unico;
  const perSecOk = u.votesPerSec >= out.targets.votesPerSec;
  const doubledOk = out.counted.doubled === out.targets.doubled && u.twoAccepted === 0;
  return [
    `Run ${m.date.slice(0, 16).replace('T', ' ')} UTC at ${m.gitCommit} (\`${m.command}\`, [${source}](../${source})): ${m.cpuModel}, ${m.cores} cores, Node ${m.node}; ` +
      `load average ${load(m.loadAvgBefore)} before and ${load(m.loadAvgAfter)} after (1/5/15 min) — the machine was shared, so the figures are this machine's on that day.`,
    '',
    `${out.settings.voters} voters, ${out.settings.concurrency} at a time, each sending two Único votes at the same instant (two devices, two candidates); then ` +
      `${out.torcida.requests} Torcida votes with presolved proofs, ${out.settings.concurrency} at a time, against the same stack (${out.settings.apiWorkers} api workers, ${out.settings.target}). ${out.settings.sessions}`,
    '',
    '| path | requests | answers | wall | votes/s accepted | p50 of 202 | p99 of 202 |',
    '|---|---|---|---|---|---|---|',
    row('Voto Único', u),
    row('Voto da Torcida', out.torcida),
    '',
    `Per voter: ${u.onePlusConflict} got one 202 and one 409 naming the same candidate, ${u.twoAccepted} got two 202s, ${u.noneAccepted} got none. ` +
      `Counted: ${out.counted.unico} Único (recount ${out.counted.unicoRecount}) for ${u.accepted} × 202, ${out.counted.torcida} Torcida for ${out.torcida.accepted} × 202; persons counted twice: **${out.counted.doubled}**.`,
    '',
    `Targets: Único ≥ ${out.targets.votesPerSec} votes/s ${perSecOk ? '✅' : '❌'} (${Math.round(u.votesPerSec)}); 0 persons doubled ${doubledOk ? '✅' : '❌'}.`,
  ].join('\n');
}
