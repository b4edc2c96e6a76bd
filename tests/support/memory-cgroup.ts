import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A memory cgroup of the test's own, under the one this process runs in, with a hard limit: what
 * Docker's `deploy.resources.limits.memory` gives a container. A process started in it is killed by
 * the kernel's OOM killer when it goes past the limit, exactly as in the container.
 */
export interface MemoryCgroup {
  /** Write a pid here to move that process (and its future children) into the cgroup. */
  readonly procsFile: string;
  readonly limitBytes: number;
  /** The most memory the cgroup's processes held at once. */
  peakBytes(): number;
  /** Processes the kernel killed for going past the limit. */
  oomKills(): number;
  remove(): void;
}

/** The cgroup, or the reason none can be made here (no memory controller, not writable). */
export function createMemoryCgroup(limitBytes: number): MemoryCgroup | string {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const name = `paredao-test-${randomBytes(4).toString('hex')}`;
  const v1 = lines.find((l) => l.split(':')[1]?.split(',').includes('memory'));
  try {
    if (v1 && existsSync('/sys/fs/cgroup/memory')) {
      const dir = join('/sys/fs/cgroup/memory', v1.split(':')[2]!, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
      // With swap the kernel would page out instead of killing: the container has none.
      if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes));
      return {
        procsFile: join(dir, 'cgroup.procs'),
        limitBytes,
        peakBytes: () => Number(readFileSync(join(dir, 'memory.max_usage_in_bytes'), 'utf8')),
        oomKills: () => Number(/^oom_kill (\d+)$/m.exec(readFileSync(join(dir, 'memory.oom_control'), 'utf8'))?.[1] ?? readFileSync(join(dir, 'memory.failcnt'), 'utf8')),
        remove: () => rmdirSync(dir),
      };
    }
    const v2 = lines.find((l) => l.startsWith('0::'));
    if (v2 && existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      const dir = join('/sys/fs/cgroup', v2.slice(3), name);
      mkdirSync(dir);
      if (!existsSync(join(dir, 'memory.max'))) {
        rmdirSync(dir);
        return 'cgroup v2 without the memory controller delegated to this cgroup';
      }
      writeFileSync(join(dir, 'memory.max'), String(limitBytes));
      if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
      return {
        procsFile: join(dir, 'cgroup.procs'),
        limitBytes,
        peakBytes: () => Number(readFileSync(join(dir, 'memory.peak'), 'utf8')),
        oomKills: () => Number(/^oom_kill (\d+)$/m.exec(readFileSync(join(dir, 'memory.events'), 'utf8'))?.[1] ?? 0),
        remove: () => rmdirSync(dir),
      };
    }
    return 'no memory cgroup controller mounted';
  } catch (err) {
    return `cannot make a memory cgroup here: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The command line that starts `cmd` inside the cgroup (the shell moves itself in, then execs). */
export function inCgroup(group: MemoryCgroup, cmd: string[]): string[] {
  return ['sh', '-c', 'echo $$ > "$0" && exec "$@"', group.procsFile, ...cmd];
}
