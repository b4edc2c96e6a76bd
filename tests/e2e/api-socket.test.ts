import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presolve } from '@paredao/testkit/load';
import { ROOT, startStack, type Stack } from '@paredao/testkit/stack';

/**
 * nginx reaches the api over a Unix socket (API_SOCKET), as ./run.sh runs it (less CPU per vote
 * than loopback TCP). A killed api leaves its socket file behind; the next start must not fail on it.
 */
describe('the api on a Unix socket behind nginx', () => {
  let stack: Stack;
  let socket: string;
  beforeAll(async () => {
    stack = await startStack();
    socket = stack.env.API_SOCKET!;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('when the stack runs, then nginx sends votes to the api over its socket', async () => {
    const conf = readFileSync(join(stack.dir, 'nginx/paredao.conf'), 'utf8');
    expect(conf).toContain(`server unix:${socket} `);
    expect(conf).not.toMatch(/server 127\.0\.0\.1:\d+/);
    expect(lstatSync(socket).isSocket()).toBe(true);
    expect((await stack.vote('participante-1')).status).toBe(202);
  });

  it('when a second api is started on the same socket, then it refuses to start and the first keeps serving', () => {
    const second = spawnSync('node', ['api/dist/main.js'], {
      cwd: ROOT,
      env: { ...stack.env, API_PORT: '0', API_WORKERS: '1' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(second.status).toBe(1);
    expect(second.stdout).toContain('another process is listening on API_SOCKET');
    expect(lstatSync(socket).isSocket()).toBe(true);
  });

  it('when the api is SIGKILLed, then its socket file stays behind, a vote meanwhile gets a JSON 503 with Retry-After, and a restarted api clears the file and serves votes', async () => {
    const [proof] = await presolve(stack.url, 1);
    await stack.signal('api', 'SIGKILL');
    expect(existsSync(socket)).toBe(true); // a clean stop removes it; a kill cannot
    // No api process to take it: not nginx's HTML 502, but the vote's JSON 503 and the edge's
    // Retry-After (VOTE_RETRY_AFTER_SECONDS, 2 by default, plus 0 to 2 at random), so the page waits and
    // sends it again.
    const meanwhile = await fetch(`${stack.url}/api/votes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ candidateId: 'participante-1', altcha: proof }),
    });
    expect(meanwhile.status).toBe(503);
    expect(meanwhile.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await meanwhile.json()) as { error: { code: string } }).error.code).toBe('api_unavailable');
    expect(meanwhile.headers.get('retry-after')).toMatch(/^[234]$/);
    await stack.startService('api');
    expect((await stack.vote('participante-2')).status).toBe(202);
  });

  it('when the api stalls while 2000 requests arrive at once, then nginx waits for it and every one is answered once it resumes', async () => {
    // nginx opens a connection per request past its idle ones; while the api does not accept (a GC
    // pause, a starved CPU; here SIGSTOP), they wait in its listen queue. At Node's default of 511 the
    // rest failed at once with 502 (connect(): EAGAIN); the api listens with a queue of 4096.
    const pid = stack.pid('api')!;
    process.kill(pid, 'SIGSTOP');
    let statuses: number[];
    try {
      const answers = Promise.all(Array.from({ length: 2000 }, () => fetch(`${stack.url}/api/challenge`).then((r) => r.status, () => 0)));
      await new Promise((r) => setTimeout(r, 1500));
      process.kill(pid, 'SIGCONT');
      statuses = await answers;
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  }, 60_000);
});
