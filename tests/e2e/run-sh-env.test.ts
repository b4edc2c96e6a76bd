import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Challenge } from 'altcha-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solve } from '@paredao/testkit/antibot';
import { freePort, waitFor } from '@paredao/testkit/ports';
import { stopProcess } from '@paredao/testkit/process';
import { AMQP_URL, ROOT } from '@paredao/testkit/stack';

/** KEY=value of the repository's .env as ./run.sh would read it (last one wins), or undefined. */
function envFileValue(key: string): string | undefined {
  const file = join(ROOT, '.env');
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith(`${key}=`));
  return lines.at(-1)?.slice(key.length + 1);
}

// Once, `HTTP_PORT=8081 ./run.sh` served on .env's port, and a service setting set for the command
// lost to .env. The real ./run.sh, with the real .env that ./preflight.sh wrote (run.sh creates one if
// it is missing), and settings for the command that differ from what .env says.
describe('./run.sh: a variable set for the command wins over .env', () => {
  let run: ChildProcess;
  let output = '';
  let httpPort = 0;
  const dir = mkdtempSync(join(tmpdir(), 'paredao-runsh-'));

  beforeAll(async () => {
    httpPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HTTP_PORT: String(httpPort),
      API_PORT: String(await freePort()),
      CONSUMER_PORT: String(await freePort()),
      PROMETHEUS_PORT: String(await freePort()),
      // .env leaves it empty (the api's default, 50: tens of thousands of hashes per vote).
      ANTIBOT_DIFFICULTY: '1',
      // Out of the way of a developer's own ./run.sh: its own store and queue.
      STORE_URL: `sqlite:${join(dir, 'paredao.db')}`,
      QUEUE_NAME: `test-runsh-${randomBytes(4).toString('hex')}`,
      AMQP_URL,
      LOG_PRETTY: 'false',
    };
    run = spawn('./run.sh', [], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
    run.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    run.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    await waitFor(
      `./run.sh serving on the HTTP_PORT of the environment (${httpPort})`,
      async () => {
        if (run.exitCode !== null) throw new Error(`run.sh exited with ${run.exitCode}:\n${output}`);
        return (await fetch(`http://127.0.0.1:${httpPort}/api/paredao`)).ok;
      },
      150_000,
      250,
    );
  });

  afterAll(async () => {
    await stopProcess(run);
  });

  it('the .env that run.sh read says otherwise (else this test would prove nothing)', () => {
    expect(envFileValue('HTTP_PORT') ?? '8080').not.toBe(String(httpPort));
    expect(envFileValue('ANTIBOT_DIFFICULTY') ?? '').not.toBe('1');
  });

  it('nginx serves on the HTTP_PORT of the environment', async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/paredao`);
    expect(res.status).toBe(200);
    expect(output).toContain(`http://localhost:${httpPort}/`);
  });

  it('the api uses the ANTIBOT_DIFFICULTY of the environment: proofs take about 1,000 hashes, not 50,000', async () => {
    // The secret counter is drawn uniformly below difficulty × 2000: under 2,000 at difficulty 1, while
    // at .env's default (50) three proofs all under 2,000 happen once in 125,000 runs.
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`http://127.0.0.1:${httpPort}/api/challenge`);
      expect(res.status).toBe(200);
      const payload = await solve((await res.json()) as Challenge);
      const { solution } = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { solution: { counter: number } };
      expect(solution.counter).toBeLessThan(2000);
    }
  });
});
