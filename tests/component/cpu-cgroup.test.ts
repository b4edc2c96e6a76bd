import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpuCgroup } from '@paredao/testkit/cpu-cgroup';
import { skipWithoutTool } from '../support/require-tool.js';

// bench:phone's slowed cores (testkit/src/cpu-cgroup.ts) against the kernel's own cpu controller.
const probe = createCpuCgroup(1 / 6, 4000);
const v1 = typeof probe !== 'string' && probe.controller === 'cgroup v1';
if (typeof probe !== 'string') probe.remove();

describe.skipIf(
  skipWithoutTool({ tool: 'a writable cgroup v1 cpu controller', present: v1, checks: "the cpu cgroup's limits and single-thread placement", why: typeof probe === 'string' ? `is missing: ${probe}` : 'is missing (cgroup v2 here)' }),
)('a cpu cgroup', () => {
  const limit = (dir: string) => [readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim(), readFileSync(join(dir, 'cpu.cfs_period_us'), 'utf8').trim()].map(Number);

  it('when a fraction needs a quota under the 1000 µs minimum at the asked period, then the period widens, and narrows back when it can', () => {
    const g = createCpuCgroup(1 / 6, 4000);
    if (typeof g === 'string') throw new Error(g);
    try {
      expect([g.quotaUs, g.periodUs]).toEqual([1000, 6000]);
      expect(limit(g.dir)).toEqual([1000, 6000]);
      g.setFraction(0.37);
      expect(limit(g.dir)).toEqual([1480, 4000]);
      g.setFraction(0.1);
      expect(limit(g.dir)).toEqual([1000, 10_000]);
      expect([g.quotaUs, g.periodUs]).toEqual([1000, 10_000]);
    } finally {
      g.remove();
    }
  });

  it("moves a single thread (here a process's only one) into it", async () => {
    const g = createCpuCgroup(0.5);
    if (typeof g === 'string') throw new Error(g);
    const child = spawn('sleep', ['30']);
    try {
      g.addThread(child.pid!, child.pid!);
      expect(readFileSync(`/proc/${child.pid}/task/${child.pid}/cgroup`, 'utf8')).toContain(basename(g.dir));
      expect(() => g.addThread(child.pid!, 999_999_999)).toThrow(/no thread 999999999/u);
    } finally {
      child.kill();
      await new Promise((r) => child.once('exit', r));
      g.remove();
    }
  });
});
