// The one definition of how alerts reach a person: routes, receivers and inhibitions. Both configs are
// derived from it, like Prometheus's (../prometheus/targets.ts):
//   - alertmanager.compose.yml (committed; `npx tsx monitoring/alertmanager/render-compose.ts` rewrites
//     it, tests/config/alertmanager.test.ts fails when it drifts), the webhook URL read from a file that
//     compose writes from ALERT_WEBHOOK_URL (Alertmanager config cannot read the environment);
//   - the local config for ./run.sh (`npx tsx monitoring/alertmanager/render-local.ts <out>`), the URL
//     written in: Debian's Alertmanager 0.25 has no url_file (added in 0.26, config/notifiers.go).
// docs/MONITORING.md ("Alerting") explains the choices.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toYaml } from '../prometheus/targets.js';

export interface Timings {
  /** Wait before the first notification of a new group, to batch alerts that fire together. */
  groupWait: string;
  /** Wait before notifying about changes (new alerts, resolutions) in a group already notified. */
  groupInterval: string;
  /** Repeat an unchanged, still-firing group after this long. */
  repeatInterval: string;
}

/** Production timings per severity: a critical page comes fast and repeats hourly. */
export const TIMINGS: Record<'critical' | 'warning', Timings> = {
  critical: { groupWait: '10s', groupInterval: '1m', repeatInterval: '1h' },
  warning: { groupWait: '1m', groupInterval: '5m', repeatInterval: '12h' },
};

/**
 * Alerts that explain others. Each inhibition has an `equal:`, so one target's or one service's
 * trouble holds back only its own consequences: with several brokers (the cluster override, or
 * Ansible's rabbitmq group), one node down says nothing about the others, and a service that lost
 * its broker explains its own errors, not another service's.
 */
export const BROKER_DOWN = {
  /** A service lost its connection (labels job and instance of that service). */
  service: 'alertname="BrokerDisconnected"',
  /** What follows for that service; each carries the job it is about (the backlog alerts: consumer). */
  consequences: ['ApiHighErrorRatio', 'ApiLatencyP99High', 'ConsumerNotAcking', 'VoteQueueBacklogGrowing'],
  /** One RabbitMQ node's metrics endpoint is gone: its queue metrics (the same node) go with it. */
  node: 'alertname="TargetDown", job="rabbitmq"',
  nodeQueues: 'alertname="TargetDown", job="rabbitmq-queues"',
} as const;

export type Webhook = { url: string } | { urlFile: string } | null;

export interface AlertmanagerOptions {
  /** Where notifications go; null: nowhere (alerts are only visible in Alertmanager's UI). */
  webhook: Webhook;
  /** Overrides for both severities (the e2e test uses seconds). */
  timings?: Partial<Timings>;
}

function routeTimings(t: Timings): Record<string, string> {
  return { group_wait: t.groupWait, group_interval: t.groupInterval, repeat_interval: t.repeatInterval };
}

function receiver(name: string, webhook: Webhook): Record<string, unknown> {
  if (!webhook) return { name };
  const target = 'url' in webhook ? { url: webhook.url } : { url_file: webhook.urlFile };
  return { name, webhook_configs: [{ ...target, send_resolved: true, max_alerts: 20 }] };
}

export function alertmanagerConfig(opts: AlertmanagerOptions): Record<string, unknown> {
  const t = (severity: keyof typeof TIMINGS): Timings => ({ ...TIMINGS[severity], ...opts.timings });
  return {
    route: {
      receiver: 'webhook-warning',
      // One notification per alert name, listing every instance that fires it.
      group_by: ['alertname'],
      ...routeTimings(t('warning')),
      routes: [
        { matchers: ['severity="critical"'], receiver: 'webhook-critical', ...routeTimings(t('critical')) },
        { matchers: ['severity="warning"'], receiver: 'webhook-warning', ...routeTimings(t('warning')) },
      ],
    },
    // Same URL; the receiver name in the payload ("webhook-critical") lets the endpoint page or not.
    receivers: [receiver('webhook-critical', opts.webhook), receiver('webhook-warning', opts.webhook)],
    inhibit_rules: [
      // A service without its broker: its 503s and latency (api), or its idle consumer and the
      // backlog (consumer), follow from that; another service's alerts do not.
      {
        source_matchers: [BROKER_DOWN.service],
        target_matchers: [`alertname=~"${BROKER_DOWN.consequences.join('|')}"`],
        equal: ['job'],
      },
      // One node down: one message, not one per job scraping it.
      {
        source_matchers: BROKER_DOWN.node.split(', '),
        target_matchers: BROKER_DOWN.nodeQueues.split(', '),
        equal: ['instance'],
      },
    ],
  };
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const COMPOSE_FILE = path.join(HERE, 'alertmanager.compose.yml');
/** Where compose mounts the webhook URL (a `configs` entry whose content is ALERT_WEBHOOK_URL). */
export const COMPOSE_WEBHOOK_URL_FILE = '/etc/alertmanager/webhook-url';

export function renderCompose(): string {
  return toYaml(
    alertmanagerConfig({ webhook: { urlFile: COMPOSE_WEBHOOK_URL_FILE } }),
    [
      'Generated from monitoring/alertmanager/config.ts by',
      '`npx tsx monitoring/alertmanager/render-compose.ts`. Do not edit by hand.',
      `The webhook URL is read from ${COMPOSE_WEBHOOK_URL_FILE} (ALERT_WEBHOOK_URL, docker-compose.yml).`,
    ].join('\n'),
  );
}

/** The local config: ALERT_WEBHOOK_URL from the environment, or no receiver at all when it is empty. */
export function renderLocal(env: Record<string, string | undefined>, timings?: Partial<Timings>): string {
  const url = env.ALERT_WEBHOOK_URL?.trim();
  if (url && !/^https?:\/\/\S+$/.test(url)) throw new Error(`ALERT_WEBHOOK_URL must be an http(s) URL, got ${JSON.stringify(url)}`);
  return toYaml(
    alertmanagerConfig({ webhook: url ? { url } : null, ...(timings ? { timings } : {}) }),
    'Generated by monitoring/alertmanager/render-local.ts from config.ts for ./run.sh.',
  );
}
