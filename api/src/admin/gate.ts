/**
 * At most `concurrency` tasks run at once; a few more may wait a short while for a turn; the rest are
 * refused at once. For work whose memory must stay bounded whatever arrives (a password hash takes
 * tens of MiB): a queue without a bound would only move the out-of-memory from the hash to the queue.
 */
export class GateFullError extends Error {
  constructor() {
    super('gate full');
  }
}

export interface GateOptions {
  concurrency: number;
  /** Tasks that may wait for a turn; one more is refused. */
  maxWaiting: number;
  /** The longest a task waits for a turn before it is refused. */
  maxWaitMs: number;
}

interface Waiter {
  start: () => void;
  timer: NodeJS.Timeout;
}

export class Gate {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly opts: GateOptions) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `task` when a turn is free; rejects with GateFullError when none comes in time. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.opts.concurrency) await this.turn();
    else this.running++;
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private turn(): Promise<void> {
    if (this.waiting.length >= this.opts.maxWaiting) return Promise.reject(new GateFullError());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        // The finishing task hands its slot over: `running` stays as it is.
        start: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(new GateFullError());
        }, this.opts.maxWaitMs),
      };
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.running--;
  }
}
