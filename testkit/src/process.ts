import type { ChildProcess } from 'node:child_process';

/**
 * Sends `signal` and resolves once the process has exited, SIGKILLing it after `graceMs`. Cleanup that
 * removes a process's files must wait for this: a process still flushing into its data folder makes
 * `rmSync(..., { recursive: true })` fail with ENOTEMPTY.
 */
export async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
