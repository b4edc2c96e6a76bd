// Alertmanager's configuration with the real Alertmanager (Debian's prometheus-alertmanager, which
// ./preflight.sh installs): the committed compose file matches its source, amtool accepts both
// renderings and routes each severity to its receiver, and a running Alertmanager delivers an alert to
// a webhook while inhibiting what the broker being down explains.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BROKER_DOWN, COMPOSE_FILE, COMPOSE_WEBHOOK_URL_FILE, renderCompose, renderLocal } from '../../monitoring/alertmanager/config.js';
import { freePort, waitFor } from '@paredao/testkit/ports';
import { stopProcess } from '@paredao/testkit/process';
import { skipWithoutTool } from '../support/require-tool.js';

const AMTOOL = ['/usr/bin/amtool', '/usr/local/bin/amtool'].find((p) => existsSync(p));
const ALERTMANAGER = ['/usr/bin/prometheus-alertmanager', '/usr/local/bin/alertmanager'].find((p) => existsSync(p));
const skipAmtool = skipWithoutTool({ tool: 'amtool (Debian package prometheus-alertmanager)', present: AMTOOL, checks: 'the amtool checks of the Alertmanager configs' });
const skipAlertmanager = skipWithoutTool({ tool: 'prometheus-alertmanager', present: ALERTMANAGER, checks: 'a running Alertmanager with this config' });

const work = mkdtempSync(join(tmpdir(), 'paredao-alertmanager-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function amtool(...args: string[]): string {
  return execFileSync(AMTOOL!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('Alertmanager configuration', () => {
  it('the committed compose config is what config.ts renders', () => {
    expect(readFileSync(COMPOSE_FILE, 'utf8'), 'run `npx tsx monitoring/alertmanager/render-compose.ts`').toBe(renderCompose());
  });

  it('compose reads the webhook URL from the file docker-compose.yml mounts from ALERT_WEBHOOK_URL', () => {
    const compose = readFileSync(join(import.meta.dirname, '../../docker-compose.yml'), 'utf8');
    expect(compose).toContain(`target: ${COMPOSE_WEBHOOK_URL_FILE}`);
    // Never empty (tests/config/compose-configs.test.ts): a placeholder when the variable is not set.
    expect(compose).toMatch(/alert-webhook-url:\n\s+content: \$\{ALERT_WEBHOOK_URL:-[^}]+\}/);
    const receivers = (parse(renderCompose()) as { receivers: { webhook_configs: { url_file: string }[] }[] }).receivers;
    for (const r of receivers) expect(r.webhook_configs[0]!.url_file).toBe(COMPOSE_WEBHOOK_URL_FILE);
  });

  it('refuses a webhook that is not an http(s) URL, and leaves receivers empty without one', () => {
    expect(() => renderLocal({ ALERT_WEBHOOK_URL: 'hooks.example/x' })).toThrow(/http\(s\) URL/);
    const none = parse(renderLocal({})) as { receivers: Record<string, unknown>[] };
    expect(none.receivers.every((r) => !('webhook_configs' in r))).toBe(true);
  });

  it.skipIf(skipAmtool)('amtool accepts the local config and the compose one', () => {
    const local = join(work, 'local.yml');
    writeFileSync(local, renderLocal({ ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/hook' }));
    expect(amtool('check-config', local)).toMatch(/SUCCESS/);
    // Debian's amtool is 0.25, older than url_file (0.26): the compose file is checked with the URL in place.
    const compose = join(work, 'compose.yml');
    writeFileSync(compose, renderCompose().replaceAll(`url_file: ${COMPOSE_WEBHOOK_URL_FILE}`, 'url: http://127.0.0.1:9/hook'));
    expect(amtool('check-config', compose)).toMatch(/SUCCESS/);
  });

  it.skipIf(skipAmtool)('routes each severity to its receiver, grouped by alert name', () => {
    const local = join(work, 'routes.yml');
    writeFileSync(local, renderLocal({ ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/hook' }));
    const route = (...labels: string[]) => amtool('config', 'routes', 'test', `--config.file=${local}`, ...labels).trim();
    expect(route('alertname=BrokerDisconnected', 'severity=critical')).toBe('webhook-critical');
    expect(route('alertname=ApiLatencyP99High', 'severity=warning')).toBe('webhook-warning');
    expect(route('alertname=Unlabelled')).toBe('webhook-warning');
  });
});

describe.skipIf(skipAlertmanager)('a running Alertmanager with this config', () => {
  let am: ChildProcess | undefined;
  let hook: Server | undefined;
  let amLog = '';
  let base = '';
  const received: { receiver: string; status: string; alerts: { labels: Record<string, string>; status: string }[] }[] = [];

  afterAll(async () => {
    await stopProcess(am);
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
  });

  it('delivers BrokerDisconnected to the webhook and holds back what it explains', async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook!.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
    const port = await freePort();
    const config = join(work, 'running.yml');
    writeFileSync(config, renderLocal({ ALERT_WEBHOOK_URL: hookUrl }, { groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' }));
    am = spawn(ALERTMANAGER!, [`--config.file=${config}`, `--storage.path=${join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    am.stderr!.on('data', (c: Buffer) => (amLog = (amLog + c.toString()).slice(-3000)));
    base = `http://127.0.0.1:${port}`;
    await waitFor(`alertmanager ready (${amLog})`, async () => (await fetch(`${base}/-/ready`)).ok, 15_000);

    const alert = (labels: Record<string, string>) => ({ labels, annotations: { summary: labels.alertname }, startsAt: new Date().toISOString() });
    const post = await fetch(`${base}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        alert({ alertname: 'BrokerDisconnected', severity: 'critical', job: 'api', instance: '127.0.0.1:3000' }),
        alert({ alertname: 'ApiHighErrorRatio', severity: 'critical', job: 'api' }),
      ]),
    });
    expect(post.status).toBe(200);

    const first = await waitFor(`a webhook call (${amLog})`, async () => received[0], 15_000);
    expect(first.receiver).toBe('webhook-critical');
    expect(first.status).toBe('firing');
    expect(first.alerts.map((a) => a.labels.alertname)).toEqual(['BrokerDisconnected']);

    const alerts = (await (await fetch(`${base}/api/v2/alerts`)).json()) as { labels: Record<string, string>; status: { inhibitedBy: string[] } }[];
    const errors = alerts.find((a) => a.labels.alertname === 'ApiHighErrorRatio');
    expect(errors?.status.inhibitedBy.length, 'ApiHighErrorRatio is explained by BrokerDisconnected').toBeGreaterThan(0);
    expect(received.flatMap((r) => r.alerts.map((a) => a.labels.alertname))).not.toContain('ApiHighErrorRatio');
    expect(BROKER_DOWN.consequences).toContain('ApiHighErrorRatio');
  });

  it("holds back only the same service's or the same node's alerts: one broker node down mutes nothing else", async () => {
    expect(base, 'the Alertmanager of the test above').not.toBe('');
    type Held = { labels: Record<string, string>; status: { inhibitedBy: string[] } };
    const alert = (labels: Record<string, string>) => ({ labels, annotations: { summary: labels.alertname }, startsAt: new Date().toISOString() });
    const send = async (...labels: Record<string, string>[]) =>
      expect((await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(labels.map(alert)) })).status).toBe(200);
    /** Whether the alert with these labels is held back, once Alertmanager has looked at it. */
    const muted = async (labels: Record<string, string>, expected: boolean) =>
      waitFor(`${JSON.stringify(labels)} ${expected ? 'inhibited' : 'not inhibited'}`, async () => {
        const all = (await (await fetch(`${base}/api/v2/alerts`)).json()) as Held[];
        const a = all.find((h) => Object.entries(labels).every(([k, v]) => h.labels[k] === v));
        return a && a.status.inhibitedBy.length > 0 === expected ? true : undefined;
      }, 10_000);

    // The api lost its broker (posted above, still firing); the consumer's backlog is not explained by it.
    await send(
      { alertname: 'ConsumerNotAcking', severity: 'critical', job: 'consumer', vhost: '/', queue: 'votes' },
      { alertname: 'VoteQueueBacklogGrowing', severity: 'warning', job: 'consumer', vhost: '/', queue: 'votes' },
      // One of two external brokers is down: both its jobs fail to scrape it.
      { alertname: 'TargetDown', severity: 'critical', job: 'rabbitmq', instance: '10.0.0.22:15692' },
      { alertname: 'TargetDown', severity: 'critical', job: 'rabbitmq-queues', instance: '10.0.0.22:15692' },
      { alertname: 'TargetDown', severity: 'critical', job: 'rabbitmq-queues', instance: '10.0.0.21:15692' },
    );
    await muted({ alertname: 'ConsumerNotAcking' }, false);
    await muted({ alertname: 'VoteQueueBacklogGrowing' }, false);
    // A broker node down mutes no service's BrokerDisconnected, only its own second scrape job.
    await muted({ alertname: 'BrokerDisconnected', job: 'api' }, false);
    await muted({ alertname: 'TargetDown', job: 'rabbitmq', instance: '10.0.0.22:15692' }, false);
    await muted({ alertname: 'TargetDown', job: 'rabbitmq-queues', instance: '10.0.0.22:15692' }, true);
    await muted({ alertname: 'TargetDown', job: 'rabbitmq-queues', instance: '10.0.0.21:15692' }, false);

    // The consumer's own BrokerDisconnected does explain them.
    await send({ alertname: 'BrokerDisconnected', severity: 'critical', job: 'consumer', instance: '127.0.0.1:3001' });
    await muted({ alertname: 'ConsumerNotAcking' }, true);
    await muted({ alertname: 'VoteQueueBacklogGrowing' }, true);
    await muted({ alertname: 'BrokerDisconnected', job: 'consumer' }, false);
  });

  it('every inhibition has an equal:, so it holds back only alerts that share those labels with its source', () => {
    const config = parse(renderCompose()) as { inhibit_rules: { source_matchers: string[]; equal?: string[] }[] };
    for (const rule of config.inhibit_rules) expect(rule.equal?.length, JSON.stringify(rule.source_matchers)).toBeGreaterThan(0);
  });
});
