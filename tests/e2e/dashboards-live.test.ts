// Every dashboard query is live: a real Prometheus, configured by render-local's code, scrapes the
// real stack (api, consumer, RabbitMQ) while we cast votes and provoke errors; then every dashboard
// expression and every recording rule returns at least one series, every metric an alert reads
// exists, and every rule evaluates without error. Catches misspelt metric or label names, wrong
// scrape paths, and panels that only come alive during an outage.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardExpressions, ruleExpressions, vectorSelectors } from '../../monitoring/queries.js';
import { JOBS } from '../../monitoring/prometheus/targets.js';
import { missingMonitoring, startMonitoring, type Monitoring } from '@paredao/testkit/monitoring';
import { waitFor } from '@paredao/testkit/ports';
import { startStack, type Stack } from '@paredao/testkit/stack';
import { skipWithoutTool } from '../support/require-tool.js';

const missing = missingMonitoring();

const VALID_VOTES = 12;

describe.skipIf(skipWithoutTool({ tool: 'prometheus', present: missing.length === 0, why: `or its alertmanager is missing (${missing.join(', ')})`, checks: 'the live dashboard queries' }))('every dashboard query is live', () => {
  let stack: Stack | undefined;
  let monitoring: Monitoring | undefined;
  /** When the traffic was over and counted: every rule group must have evaluated after it. */
  let trafficDone = 0;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'paredao-dashboards-live-'));

  async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${monitoring!.promUrl}/api/v1/query`, {
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

  /** Polls until the expression returns a series (rate() needs two scrapes inside its window); 0 if it never does. */
  async function seriesOf(expr: string, timeoutMs = 15_000): Promise<number> {
    return waitFor(expr, async () => (await query(expr)).length, timeoutMs, 500).catch(() => 0);
  }

  beforeAll(async () => {
    stack = await startStack();

    const metrics = await fetch(new URL('/metrics', stack.rabbitmqMetricsUrl)).catch(() => undefined);
    if (!metrics?.ok) {
      throw new Error(`RabbitMQ metrics unreachable at ${stack.rabbitmqMetricsUrl}: run rabbitmq-plugins enable rabbitmq_prometheus`);
    }

    // Prometheus (and Alertmanager) as ./run.sh runs them, scraping every second.
    monitoring = await startMonitoring({ dir: tmp, targets: stack, fast: true });

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
    trafficDone = Date.now();
  }, 150_000);

  afterAll(async () => {
    await monitoring?.stop();
    await stack?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('every local scrape target is up', async () => {
    const jobs = JOBS.filter((j) => j.local).map((j) => j.job);
    let byJob: Record<string, string> = {};
    // Each target's first scrape lands at its own offset within the interval.
    await waitFor('every local target up', async () => {
      byJob = Object.fromEntries((await query('up')).map((s) => [s.metric.job, s.value[1]]));
      return jobs.every((job) => byJob[job] === '1');
    }, 10_000, 500).catch(() => {}); // the expectations below name the targets that are not
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
    type Group = { name: string; lastEvaluation: string; rules: { name: string; health: string; lastError?: string }[] };
    // Every group must have evaluated at least once after the traffic.
    const groups = await waitFor('every rule group evaluated after the traffic', async () => {
      const res = (await (await fetch(`${monitoring!.promUrl}/api/v1/rules`)).json()) as { data: { groups: Group[] } };
      return res.data.groups.every((g) => Date.parse(g.lastEvaluation) > trafficDone) && res.data.groups;
    }, 15_000, 200);
    const rules = groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name })));
    expect(rules.length).toBe(ruleExpressions().length);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.group} › ${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
  });
});
