// An alert reaches a person: the real stack, the real Prometheus with the repository's rules and the
// real Alertmanager with the repository's routes. The api and the consumer reach RabbitMQ through a TCP
// relay this test owns; cutting it takes their broker away and nobody else's (the shared node on 5672
// keeps running for every other test). BrokerDisconnected must fire in Prometheus, arrive at a webhook
// listener here, and resolve once the relay is back.
//
// Timings are the production config rendered for a test stack by the same renderers ./run.sh uses:
// alerts' `for:` shortened by writeRules, Prometheus scraping every second, Alertmanager's group
// timings in seconds. Routes, receivers, inhibitions and rule expressions are the committed ones.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRules } from '../../monitoring/prometheus/targets.js';
import { missingMonitoring, startMonitoring, type Monitoring } from '@paredao/testkit/monitoring';
import { waitFor } from '@paredao/testkit/ports';
import { AMQP_URL, startStack, type Stack } from '@paredao/testkit/stack';
import { skipWithoutTool } from '../support/require-tool.js';

const missing = missingMonitoring();

/** A TCP relay to the broker that the test can cut (refusing and dropping every connection) and restore. */
class Relay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    this.server = undefined;
  }
}

type Notification = { receiver: string; status: string; groupLabels: Record<string, string>; alerts: { status: string; labels: Record<string, string> }[] };

describe.skipIf(skipWithoutTool({ tool: 'prometheus and prometheus-alertmanager', present: missing.length === 0, why: `are missing (${missing.join(', ')})`, checks: 'the alerts e2e tests' }))('alerts reach a webhook', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'paredao-alerts-'));
  // AMQP_URL may list several nodes (comma-separated): the relay leads to the first.
  const broker = new URL(AMQP_URL.split(',')[0]!.trim());
  const relay = new Relay({ host: broker.hostname, port: Number(broker.port || 5672) });
  const notifications: Notification[] = [];
  let stack: Stack | undefined;
  let hook: Server | undefined;
  let monitoring: Monitoring | undefined;
  let promUrl = '';

  async function alertState(name: string): Promise<string | undefined> {
    const res = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
    const states = res.data.alerts.filter((a) => a.labels.alertname === name).map((a) => a.state);
    return states.includes('firing') ? 'firing' : states[0];
  }

  beforeAll(async () => {
    await relay.open();
    const relayed = new URL(broker.href);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(relay.port);
    stack = await startStack({ env: { AMQP_URL: relayed.toString() } });

    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        notifications.push(JSON.parse(body) as Notification);
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook!.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hook.address() as net.AddressInfo).port}/paredao-alerts`;

    monitoring = await startMonitoring({
      dir: tmp,
      targets: stack,
      webhookUrl: hookUrl,
      rulesDir: writeRules(path.join(tmp, 'rules'), { alertFor: '2s' }),
      fast: true,
    });
    promUrl = monitoring.promUrl;
  }, 120_000);

  afterAll(async () => {
    await relay.cut().catch(() => {});
    await monitoring?.stop();
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
    // Back on the direct path, so stop() can delete the test's queues.
    await stack?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('when the api loses its broker, then BrokerDisconnected fires, reaches the webhook, and resolves when it is back', async () => {
    // Healthy first: both services report a connection, nothing about the broker is pending.
    await waitFor('api and consumer scraped with a broker connection', async () => {
      const res = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent('paredao_broker_connected')}`)).json()) as {
        data: { result: { metric: { job: string }; value: [number, string] }[] };
      };
      const up = res.data.result.filter((r) => r.value[1] === '1').map((r) => r.metric.job);
      return up.includes('api') && up.includes('consumer');
    }, 30_000);
    expect(await alertState('BrokerDisconnected')).toBeUndefined();

    await relay.cut();
    await waitFor(`BrokerDisconnected firing in Prometheus\n${monitoring!.logs()}`, async () => (await alertState('BrokerDisconnected')) === 'firing', 60_000, 500);
    const firing = await waitFor(
      'the firing notification at the webhook',
      async () => notifications.find((n) => n.status === 'firing' && n.groupLabels.alertname === 'BrokerDisconnected'),
      30_000,
      200,
    );
    expect(firing.receiver).toBe('webhook-critical');
    expect(firing.alerts.map((a) => a.labels.job)).toContain('api');
    expect(firing.alerts.every((a) => a.labels.severity === 'critical')).toBe(true);

    await relay.open();
    const resolved = await waitFor(
      `the resolved notification at the webhook\n${monitoring!.logs()}`,
      async () => notifications.find((n) => n.status === 'resolved' && n.groupLabels.alertname === 'BrokerDisconnected'),
      90_000,
      200,
    );
    expect(resolved.alerts.every((a) => a.status === 'resolved')).toBe(true);
    expect(await alertState('BrokerDisconnected')).toBeUndefined();
    // The votes flow again through the restored path.
    expect((await stack!.vote((await stack!.results()).candidates[0]!.id)).status).toBe(202);
  }, 180_000);
});
