// The vote page's proof-of-work workers, started as soon as the page's scripts run: before the widget
// has mounted and fetched its challenge, so that starting them (loading the worker script, a new
// JavaScript engine instance each) overlaps that instead of following it. On a slow phone that start
// takes a noticeable share of the wait (docs/BENCHMARKS.md, "A vote on a phone"). antibot.ts imports
// this first and hands these workers to the widget for its first SHA-256 challenge; later ones start
// theirs when needed, as before.
import PowWorker from './antibot-worker.ts?worker';

/** As many as the widget will ask for: one per core, at most 4 with ≤ 4 GB of memory, at most 16. */
function widgetWorkers(): number {
  const cores = navigator.hardwareConcurrency || 2;
  const memory = (navigator as Navigator & { deviceMemory?: number }).deviceMemory ?? 0;
  return Math.min(16, Math.max(1, memory && memory <= 4 ? Math.min(4, cores) : cores));
}

const ready: Worker[] = Array.from({ length: widgetWorkers() }, () => new PowWorker());

/** A started worker if one is left, else a new one. The widget terminates each when its proof is done. */
export function takePowWorker(): Worker {
  return ready.pop() ?? new PowWorker();
}
