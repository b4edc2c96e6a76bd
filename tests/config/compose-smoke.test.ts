import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stopProcess } from '@paredao/testkit/process';
import { afterAll, describe, expect, it } from 'vitest';
import {
  instantExpression,
  judgeAlertReadBack,
  judgeDashboard,
  judgeGrafanaHealth,
  judgeInstantQuery,
  judgeLevels,
  judgeMongoCount,
  judgeResultsMoved,
  judgeTargets,
  line,
  panelExpression,
  smokeAlert,
  summary,
} from '../../scripts/compose-smoke-checks.js';
import { freePort, waitFor } from '@paredao/testkit/ports';
import { findTool, skipWithoutTool } from '../support/require-tool.js';

/**
 * The compose smoke check (./run.sh compose smoke) needs a Docker host. What can be checked here is:
 * each judgement on answers shaped as the tools give them (Grafana 12, Graylog 6.1's scripting API,
 * mongosh), and the two tools installed here, Prometheus and Alertmanager, answering for real.
 */
const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'paredao-smoke-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const dashboardsDir = join(root, 'monitoring/grafana/dashboards');
const dashboards = readdirSync(dashboardsDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(dashboardsDir, f), 'utf8')) as { uid: string; title: string; panels: { targets?: { expr?: string }[] }[] });

describe('compose smoke check: judgements', () => {
  it('a vote is counted only when the results total moves', () => {
    const r = (total: number) => ({ paredaoId: 'p', total, candidates: [], hourly: [], updatedAt: '2026-12-04T19:00:00.000Z' });
    expect(judgeResultsMoved(r(10), r(11))).toEqual({ ok: true, detail: 'total 10 → 11' });
    expect(judgeResultsMoved(r(10), r(10)).ok).toBe(false);
    expect(judgeResultsMoved(r(10), { error: { code: 'no_paredao', message: 'Nenhum paredão no momento.' } }).ok).toBe(false);
  });

  it("mongosh's count of the vote's id must be exactly 1", () => {
    expect(judgeMongoCount('1\n', 'v1').ok).toBe(true);
    expect(judgeMongoCount('0\n', 'v1').ok).toBe(false);
    expect(judgeMongoCount('', 'v1').ok).toBe(false);
  });

  it("Grafana's health and dashboards, as Grafana 12 answers them", () => {
    expect(judgeGrafanaHealth({ commit: 'abc', database: 'ok', version: '12.2.1' })).toEqual({ ok: true, detail: 'database ok, Grafana 12.2.1' });
    expect(judgeGrafanaHealth({ commit: 'abc', database: 'failing', version: '12.2.1' }).ok).toBe(false);
    expect(dashboards.map((d) => d.uid).sort()).toEqual(['paredao-errors', 'paredao-executions', 'paredao-latency', 'paredao-pipeline']);
    for (const d of dashboards) {
      expect(judgeDashboard(d.uid, { meta: { type: 'db', provisioned: true }, dashboard: { ...d, id: 3, version: 1 } }).ok).toBe(true);
    }
    expect(judgeDashboard('paredao-errors', { message: 'Dashboard not found' }).ok).toBe(false);
    expect(judgeDashboard('paredao-errors', { meta: {}, dashboard: { uid: 'paredao-errors', title: 'x', panels: [] } }).ok).toBe(false);
  });

  it("the panel query it sends exists in the pipeline dashboard, and no dashboard's Grafana variable reaches Prometheus", () => {
    const pipeline = dashboards.find((d) => d.uid === 'paredao-pipeline');
    expect(panelExpression(pipeline, 'paredao_store_up')).toMatch(/paredao_store_up\{job="consumer"\}/);
    for (const d of dashboards) {
      for (const p of d.panels) for (const t of p.targets ?? []) if (t.expr) expect(instantExpression(t.expr), `${d.uid}: ${t.expr}`).not.toMatch(/\$/);
    }
  });

  it('an instant query passes with series at the expected value, not with none or another value', () => {
    const vector = (...values: string[]) => ({ status: 'success', data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { instance: `consumer-${i}:3001` }, value: [1764874800.123, v] })) } });
    expect(judgeInstantQuery(vector('1'), 1).ok).toBe(true);
    expect(judgeInstantQuery(vector('1', '0'), 1).ok).toBe(false);
    expect(judgeInstantQuery(vector(), 1)).toEqual({ ok: false, detail: 'the query answered no series' });
    expect(judgeInstantQuery({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:1: parse error' }).ok).toBe(false);
  });

  it("the test alert is found by this run's label and must be active", () => {
    const alert = smokeAlert('smoke-1', new Date('2026-12-04T19:00:00Z'));
    const answer = (state: string, run = 'smoke-1') => [{ ...alert, labels: { ...alert.labels, smoke_run: run }, fingerprint: 'f', receivers: [{ name: 'webhook-warning' }], status: { inhibitedBy: [], silencedBy: [], state }, updatedAt: alert.startsAt }];
    expect(judgeAlertReadBack(answer('active'), 'smoke-1').ok).toBe(true);
    expect(judgeAlertReadBack(answer('suppressed'), 'smoke-1').ok).toBe(false);
    expect(judgeAlertReadBack(answer('active', 'smoke-2'), 'smoke-1').ok).toBe(false);
    expect(judgeAlertReadBack([], 'smoke-1').ok).toBe(false);
  });

  it("Graylog's aggregation by level (scripting API): passes only when every needed level has events", () => {
    const answer = (rows: [string, number][]) => ({
      schema: [
        { column_type: 'grouping', type: 'string', field: 'level', name: 'grouping: level' },
        { column_type: 'metric', type: 'numeric', function: 'count', name: 'metric: count()' },
      ],
      datarows: rows,
      metadata: { effective_timerange: { type: 'absolute', from: '2026-12-04T18:30:00.000Z', to: '2026-12-04T19:00:00.000Z' } },
    });
    expect(judgeLevels(answer([['6', 42], ['4', 3], ['3', 1]]), ['6', '4', '3'])).toEqual({ ok: true, detail: 'api events by level: info=42, warn=3, error=1' });
    expect(judgeLevels(answer([['6', 42], ['4', 3]]), ['6', '4', '3'])).toEqual({ ok: false, detail: 'no api events at error yet (seen: info=42, warn=3)' });
    expect(judgeLevels(answer([]), ['4']).ok).toBe(false);
    expect(judgeLevels({ type: 'ApiError', message: 'Unable to map property group_by' }, ['4']).ok).toBe(false);
  });

  it('prints ✓/✗ lines and a closing line the CI log can be read by; any failure, or no check at all, exits 1', () => {
    expect(line('Grafana is healthy', { ok: true, detail: 'database ok' })).toBe('✓ Grafana is healthy: database ok');
    expect(line('Grafana is healthy', { ok: false, detail: 'fetch failed' })).toBe('✗ Grafana is healthy: fetch failed');
    expect(summary([{ ok: true, detail: '' }, { ok: true, detail: '' }], 1)).toEqual({ text: '2 passed, 0 failed, 1 skipped', exitCode: 0 });
    expect(summary([{ ok: true, detail: '' }, { ok: false, detail: '' }], 0)).toEqual({ text: '1 passed, 1 failed', exitCode: 1 });
    expect(summary([], 0).exitCode).toBe(1);
  });
});

describe('compose smoke check: the scripts', () => {
  it('run.sh (with its compose smoke subcommand) passes shellcheck', () => {
    if (skipWithoutTool({ tool: 'shellcheck', present: findTool(['shellcheck']), checks: 'shellcheck of run.sh' })) return;
    const r = spawnSync('shellcheck', ['-x', 'run.sh'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('./run.sh compose smoke runs scripts/compose-smoke.ts with .env loaded', () => {
    const runSh = readFileSync(join(root, 'run.sh'), 'utf8');
    const smoke = /\n {4}smoke\)\n([\s\S]*?)\n {6};;/.exec(runSh)?.[1] ?? '';
    expect(smoke).toMatch(/load_env_file \.env/);
    expect(smoke).toMatch(/exec node --import tsx scripts\/compose-smoke\.ts "\$@"/);
  });
});

describe.skipIf(skipWithoutTool({ tool: 'prometheus and prometheus-alertmanager', present: findTool(['/usr/bin/prometheus']) && findTool(['/usr/bin/prometheus-alertmanager']), checks: "the smoke check's judgements on a real Prometheus and Alertmanager" }))(
  "compose smoke check: the judgements on this machine's real Prometheus and Alertmanager",
  () => {
    const children: ChildProcess[] = [];
    // Waits for each to exit: the folder they write in is removed next (ENOTEMPTY otherwise).
    afterAll(async () => {
      await Promise.all(children.map((c) => stopProcess(c)));
    });

    it('Prometheus with a target that is down: the targets check fails and names it; with it gone, passes', async () => {
      const port = await freePort();
      const closed = await freePort();
      const config = (targets: string[]) => `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: self\n    static_configs: [{ targets: [${targets.map((t) => `"${t}"`).join(', ')}] }]\n`;
      writeFileSync(join(work, 'prometheus.yml'), config([`127.0.0.1:${port}`, `127.0.0.1:${closed}`]));
      const prom = spawn('/usr/bin/prometheus', [`--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'prom-data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-lifecycle', '--log.level=warn'], { stdio: 'ignore' });
      children.push(prom);
      const base = `http://127.0.0.1:${port}`;
      const targets = async () => (await fetch(`${base}/api/v1/targets?state=active`)).json();
      const failing = await waitFor('both targets scraped', async () => {
        const v = judgeTargets(await targets());
        return /not up: .*\(down/.test(v.detail) && v;
      }, 20_000, 300);
      expect(failing.ok).toBe(false);
      expect(failing.detail).toContain(`self@127.0.0.1:${closed} (down`);

      writeFileSync(join(work, 'prometheus.yml'), config([`127.0.0.1:${port}`]));
      expect((await fetch(`${base}/-/reload`, { method: 'POST' })).ok).toBe(true);
      const passing = await waitFor('the reloaded config scraped', async () => {
        const v = judgeTargets(await targets());
        return v.ok && v;
      }, 20_000, 300);
      expect(passing.detail).toBe('1 targets up (self)');
      const up = await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(instantExpression(`max_over_time(up{job="self",instance="127.0.0.1:${port}"}[$__rate_interval])`))}`)).json();
      expect(judgeInstantQuery(up, 1).ok).toBe(true);
    }, 60_000);

    it("Alertmanager takes the smoke check's test alert and gives it back by its label", async () => {
      const port = await freePort();
      writeFileSync(join(work, 'alertmanager.yml'), 'route: { receiver: nowhere }\nreceivers: [{ name: nowhere }]\n');
      const am = spawn('/usr/bin/prometheus-alertmanager', [`--config.file=${join(work, 'alertmanager.yml')}`, `--storage.path=${join(work, 'am-data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], { stdio: 'ignore' });
      children.push(am);
      const base = `http://127.0.0.1:${port}`;
      await waitFor('alertmanager ready', async () => (await fetch(`${base}/-/ready`)).ok, 15_000);
      const post = await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([smokeAlert('smoke-test-1', new Date())]) });
      expect(post.status).toBe(200);
      const read = async (run: string) => (await fetch(`${base}/api/v2/alerts?filter=${encodeURIComponent(`smoke_run="${run}"`)}`)).json();
      const v = await waitFor('the alert read back', async () => {
        const j = judgeAlertReadBack(await read('smoke-test-1'), 'smoke-test-1');
        return j.ok && j;
      }, 10_000, 200);
      expect(v.detail).toBe('test alert smoke-test-1 received, state active');
      expect(judgeAlertReadBack(await read('smoke-test-2'), 'smoke-test-2').ok).toBe(false);
    }, 30_000);
  },
);
