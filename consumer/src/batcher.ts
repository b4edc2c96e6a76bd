/**
 * Collects items until `max` are waiting or `maxWaitMs` has passed since the first one, then hands the
 * batch to `flush`. Flushes never overlap: items arriving during a flush form the next batch.
 */
export class Batcher<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly max: number,
    private readonly maxWaitMs: number,
    private readonly flush: (batch: T[]) => Promise<void>,
  ) {}

  get pending(): number {
    return this.items.length;
  }

  add(item: T): void {
    this.items.push(item);
    if (this.items.length >= this.max) this.cut();
    else this.timer ??= setTimeout(() => this.cut(), this.maxWaitMs);
  }

  /** Drops what is waiting (the broker redelivers it after a channel loss). */
  discard(): void {
    this.clearTimer();
    this.items = [];
  }

  /** Flushes whatever is waiting and resolves when every flush so far has finished. */
  async drain(): Promise<void> {
    if (this.items.length > 0) this.cut();
    await this.running;
  }

  private cut(): void {
    this.clearTimer();
    if (this.items.length === 0) return;
    const batch = this.items.splice(0, this.max);
    this.running = this.running.then(() => this.flush(batch));
    if (this.items.length > 0) this.timer = setTimeout(() => this.cut(), this.maxWaitMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
