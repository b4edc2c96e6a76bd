import { statusText, type CeilingSearch } from './bench-report.js';

/** bench/overload.ts's raw output (bench/results/overload-<date>.json). */
export interface OverloadOutput {
  machine: { cpuModel: string; cores: number; node: string; date: string; command: string; gitCommit: string; loadAvgAtStart: number[] };
  settings: Record<string, unknown> & { durationSec: number; recoveryShare: number; recoverySec: number; p99LimitMs: number };
  targets: typeof OVERLOAD_TARGETS;
  ceiling: CeilingSearch;
  /** statuses and edgeRefused (votes nginx refused itself, from its access log): runs from 2026-12-05 06:00 on. */
  ceilingSteps: { rate: number; p99: number; errorRate: number; passed: boolean; statuses?: Record<number, number>; edgeRefused?: number }[];
  steps: OverloadStep[];
}

export interface RecoveryWindow {
  /** The n-th second of the normal load after the overload stopped. */
  second: number;
  answered: number;
  refused: number;
  p99Ms: number;
  /** Every answer a 202 and p99 within the step's normalLimitMs. */
  normal: boolean;
}

export interface OverloadStep {
  multiple: number;
  rate: number;
  durationSec: number;
  loadAvgBefore: number[];
  sent: number;
  dropped: number;
  networkErrors: number;
  statuses: Record<number, number>;
  /** Non-202 answers by `status code`. */
  refusals: Record<string, number>;
  /**
   * Votes nginx refused itself (NGINX_VOTES_IN_FLIGHT; its access log's `"limit_conn":"REJECTED"`)
   * during the overload and the recovery after it; the rest of `refusals` came from the api.
   */
  edgeRefused?: number;
  acceptedPerSec: number;
  acceptedP99Ms: number;
  refusedP99Ms: number;
  sendLagP99Ms: number;
  apiWorkersReplaced: number;
  servicesDown: string[];
  counted: number;
  lost: number;
  doubled: number;
  recoveryRate: number;
  /** p99 of the normal load just before the overload, and the p99 a recovered second stays within. */
  normalP99Ms: number;
  normalLimitMs: number;
  /** recoverySeconds(recovery), as the run computed it. */
  recoverySec: number | null;
  recovery: RecoveryWindow[];
}

/** Consecutive normal seconds that mark a recovery: one good second amid noise is not one. */
export const RECOVERED_AFTER_SECONDS = 3;

/**
 * Seconds after the overload stopped until latency was normal for RECOVERED_AFTER_SECONDS seconds in a
 * row (a later spike on a shared machine does not undo it); null if that never happened.
 */
export function recoverySeconds(windows: readonly RecoveryWindow[]): number | null {
  for (let i = 0; i + RECOVERED_AFTER_SECONDS <= windows.length; i++) {
    if (windows.slice(i, i + RECOVERED_AFTER_SECONDS).every((w) => w.normal)) return i;
  }
  return null;
}

/** The targets of an overload (2× and 3× the ceiling, open loop). */
export const OVERLOAD_TARGETS = { goodputShareOfCeiling: 0.9, acceptedP99Ms: 250, refusedP99Ms: 50, recoverySec: 5 } as const;

const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
const met = (ok: boolean) => (ok ? 'met' : '**missed**');

/** Judges one step against the targets: [target, measured, verdict] rows. */
export function judge(step: OverloadStep, ceiling: number, t = OVERLOAD_TARGETS): [string, string, boolean][] {
  const refused = Object.values(step.refusals).reduce((a, b) => a + b, 0);
  const recovered = recoverySeconds(step.recovery);
  return [
    [`goodput ≥ ${t.goodputShareOfCeiling * 100} % of the ceiling`, `${step.acceptedPerSec.toFixed(0)}/s = ${((step.acceptedPerSec / ceiling) * 100).toFixed(0)} %`, step.acceptedPerSec >= t.goodputShareOfCeiling * ceiling],
    [`accepted votes p99 < ${t.acceptedP99Ms} ms`, ms(step.acceptedP99Ms), step.acceptedP99Ms < t.acceptedP99Ms],
    [
      `the excess refused fast (503/429, p99 < ${t.refusedP99Ms} ms)`,
      refused === 0 ? `none refused${step.networkErrors ? `; ${step.networkErrors} without an answer` : ': every vote was taken (the accepted row judges how well)'}` : `${refused} refused (${Object.entries(step.refusals).map(([k, v]) => `${k}: ${v}`).join(', ')}), p99 ${ms(step.refusedP99Ms)}; ${step.networkErrors} without an answer${step.edgeRefused === undefined ? '' : `; nginx refused ${step.edgeRefused} votes itself over the step and its recovery`}`,
      (refused === 0 || step.refusedP99Ms < t.refusedP99Ms) && step.networkErrors === 0 && Object.keys(step.refusals).every((k) => /^(503|429) /.test(k)),
    ],
    ['no crash', `${step.servicesDown.length ? `down: ${step.servicesDown.join(', ')}` : 'api, consumer and nginx up throughout'}${step.apiWorkersReplaced ? `; ${step.apiWorkersReplaced} api workers replaced` : ''}`, step.apiWorkersReplaced === 0 && step.servicesDown.length === 0],
    ['nothing lost, nothing doubled (by vote id)', `${step.lost} lost, ${step.doubled} doubled of ${step.counted} counted`, step.lost === 0 && step.doubled === 0],
    [`normal latency within ${t.recoverySec} s after the load drops`, recovered === null ? `not within the ${step.recovery.length} s watched` : `${recovered} s (then ${RECOVERED_AFTER_SECONDS} normal seconds in a row)`, recovered !== null && recovered <= t.recoverySec],
  ];
}

/** "3000 (p99 49 ms, 0.42 % errors: 503×126, 120 of them by nginx; fail)": which admission line refused, where the run recorded it. */
export function ceilingStepText(s: OverloadOutput['ceilingSteps'][number]): string {
  const refused = s.statuses ? statusText(s.statuses, 0, 0) : 'none';
  const errors =
    s.errorRate > 0
      ? `, ${(s.errorRate * 100).toFixed(2)} % errors${refused === 'none' ? '' : `: ${refused}`}${s.edgeRefused !== undefined ? `, ${s.edgeRefused} of them by nginx` : ''}`
      : '';
  return `${s.rate} (p99 ${ms(s.p99)}${errors}; ${s.passed ? 'pass' : 'fail'})`;
}

/** docs/BENCHMARKS.md's overload section. */
export function renderOverload(out: OverloadOutput, source: string): string {
  const c = out.ceiling;
  const load = (l: number[]) => l.map((v) => v.toFixed(1)).join(' / ');
  const lines = [
    `Run ${out.machine.date.slice(0, 16).replace('T', ' ')} UTC at ${out.machine.gitCommit} (\`${out.machine.command}\`, [${source}](../${source})): ${out.machine.cpuModel}, ${out.machine.cores} cores, ` +
      `Node ${out.machine.node}; load average ${load(out.machine.loadAvgAtStart)} (1/5/15 min) at the start — the machine was shared, so the figures are this machine's on that day.` +
      (typeof out.settings.driverNice === 'number' ? ` The load driver's sending thread ran at nice ${out.settings.driverNice}.` : ''),
    '',
    `Ceiling (p99 ≤ ${out.settings.p99LimitMs} ms, ≤ 0.1 % errors, ${out.settings.durationSec} s steps): **${c.ceiling} votes/s**${c.capped ? ' (every rate passed: a floor, not a ceiling)' : `, first failing ${c.firstFailing}/s`}; tried ${out.ceilingSteps.map(ceilingStepText).join(', ')}.`,
    '',
  ];
  for (const step of out.steps) {
    lines.push(
      `**${step.multiple}× the ceiling: ${step.rate} votes/s offered for ${step.durationSec} s** (load average before: ${load(step.loadAvgBefore)}; the load driver sent p99 ${ms(step.sendLagP99Ms)} late, ${step.dropped} sends dropped)`,
      '',
      '| target | measured | |',
      '|---|---|---|',
      ...judge(step, c.ceiling).map(([t, m, ok]) => `| ${t} | ${m} | ${met(ok)} |`),
      '',
      `Recovery at ${step.recoveryRate} votes/s (${out.settings.recoveryShare * 100} % of the ceiling; before the overload its p99 was ${ms(step.normalP99Ms)}, normal is p99 ≤ ${ms(step.normalLimitMs)} and no refusal), per second after the overload stopped: ` +
        step.recovery.map((w) => `${w.second}: p99 ${ms(w.p99Ms)}${w.refused ? `, ${w.refused} refused` : ''}`).join('; ') +
        '.',
      '',
    );
  }
  return lines.join('\n').trimEnd();
}
