// Offline checks of monitoring/: Prometheus configs, rules and rule tests with the real promtool;
// every PromQL expression parsed; the committed generated files equal a fresh generation.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { DATASOURCE, buildDashboards, serialise } from '../../monitoring/grafana/dashboards.js';
import { dashboardExpressions, promqlSyntaxErrors, ruleExpressions } from '../../monitoring/queries.js';
import {
  COMPOSE_FILE,
  COMPOSE_RULES_DIR,
  JOBS,
  RULES_DIR,
  RULE_FILES,
  localConfig,
  writeRules,
  renderCompose,
  toYaml,
} from '../../monitoring/prometheus/targets.js';
import { skipWithoutTool } from '../support/require-tool.js';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const prometheusDir = path.join(repo, 'monitoring/prometheus');
const dashboardsDir = path.join(repo, 'monitoring/grafana/dashboards');

const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));
const skipPromtool = skipWithoutTool({ tool: 'promtool (Debian package prometheus)', present: PROMTOOL, checks: 'the promtool checks' });

const tmp = mkdtempSync(path.join(os.tmpdir(), 'paredao-monitoring-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(PROMTOOL!, args, { cwd: repo });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

describe('Prometheus scrape config', () => {
  it('the committed compose config is exactly what targets.ts renders', () => {
    expect(readFileSync(COMPOSE_FILE, 'utf8'), 'run `npx tsx monitoring/prometheus/render-compose.ts`').toBe(renderCompose());
  });

  it('scrapes every job ARCHITECTURE.md names, every 5s, each api replica on its own', () => {
    const config = parse(readFileSync(COMPOSE_FILE, 'utf8'));
    const jobs = config.scrape_configs.map((s: { job_name: string }) => s.job_name);
    expect(jobs).toEqual(expect.arrayContaining(['api', 'consumer', 'rabbitmq', 'rabbitmq-queues', 'nginx', 'mongodb', 'node', 'prometheus']));
    expect(config.global.scrape_interval).toBe('5s');
    const api = config.scrape_configs.find((s: { job_name: string }) => s.job_name === 'api');
    expect(api.dns_sd_configs).toEqual([{ names: ['api'], type: 'A', port: 3000 }]);
    expect(config.rule_files).toEqual(RULE_FILES.map((f) => `${COMPOSE_RULES_DIR}/${f}`));
  });

  it('the local config scrapes 127.0.0.1 on the ports the environment gives, with absolute rule paths', () => {
    const config = localConfig({ env: { API_PORT: '4100', CONSUMER_PORT: '4101', PROMETHEUS_PORT: '4102' } }) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = Object.fromEntries(config.scrape_configs.map((s) => [s.job_name, s.static_configs[0]!.targets]));
    expect(targets).toEqual({
      api: ['127.0.0.1:4100'],
      consumer: ['127.0.0.1:4101'],
      rabbitmq: ['127.0.0.1:15692'],
      'rabbitmq-queues': ['127.0.0.1:15692'],
      prometheus: ['127.0.0.1:4102'],
    });
    expect(config.rule_files.every((f) => path.isAbsolute(f) && existsSync(f))).toBe(true);
    expect(() => localConfig({ env: { API_PORT: 'http' } })).toThrow(/API_PORT/);
  });

  it('both configs send alerts to Alertmanager: the compose service, or ALERTMANAGER_PORT locally', () => {
    const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'));
    expect(compose.alerting.alertmanagers[0].static_configs[0].targets).toEqual(['alertmanager:9093']);
    const local = localConfig({ env: { ALERTMANAGER_PORT: '4193' } }) as { alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] } };
    expect(local.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual(['127.0.0.1:4193']);
    expect(localConfig({ env: {} }), 'no Alertmanager named, none assumed').not.toHaveProperty('alerting');
  });

  it('writeRules shortens only the alerts\' `for:`, for a test stack', () => {
    const dir = writeRules(path.join(tmp, 'fast-rules'), { alertFor: '3s' });
    const original = parse(readFileSync(path.join(RULES_DIR, 'alerts.yml'), 'utf8'));
    const fast = parse(readFileSync(path.join(dir, 'alerts.yml'), 'utf8'));
    const rules = (doc: { groups: { rules: Record<string, unknown>[] }[] }) => doc.groups.flatMap((g) => g.rules);
    expect(rules(fast).map((r) => r.expr)).toEqual(rules(original).map((r) => r.expr));
    expect(rules(fast).filter((r) => r.for).every((r) => r.for === '3s')).toBe(true);
    expect(rules(fast).filter((r) => r.for).length).toBe(rules(original).filter((r) => r.for).length);
    expect(readFileSync(path.join(dir, 'recording.yml'), 'utf8')).toContain('record:');
  });

  it('both configs carry the same jobs with the same paths and parameters', () => {
    const strip = (c: Record<string, unknown>) =>
      (c.scrape_configs as Record<string, unknown>[]).map(({ job_name, metrics_path, params }) => ({ job_name, metrics_path, params }));
    const local = strip(localConfig());
    const compose = strip(parse(readFileSync(COMPOSE_FILE, 'utf8')));
    expect(local.length).toBeGreaterThan(0);
    for (const job of local) expect(compose).toContainEqual(job);
    expect(JOBS.filter((j) => !j.local).map((j) => j.job)).toEqual(['nginx', 'mongodb', 'node']);
  });

  describe.skipIf(skipPromtool)('promtool', () => {
    it('accepts the compose config, with its rules where compose mounts them', async () => {
      expect(await promtool('check', 'config', '--syntax-only', COMPOSE_FILE)).toMatch(/SUCCESS/);
      // Full check (rule files loaded) on a copy pointing at the rules in the repository.
      const copy = path.join(tmp, 'compose-full.yml');
      writeFileSync(copy, readFileSync(COMPOSE_FILE, 'utf8').replaceAll(`${COMPOSE_RULES_DIR}/`, `${RULES_DIR}/`));
      expect(await promtool('check', 'config', copy)).toMatch(/SUCCESS: 2 rule files found/);
    });

    it('accepts a freshly rendered local config, rules included', async () => {
      const out = path.join(tmp, 'local.yml');
      await run(process.execPath, ['--import', 'tsx', path.join(prometheusDir, 'render-local.ts'), out], {
        cwd: repo,
        env: { ...process.env, API_PORT: '4200' },
      });
      const rendered = parse(readFileSync(out, 'utf8'));
      expect(rendered.scrape_configs[0].static_configs[0].targets).toEqual(['127.0.0.1:4200']);
      expect(await promtool('check', 'config', out)).toMatch(/SUCCESS: 2 rule files found/);
    });

    it('accepts the rule files', async () => {
      const output = await promtool('check', 'rules', ...RULE_FILES.map((f) => path.join(RULES_DIR, f)));
      expect(output).not.toMatch(/FAILED/);
    });

    it('passes the rule unit tests, which cover every alert firing and quiet', async () => {
      const testFile = path.join(prometheusDir, 'tests/alerts.test.yml');
      expect(await promtool('test', 'rules', testFile)).toMatch(/SUCCESS/);
      const tested = new Set(
        [...readFileSync(testFile, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]),
      );
      const alerts = ruleExpressions().filter((e) => e.kind === 'alert').map((e) => e.where.split(' › ')[2]);
      expect(alerts.length).toBeGreaterThanOrEqual(6);
      for (const a of alerts) expect(tested, `no promtool test for ${a}`).toContain(a);
    });

    it('Prometheus itself parses every dashboard expression', async () => {
      // promtool has no offline query command, so each panel expression becomes a recording rule.
      const rules = {
        groups: [
          {
            name: 'dashboard-expressions',
            rules: dashboardExpressions().map((e, i) => ({ record: `dashboard:expr_${i}`, expr: e.expr })),
          },
        ],
      };
      const file = path.join(tmp, 'dashboard-expressions.yml');
      writeFileSync(file, stringify(rules));
      expect(await promtool('check', 'rules', file)).toMatch(/SUCCESS/);
    });
  });
});

describe('PromQL', () => {
  const all = [...dashboardExpressions(), ...ruleExpressions()];

  it('finds expressions in every dashboard and rule file', () => {
    expect(all.filter((e) => e.kind === 'panel').length).toBeGreaterThan(20);
    expect(all.filter((e) => e.kind === 'alert').length).toBeGreaterThanOrEqual(6);
  });

  it.each(all.map((e) => [e.where, e.expr]))('%s parses', (_where, expr) => {
    expect(promqlSyntaxErrors(expr)).toEqual([]);
  });

  it('the grammar check really rejects a broken expression', () => {
    expect(promqlSyntaxErrors('sum by (route (rate(http_requests_total[1m]))')).not.toEqual([]);
    expect(promqlSyntaxErrors('rate(http_requests_total[$__rate_interval])')).not.toEqual([]);
  });
});

describe('Grafana dashboards', () => {
  const built = buildDashboards();

  it('four dashboards: executions, latency, errors, pipeline', () => {
    expect(built.map((d) => d.file)).toEqual(['executions.json', 'latency.json', 'errors.json', 'pipeline.json']);
  });

  it.each(built.map((d) => [d.file, d]))('%s is committed exactly as generated', (file) => {
    const fresh = built.find((d) => d.file === file)!;
    const committed = path.join(dashboardsDir, file);
    expect(existsSync(committed), `${committed} missing: run npx tsx monitoring/grafana/generate.ts`).toBe(true);
    expect(readFileSync(committed, 'utf8'), 'run `npx tsx monitoring/grafana/generate.ts`').toBe(serialise(fresh.model));
  });

  it.each(built.map((d) => [d.file, d]))('%s: uid, 5s refresh, last 15 minutes, schema 39-41, no id', (_file, d) => {
    const m = JSON.parse(readFileSync(path.join(dashboardsDir, d.file), 'utf8'));
    expect(m.uid).toMatch(/^paredao-[a-z]+$/);
    expect(m.refresh).toBe('5s');
    expect(m.time).toEqual({ from: 'now-15m', to: 'now' });
    expect(m.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(m.schemaVersion).toBeLessThanOrEqual(41);
    expect(m).not.toHaveProperty('id');
    expect(m.templating.list).toBeInstanceOf(Array);
    expect(m.annotations.list).toBeInstanceOf(Array);
  });

  it('every panel and every query uses the provisioned Prometheus datasource', () => {
    const datasource = parse(readFileSync(path.join(repo, 'monitoring/grafana/provisioning/datasources/prometheus.yaml'), 'utf8'));
    expect(datasource.datasources[0]).toMatchObject({ uid: DATASOURCE.uid, type: 'prometheus', url: 'http://prometheus:9090', isDefault: true });
    for (const d of built) {
      const m = JSON.parse(readFileSync(path.join(dashboardsDir, d.file), 'utf8'));
      expect(m.panels.length).toBeGreaterThan(0);
      for (const p of m.panels) {
        expect(p.datasource, `${d.file} › ${p.title}`).toEqual(DATASOURCE);
        expect(p.targets.length, `${d.file} › ${p.title} has no query`).toBeGreaterThan(0);
        for (const t of p.targets) expect(t.datasource, `${d.file} › ${p.title} › ${t.refId}`).toEqual(DATASOURCE);
      }
    }
  });

  it('the dashboard provider loads the generated folder', () => {
    const provider = parse(readFileSync(path.join(repo, 'monitoring/grafana/provisioning/dashboards/dashboards.yaml'), 'utf8'));
    expect(provider.providers[0]).toMatchObject({ type: 'file', folder: 'Paredão', options: { path: '/var/lib/grafana/dashboards' } });
  });
});

// Keeps toYaml's header format honest: a header line that is not a comment would break the YAML.
it('generated YAML headers are comments', () => {
  expect(parse(toYaml({ a: 1 }, 'one\ntwo'))).toEqual({ a: 1 });
});
