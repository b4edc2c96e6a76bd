import { apiEnv } from '@paredao/api/platform/config';
import type { CeilingSearch } from '@paredao/testkit/bench-report';
import type { LoadOptions } from '@paredao/testkit/load';

/**
 * A system's ceiling: the highest offered rate it sustains within the latency and error targets.
 * Rates go up a ladder until a step fails, then the gap between the last passing and the first failing
 * rate is halved until it is narrower than `resolution`. A system that passes the top of the ladder has
 * no measured ceiling, only a floor under it (`capped`), and a ratio to it means nothing.
 */
/** What a step must stay within to pass, in bench/run.ts and bench/overload.ts alike. */
export const P99_LIMIT_MS = 100;
export const ERROR_LIMIT = 0.001;

export interface CeilingOptions {
  /** Rates to climb, ascending. */
  ladder: number[];
  /** Stop bisecting when the gap is at most this many votes/s. */
  resolution: number;
}

export async function findCeiling(passes: (rate: number) => Promise<boolean>, opts: CeilingOptions): Promise<CeilingSearch> {
  const tried: number[] = [];
  const run = async (rate: number) => {
    tried.push(rate);
    return passes(rate);
  };
  let lo = 0;
  let hi: number | null = null;
  for (const rate of opts.ladder) {
    if (await run(rate)) lo = rate;
    else {
      hi = rate;
      break;
    }
  }
  if (hi === null) return { ceiling: lo, firstFailing: null, capped: true, tried };
  let top: number = hi;
  while (top - lo > opts.resolution) {
    // Rounded to the resolution's grain, so the rates read as round numbers.
    const grain = Math.max(1, Math.floor(opts.resolution / 2));
    const mid: number = Math.round((lo + top) / 2 / grain) * grain;
    if (mid <= lo || mid >= top) break;
    if (await run(mid)) lo = mid;
    else top = mid;
  }
  return { ceiling: lo, firstFailing: top, capped: false, tried };
}

/** ours / theirs from two searches, or why there is no ratio. */
export function ceilingRatio(ours: CeilingSearch, theirs: CeilingSearch): { ratio: number } | { why: string } {
  if (theirs.capped) return { why: `the comparison passed every rate tried (up to ${theirs.ceiling}/s): its ceiling was not reached` };
  if (theirs.ceiling === 0) return { why: 'the comparison failed its first step' };
  if (ours.capped) return { why: `ours passed every rate tried (up to ${ours.ceiling}/s): its ceiling was not reached` };
  return { ratio: ours.ceiling / theirs.ceiling };
}

/** The command-line options of every ceiling search (bench/run.ts, bench/overload.ts), for parseArgs. */
export const CEILING_ARGS = {
  quick: { type: 'boolean', default: false },
  duration: { type: 'string' },
  ladder: { type: 'string' },
  resolution: { type: 'string' },
  /** Connections the load client keeps open per step (default STEP_CONNECTIONS); such a run is an A/B, into scratch/. */
  connections: { type: 'string' },
  /** The load driver's nice value during a step (default DRIVER_NICE); such a run is an A/B, into scratch/. */
  'driver-nice': { type: 'string' },
} as const;

/** `--env KEY=VALUE` pairs (repeatable) as the environment they set; a pair without a key is an error. */
export function envPairs(list: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    list.map((kv) => {
      const eq = kv.indexOf('=');
      if (eq < 1) throw new Error(`--env expects KEY=VALUE, got '${kv}'`);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    }),
  );
}

/**
 * The api processes a bench runs: the api's own default (API_WORKERS, as ./run.sh runs it), or the
 * value given with --env=API_WORKERS=N. The floor and the baseline run as many, so each comparison is
 * between the same number of processes.
 */
export function benchApiWorkers(env: Readonly<Record<string, string>>): number {
  return apiEnv.shape.API_WORKERS.parse(env.API_WORKERS);
}

/** Connections the load client keeps open in every step. */
export const STEP_CONNECTIONS = 256;

/**
 * The load driver's nice value while a step runs (testkit/src/load.ts `nice`). The driver stands in for
 * clients on other machines but shares the system's two cores; at the system's own priority a saturated
 * stack kept it waiting, and that wait was counted as the system's latency and as dropped sends
 * (bench/results/driver-nice-ab-2026-12-05.md). Needs root; elsewhere the step runs at 0.
 */
export const DRIVER_NICE = -10;

/** How the load client drives a step: its connections and its nice value (defaults above). */
export interface DriveOptions {
  connections?: number;
  nice?: number;
}

/** DriveOptions from the command line (CEILING_ARGS), and whether any was given (then the run is an A/B). */
export function driveOptions(args: { connections?: string; 'driver-nice'?: string }): { drive: Required<DriveOptions>; custom: boolean } {
  return {
    drive: { connections: Number(args.connections ?? STEP_CONNECTIONS), nice: Number(args['driver-nice'] ?? DRIVER_NICE) },
    custom: args.connections !== undefined || args['driver-nice'] !== undefined,
  };
}

/** One open-loop step of a ceiling search: its connections open before the step's clock starts, not as its first requests wait. */
export function stepLoad(url: string, ratePerSec: number, durationSec: number, proofs: string[], candidates: string[], drive: DriveOptions = {}): LoadOptions {
  return { url, ratePerSec, durationSec, proofs, candidates, connections: drive.connections ?? STEP_CONNECTIONS, nice: drive.nice ?? DRIVER_NICE, warmConnections: true };
}
