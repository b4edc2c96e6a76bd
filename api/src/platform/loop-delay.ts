import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * This process's recent event-loop delay, for admission control (votes/admission.ts). libuv's own timer
 * records the delay every `resolutionMs` into a histogram (no work per request); every `windowMs` the
 * mean of that window becomes `delayMs` and the histogram starts afresh. Reading `delayMs` on the hot
 * path is a field read.
 *
 * The mean, not the max: one garbage collection pause of 30 ms is not an overload; a loop whose every
 * turn runs long is. When the loop is saturated the window's timer itself fires late, which is fine:
 * the figure it then reads is the one that matters.
 */
export class LoopDelay {
  private readonly histogram: IntervalHistogram;
  private timer: NodeJS.Timeout | null = null;
  /** Mean event-loop delay over the last window, in milliseconds (0 before the first window ends). */
  delayMs = 0;

  constructor(private readonly opts: { resolutionMs: number; windowMs: number }) {
    this.histogram = monitorEventLoopDelay({ resolution: opts.resolutionMs });
  }

  start(): this {
    if (this.timer) return this;
    this.histogram.enable();
    this.timer = setInterval(() => this.sample(), this.opts.windowMs).unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.histogram.disable();
  }

  private sample(): void {
    // The histogram's delay includes the resolution itself (the timer's period): only the excess is lag.
    const mean = this.histogram.count > 0 ? this.histogram.mean / 1e6 - this.opts.resolutionMs : 0;
    this.delayMs = Math.max(0, mean);
    this.histogram.reset();
  }
}
