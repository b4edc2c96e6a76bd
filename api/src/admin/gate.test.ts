import { describe, expect, it } from 'vitest';
import { Gate, GateFullError } from './gate.js';

/** A task that runs until `finish()` is called. */
function pending() {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  return { finish, task: () => done };
}

describe('Gate', () => {
  it('when one task runs, then the next waits for it and starts as it ends', async () => {
    const gate = new Gate({ concurrency: 1, maxWaiting: 2, maxWaitMs: 1000 });
    const first = pending();
    const order: string[] = [];
    const a = gate.run(async () => (await first.task(), order.push('a')));
    const b = gate.run(async () => order.push('b'));
    await Promise.resolve();
    expect(gate.inFlight).toBe(1);
    expect(gate.queued).toBe(1);
    expect(order).toEqual([]);
    first.finish();
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
    expect(gate.inFlight).toBe(0);
  });

  it('when more arrive than may wait, then the extra ones are refused at once', async () => {
    const gate = new Gate({ concurrency: 1, maxWaiting: 2, maxWaitMs: 1000 });
    const first = pending();
    const running = gate.run(first.task);
    const waiting = [gate.run(async () => 1), gate.run(async () => 2)];
    await expect(gate.run(async () => 3)).rejects.toBeInstanceOf(GateFullError);
    first.finish();
    await running;
    expect(await Promise.all(waiting)).toEqual([1, 2]);
  });

  it('when no turn comes in time, then the waiting task is refused and never runs', async () => {
    const gate = new Gate({ concurrency: 1, maxWaiting: 4, maxWaitMs: 20 });
    const first = pending();
    const running = gate.run(first.task);
    let ran = false;
    await expect(gate.run(async () => (ran = true))).rejects.toBeInstanceOf(GateFullError);
    expect(gate.queued).toBe(0);
    first.finish();
    await running;
    expect(ran).toBe(false);
    expect(gate.inFlight).toBe(0);
  });

  it('when a task throws, then its turn passes on all the same', async () => {
    const gate = new Gate({ concurrency: 1, maxWaiting: 1, maxWaitMs: 1000 });
    const failing = gate.run(async () => {
      throw new Error('boom');
    });
    const next = gate.run(async () => 'ok');
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe('ok');
    expect(gate.inFlight).toBe(0);
  });

  it('never runs more than its concurrency at once, whatever arrives', async () => {
    const gate = new Gate({ concurrency: 2, maxWaiting: 50, maxWaitMs: 1000 });
    let now = 0;
    let peak = 0;
    const tasks = Array.from({ length: 40 }, (_, i) =>
      gate.run(async () => {
        peak = Math.max(peak, ++now);
        await new Promise((r) => setTimeout(r, i % 3));
        now--;
      }),
    );
    await Promise.all(tasks);
    expect(peak).toBe(2);
  });
});
