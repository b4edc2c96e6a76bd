// The votes' bound at the edge (NGINX_VOTES_IN_FLIGHT): the real nginx, rendered as the local run renders
// it, in front of an upstream that holds every vote until the test lets it go, so "in flight" is exact.
// Past the bound nginx answers the api's own 503 `overloaded` itself, at once, and the upstream never
// sees the vote.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overloaded } from '@paredao/api/votes/admission';
import { freePort, waitFor } from '@paredao/testkit/ports';
import { stopProcess } from '@paredao/testkit/process';
import { plainRequest } from '../support/http.js';
import { findTool, skipWithoutTool } from '../support/require-tool.js';
import { root } from './compose-model.js';

const BOUND = 2;
const hasNginx = !skipWithoutTool({ tool: 'nginx', present: findTool(['nginx']), checks: 'tests/config/vote-shedding.test.ts (votes past NGINX_VOTES_IN_FLIGHT refused at the edge)' });

describe.skipIf(!hasNginx)('the edge bound on votes in flight', () => {
  let dir = '';
  let nginx: ChildProcess | undefined;
  let upstream: Server;
  let url = '';
  /** Votes the upstream holds, unanswered, until release(). */
  const held: ServerResponse[] = [];
  let seen = 0;
  /** What the upstream answers a vote with once released (the api's own refusal, in one test). */
  let answer: { status: number; headers: Record<string, string>; body: string } = { status: 202, headers: {}, body: '{"voteId":"x"}' };
  const release = () => {
    for (const res of held.splice(0)) res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body);
  };

  const vote = () => plainRequest(`${url}/api/votes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"candidateId":"participante-1","altcha":"x"}' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'paredao-shed-'));
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/api/paredao') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        seen++;
        held.push(res);
      });
    });
    const apiPort = await freePort();
    await new Promise<void>((r) => upstream.listen(apiPort, '127.0.0.1', r));
    const httpPort = await freePort();
    url = `http://127.0.0.1:${httpPort}`;
    const env = { PATH: process.env.PATH, HTTP_PORT: String(httpPort), API_PORT: String(apiPort), NGINX_WORKERS: '2', NGINX_VOTES_IN_FLIGHT: String(BOUND), VOTE_RETRY_AFTER_SECONDS: '2', RATE_LIMIT_PER_IP: '0' };
    const rendered = spawn(join(root, 'proxy/render-local.sh'), [join(dir, 'nginx')], { env, stdio: 'pipe' });
    expect(await new Promise((r) => rendered.on('exit', r))).toBe(0);
    nginx = spawn('nginx', ['-c', join(dir, 'nginx/nginx.conf'), '-p', join(dir, 'nginx')], { stdio: 'inherit' });
    await waitFor('nginx', async () => (await fetch(`${url}/api/paredao`).catch(() => null))?.ok);
  });

  afterAll(async () => {
    release();
    await stopProcess(nginx, 'SIGQUIT');
    await new Promise((r) => upstream?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('when NGINX_VOTES_IN_FLIGHT votes are with the api, then the next gets the api\'s 503 overloaded and Retry-After from nginx at once; once they are answered, votes pass again', async () => {
    answer = { status: 202, headers: {}, body: '{"voteId":"x"}' };
    // Both workers of nginx share the count: the bound is the machine's, not a worker's.
    const inFlight = Array.from({ length: BOUND }, () => vote());
    await waitFor('the upstream to hold the votes', async () => held.length === BOUND);

    const retryAfters = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const startedAt = performance.now();
      const refused = await vote();
      expect(performance.now() - startedAt).toBeLessThan(1000);
      expect(refused.status).toBe(503);
      // Word for word the api's prebuilt refusal (api/src/votes/admission.ts), which the pages handle.
      const api = overloaded(2);
      expect(JSON.parse(refused.body)).toEqual({ error: { code: api.code, message: api.message } });
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
      const retryAfter = String(refused.headers['retry-after']);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(2);
      expect(Number(retryAfter)).toBeLessThanOrEqual(4);
      retryAfters.add(retryAfter);
    }
    // Jittered like the api's: not one value for everyone refused together.
    expect(retryAfters.size).toBeGreaterThan(1);
    expect(seen).toBe(BOUND);

    release();
    expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual(Array(BOUND).fill(202));
    const after = vote();
    await waitFor('the upstream to get the next vote', async () => held.length === 1);
    release();
    expect((await after).status).toBe(202);
    expect(seen).toBe(BOUND + 1);
  });

  it("when the api refuses a vote itself, then its 503 and Retry-After pass through untouched", async () => {
    answer = { status: 503, headers: { 'retry-after': '7' }, body: '{"error":{"code":"broker_unavailable","message":"m"}}' };
    const pending = vote();
    await waitFor('the upstream to hold the vote', async () => held.length === 1);
    release();
    const res = await pending;
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(JSON.parse(res.body).error.code).toBe('broker_unavailable');
  });

  it('when votes are refused at the edge, then the access log says so per vote (limit_conn REJECTED), where the operator finds them', async () => {
    // The access log is buffered for up to a second (ACCESS_LOG_BUFFER).
    const lines = await waitFor(
      'the access log',
      async () => {
        const all = readFileSync(join(dir, 'nginx/nginx-access.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { uri: string; status: number; limit_conn: string; upstream_status: string });
        const votes = all.filter((l) => l.uri === '/api/votes');
        return votes.length >= 40 + BOUND + 2 ? votes : null;
      },
      5000,
    );
    const rejected = lines.filter((l) => l.limit_conn === 'REJECTED');
    expect(rejected).toHaveLength(40);
    expect(rejected.every((l) => l.status === 503 && l.upstream_status === '')).toBe(true);
    expect(lines.filter((l) => l.limit_conn === 'PASSED').length).toBe(BOUND + 2);
  });
});
