import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A CPU cgroup of our own, under the one this process runs in, with a CFS bandwidth limit: every
 * process started in it (and every thread of theirs: a browser's pages, its Web Workers, its network
 * process) shares `quotaUs` of CPU time per `periodUs`, as a slower CPU would give them. cgroup v2
 * (`cpu.max`) where the cpu controller is delegated, else v1 (`cpu.cfs_quota_us`).
 */
export interface CpuCgroup {
  readonly controller: 'cgroup v1' | 'cgroup v2';
  readonly dir: string;
  /** CPU time the cgroup's processes may use per period, together; setQuota changes it. */
  readonly quotaUs: number;
  readonly periodUs: number;
  /** Changes the limit for processes already inside (at least 1000 µs, the kernel's minimum). */
  setQuota(quotaUs: number): void;
  /**
   * Sets the limit to `fraction` of one core with the shortest period that allows it: the period
   * asked for at creation, or longer when the quota would fall under the kernel's 1000 µs minimum.
   */
  setFraction(fraction: number): void;
  /** Moves one thread (of any process) into the cgroup; cgroup v1 only (v2 would need a threaded subtree). */
  addThread(pid: number, tid: number): void;
  /** Its cpu.stat: how many periods the limit bit in (`nr_throttled` of `nr_periods`), and for how long. */
  stat(): Record<string, number>;
  /** An executable that moves itself into the cgroup, then runs `command` with its arguments. */
  wrap(command: string): string;
  remove(): void;
}

/**
 * The cgroup, limited to `fraction` of one core, or the reason none can be made here (no cpu
 * controller, not writable). The period is short (20 ms by default; as short as the kernel's 1000 µs
 * minimum quota allows for the fraction, when asked for less) so that the limit slows a process
 * evenly, as a slow core does, rather than letting it run at full speed and then stopping it for most
 * of a long period (the kernel's default is 100 ms).
 */
export function createCpuCgroup(fraction: number, periodUs = 20_000): CpuCgroup | string {
  if (!(fraction > 0 && fraction <= 64)) return `fraction ${fraction} out of range`;
  const basePeriodUs = periodUs;
  const fit = (f: number) => {
    const period = Math.max(basePeriodUs, Math.ceil(1000 / f));
    return { period, quota: Math.max(1000, Math.round(f * period)) };
  };
  const first = fit(fraction);
  const quotaUs = first.quota;
  periodUs = first.period;
  const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const name = `paredao-cpu-${randomBytes(4).toString('hex')}`;
  const wrappers: string[] = [];
  const common = (dir: string, write: (quotaUs: number, periodUs: number) => void, threads: string | null) => ({
    dir,
    quotaUs,
    setQuota(this: { quotaUs: number; periodUs: number }, q: number) {
      this.quotaUs = Math.max(1000, Math.round(q));
      write(this.quotaUs, this.periodUs);
    },
    setFraction(this: { quotaUs: number; periodUs: number }, f: number) {
      const { period, quota } = fit(f);
      this.quotaUs = quota;
      this.periodUs = period;
      write(quota, period);
    },
    addThread(pid: number, tid: number) {
      if (!threads) throw new Error('a single thread can be moved into a cgroup v1 cpu cgroup only');
      if (!existsSync(`/proc/${pid}/task/${tid}`)) throw new Error(`no thread ${tid} in process ${pid}`);
      writeFileSync(join(dir, threads), String(tid));
    },
    stat: () => Object.fromEntries(readFileSync(join(dir, 'cpu.stat'), 'utf8').trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k!, Number(v)])),
    periodUs,
    wrap(command: string) {
      const tmp = mkdtempSync(join(tmpdir(), 'paredao-cpu-'));
      const file = join(tmp, 'in-cgroup.sh');
      // The shell enters the cgroup first, so the command and everything it starts run inside.
      writeFileSync(file, `#!/bin/sh\necho $$ > '${join(dir, 'cgroup.procs')}' || exit 97\nexec '${command}' "$@"\n`);
      chmodSync(file, 0o755);
      wrappers.push(tmp);
      return file;
    },
    remove() {
      for (const w of wrappers) rmSync(w, { recursive: true, force: true });
      rmdirSync(dir);
    },
  });
  try {
    const v2 = lines.find((l) => l.startsWith('0::'));
    if (v2 && existsSync('/sys/fs/cgroup/cgroup.controllers') && readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('cpu')) {
      const dir = join('/sys/fs/cgroup', v2.slice(3), name);
      mkdirSync(dir);
      if (!existsSync(join(dir, 'cpu.max'))) {
        rmdirSync(dir);
        return 'cgroup v2 without the cpu controller delegated to this cgroup';
      }
      const write = (q: number, p: number) => writeFileSync(join(dir, 'cpu.max'), `${q} ${p}`);
      write(quotaUs, periodUs);
      return { controller: 'cgroup v2', ...common(dir, write, null) };
    }
    const v1 = lines.find((l) => l.split(':')[1]?.split(',').includes('cpu'));
    const mount = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct'].find((m) => existsSync(join(m, 'cpu.cfs_quota_us')));
    if (v1 && mount) {
      const dir = join(mount, v1.split(':')[2]!, name);
      mkdirSync(dir);
      // The kernel checks the quota against the period in force: widen first, narrow last.
      let period = 0;
      const write = (q: number, p: number) => {
        if (p > period) writeFileSync(join(dir, 'cpu.cfs_period_us'), String(p));
        writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(q));
        if (p < period) writeFileSync(join(dir, 'cpu.cfs_period_us'), String(p));
        period = p;
      };
      write(quotaUs, periodUs);
      return { controller: 'cgroup v1', ...common(dir, write, 'tasks') };
    }
    return 'no cpu cgroup controller mounted';
  } catch (err) {
    return `cannot make a cpu cgroup here: ${err instanceof Error ? err.message : String(err)}`;
  }
}
