import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { GroupUsage } from '@paredao/testkit/bench-report';

/** Clock ticks per second for /proc/<pid>/stat utime and stime (USER_HZ; 100 on every Linux we run). */
const CLK_TCK = Number(safeExec('getconf', ['CLK_TCK']) || 100);

function safeExec(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return '';
  }
}

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  cpuUs: number;
}

function readStat(pid: number): Stat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: fields start after the last ')'.
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' ');
    // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { pid, ppid: Number(f[1]), comm, cpuUs: ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK };
  } catch {
    return null;
  }
}

/** A pid and all its descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(st.pid);
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

export interface ProcSample {
  pid: number;
  comm: string;
  cpuUs: number;
  /** Peak resident set size so far (VmHWM), KiB. */
  hwmKiB: number;
  rssKiB: number;
}

export function sample(pid: number): ProcSample | null {
  const st = readStat(pid);
  if (!st) return null;
  let hwmKiB = 0;
  let rssKiB = 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    hwmKiB = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    // exited between the two reads
  }
  return { pid, comm: st.comm, cpuUs: st.cpuUs, hwmKiB, rssKiB };
}

/** Named groups of processes (each a root pid and its descendants), sampled together. */
export class ProcessGroups {
  constructor(private readonly roots: Record<string, number[]>) {}

  snapshot(): Record<string, ProcSample[]> {
    const out: Record<string, ProcSample[]> = {};
    for (const [name, pids] of Object.entries(this.roots)) {
      out[name] = pids.flatMap((p) => processTree(p)).map(sample).filter((s): s is ProcSample => s !== null);
    }
    return out;
  }
}

export function usageBetween(before: Record<string, ProcSample[]>, after: Record<string, ProcSample[]>): Record<string, GroupUsage> {
  const out: Record<string, GroupUsage> = {};
  for (const [name, samples] of Object.entries(after)) {
    const prev = new Map((before[name] ?? []).map((s) => [s.pid, s.cpuUs]));
    let cpuUs = 0;
    let peak = 0;
    let sum = 0;
    for (const s of samples) {
      cpuUs += s.cpuUs - (prev.get(s.pid) ?? 0);
      peak = Math.max(peak, s.hwmKiB);
      sum += s.hwmKiB;
    }
    out[name] = { cpuUs, peakRssMiB: peak / 1024, sumPeakRssMiB: sum / 1024, processes: samples.length };
  }
  return out;
}

export function pgrep(pattern: string): number[] {
  return safeExec('pgrep', ['-f', pattern])
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((p) => p !== process.pid);
}

/** Busy CPU time of the whole machine so far (all cores, /proc/stat), µs: to tell how much of it others used. */
export function machineBusyUs(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait was busy.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return ((user + nice + system + irq + softirq + steal) * 1e6) / CLK_TCK;
}
