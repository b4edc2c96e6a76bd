/**
 * Collects items until their weight reaches `max` or `maxWaitMs` has passed since the first one, then
 * hands the batch to `flush`. An item's weight is what it counts for (a queue message: the votes it
 * holds); an item heavier than `max` forms a batch of its own. Flushes never overlap: items arriving
 * during a flush form the next batch.
 */
export class Batcher<T> {
  private items: T[] = [];
  private weights: number[] = [];
  private weight = 0;
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

  add(item: T, weight = 1): void {
    this.items.push(item);
    this.weights.push(weight);
    this.weight += weight;
    if (this.weight >= this.max) this.cut();
    else this.timer ??= setTimeout(() => this.cut(), this.maxWaitMs);
  }

  /** Drops what is waiting (the broker redelivers it after a channel loss). */
  discard(): void {
    this.clearTimer();
    this.items = [];
    this.weights = [];
    this.weight = 0;
  }

  /** Flushes whatever is waiting and resolves when every flush so far has finished. */
  async drain(): Promise<void> {
    if (this.items.length > 0) this.cut();
    await this.running;
  }

  private cut(): void {
    this.clearTimer();
    // Several full batches may be waiting (heavy items); each goes out whole, in order.
    while (this.items.length > 0) {
      let n = 0;
      let w = 0;
      while (n < this.items.length && (n === 0 || w + this.weights[n]! <= this.max)) w += this.weights[n++]!;
      const batch = this.items.splice(0, n);
      this.weights.splice(0, n);
      this.weight -= w;
      this.running = this.running.then(() => this.flush(batch));
      if (this.weight < this.max) break;
    }
    if (this.items.length > 0) this.timer = setTimeout(() => this.cut(), this.maxWaitMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
