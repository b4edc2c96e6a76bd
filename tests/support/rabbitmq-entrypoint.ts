import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const DIR = resolve(import.meta.dirname, '../../deploy/rabbitmq');

/**
 * Runs deploy/rabbitmq/entrypoint.sh as the compose image does, in a scratch folder: the image's own
 * docker-entrypoint.sh, which is not on this machine, is replaced by `standIn` (a shell script body) on
 * PATH; the definitions go to `<work>/defs` and an Erlang cookie to `<work>/cookie`. `inspect` reads
 * what the entrypoint wrote before the folder is removed. A non-zero exit throws, with its stderr in
 * the message.
 */
export function runRabbitmqEntrypoint<T>(env: Record<string, string>, standIn: string, inspect: (work: string) => T): { out: string } & T {
  const work = mkdtempSync(join(tmpdir(), 'paredao-rmq-'));
  writeFileSync(join(work, 'docker-entrypoint.sh'), `#!/bin/sh\n${standIn}\n`, { mode: 0o755 });
  try {
    const out = execFileSync('bash', [join(DIR, 'entrypoint.sh'), 'rabbitmq-server'], {
      env: {
        PATH: `${work}:${process.env.PATH ?? ''}`,
        PAREDAO_DEFINITIONS_DIR: join(work, 'defs'),
        PAREDAO_TOPOLOGY_FILE: join(DIR, 'definitions.json'),
        PAREDAO_ERLANG_COOKIE_FILE: join(work, 'cookie'),
        ...env,
      },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { out, ...inspect(work) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
