// Every dashboard query is live: a real Prometheus, configured by render-local's code, scrapes the
// real stack (api, consumer, RabbitMQ) while we cast votes and provoke errors; then every dashboard
// expression and every recording rule returns at least one series, every metric an alert reads
// exists, and every rule evaluates without error. Catches misspelt metric or label names, wrong
// scrape paths, and panels that only come alive during an outage.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardExpressions, ruleExpressions, vectorSelectors } from '../../monitoring/queries.js';
import { JOBS, localConfig, toYaml } from '../../monitoring/prometheus/targets.js';
import { startStack, type Stack } from '@paredao/testkit/stack';
import { skipWithoutTool } from '../support/require-tool.js';
import { stopProcess } from '@paredao/testkit/process';

const PROMETHEUS = '/usr/bin/prometheus';
const missing = !existsSync(PROMETHEUS);

const VALID_VOTES = 12;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function localPort(url: string, what: string): number {
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost'].includes(u.hostname)) throw new Error(`${what} is not local: ${url}`);
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipWithoutTool({ tool: 'prometheus', present: !missing, why: `is not at ${PROMETHEUS}`, checks: 'the live dashboard queries' }))('every dashboard query is live', () => {
  let stack: Stack | undefined;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let promUrl = '';
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'paredao-dashboards-live-'));

  async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${promUrl}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }),
    });
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
    if (body.status !== 'success') throw new Error(`Prometheus rejected ${expr}: ${body.error}`);
    const { resultType, result } = body.data!;
    if (resultType === 'scalar') return [{ metric: {}, value: result as [number, string] }];
    return result as { metric: Record<string, string>; value: [number, string] }[];
  }

  /** Polls until the expression returns a series: rate() needs two scrapes inside its window. */
  async function seriesOf(expr: string, timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = (await query(expr)).length;
      if (n > 0 || Date.now() > deadline) return n;
      await sleep(500);
    }
  }

  beforeAll(async () => {
    stack = await startStack();

    const metrics = await fetch(new URL('/metrics', stack.rabbitmqMetricsUrl)).catch(() => undefined);
    if (!metrics?.ok) {
      throw new Error(`RabbitMQ metrics unreachable at ${stack.rabbitmqMetricsUrl}: run rabbitmq-plugins enable rabbitmq_prometheus`);
    }

    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    const rabbitPort = localPort(stack.rabbitmqMetricsUrl, 'rabbitmqMetricsUrl');
    const config = localConfig({
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      ports: {
        api: localPort(stack.apiUrl, 'apiUrl'),
        consumer: localPort(stack.consumerUrl, 'consumerUrl'),
        rabbitmq: rabbitPort,
        'rabbitmq-queues': rabbitPort,
        prometheus: promPort,
      },
    });
    const configFile = path.join(tmp, 'prometheus.yml');
    writeFileSync(configFile, toYaml(config, 'dashboards-live test'));
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(tmp, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr!.on('data', (chunk: Buffer) => {
      prometheusLog = (prometheusLog + chunk.toString()).slice(-4000);
    });
    const ready = Date.now() + 20_000;
    while (!(await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false))) {
      if (prometheus.exitCode !== null || Date.now() > ready) throw new Error(`Prometheus did not start:\n${prometheusLog}`);
      await sleep(200);
    }

    // Traffic: valid votes for every candidate, and the errors a voter can cause.
    const paredao = (await (await fetch(`${stack.url}/api/paredao`)).json()) as { candidates: { id: string }[] };
    const candidates = paredao.candidates.map((c) => c.id);
    expect(candidates.length).toBeGreaterThanOrEqual(2);
    const accepted = await Promise.all(
      Array.from({ length: VALID_VOTES }, (_, i) => stack!.vote(candidates[i % candidates.length]!).then((r) => r.status)),
    );
    expect(accepted).toEqual(Array(VALID_VOTES).fill(202));
    const post = (body: string, type = 'application/json') =>
      fetch(`${stack!.apiUrl}/api/votes`, { method: 'POST', headers: { 'content-type': type }, body }).then((r) => r.status);
    expect(await post('{"candidateId":')).toBe(400);
    expect(await post(JSON.stringify({ candidateId: candidates[0], altcha: 'forged' }))).toBe(403);
    expect(await post('candidateId=ana', 'text/plain')).toBe(415);
    expect((await fetch(`${stack.apiUrl}/api/no-such-route`)).status).toBe(404);
    await stack.results();

    // Wait until Prometheus has seen the consumer count every accepted vote.
    const applied = `sum(paredao_consumer_votes_applied_total{job="consumer"}) >= ${VALID_VOTES}`;
    expect(await seriesOf(applied, 30_000), `consumer never reported ${VALID_VOTES} applied votes`).toBe(1);
  }, 150_000);

  afterAll(async () => {
    await stopProcess(prometheus, 'SIGTERM', 5_000);
    await stack?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('every local scrape target is up', async () => {
    const jobs = JOBS.filter((j) => j.local).map((j) => j.job);
    let byJob: Record<string, string> = {};
    // Each target's first scrape lands at its own offset within the interval.
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(500)) {
      byJob = Object.fromEntries((await query('up')).map((s) => [s.metric.job, s.value[1]]));
      if (jobs.every((job) => byJob[job] === '1')) break;
    }
    for (const job of jobs) expect(byJob[job], `job ${job}`).toBe('1');
  });

  it('every dashboard expression returns at least one series', async () => {
    const dead: string[] = [];
    for (const e of dashboardExpressions()) if ((await seriesOf(e.expr, 5_000)) === 0) dead.push(`${e.where}: ${e.expr}`);
    expect(dead).toEqual([]);
  });

  it('every recording rule expression returns at least one series', async () => {
    const dead: string[] = [];
    for (const e of ruleExpressions().filter((r) => r.kind === 'record')) {
      if ((await seriesOf(e.expr, 5_000)) === 0) dead.push(`${e.where}: ${e.expr}`);
    }
    expect(dead).toEqual([]);
  });

  it('every metric an alert reads exists (alerts themselves are quiet on a healthy stack)', async () => {
    const dead: string[] = [];
    for (const e of ruleExpressions().filter((r) => r.kind === 'alert')) {
      for (const selector of vectorSelectors(e.expr)) {
        if ((await seriesOf(selector, 5_000)) === 0) dead.push(`${e.where}: ${selector}`);
      }
    }
    expect(dead).toEqual([]);
  });

  it('every rule evaluates without error', async () => {
    // Rules are evaluated every second; give every group at least one pass after the traffic.
    await sleep(1_500);
    const res = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
      data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const rules = res.data.groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name })));
    expect(rules.length).toBe(ruleExpressions().length);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.group} › ${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
  });
});
