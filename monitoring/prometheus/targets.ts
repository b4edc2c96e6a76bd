// The one list of what Prometheus scrapes. Both configs are derived from it:
//   - prometheus.compose.yml (committed; `npx tsx monitoring/prometheus/render-compose.ts` rewrites it,
//     and tests/config/monitoring.test.ts fails when the committed file drifts from this list)
//   - the local config for ./run.sh (`npx tsx monitoring/prometheus/render-local.ts <out>`)
// Job names are the contract in docs/ARCHITECTURE.md: dashboards and alerts select on them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const SCRAPE_INTERVAL = '5s';
export const RULE_FILES = ['recording.yml', 'alerts.yml'] as const;

/** Where the committed compose config expects the rules folder to be mounted. */
export const COMPOSE_RULES_DIR = '/etc/prometheus/rules';

export const RULES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rules');

type Target =
  /** A fixed host:port. */
  | { kind: 'static'; host: string; port: number }
  /** Every A record of a compose service name, so each replica is scraped on its own. */
  | { kind: 'dns'; name: string; port: number }
  /** Targets from a file that Prometheus watches (file_sd). */
  | { kind: 'file'; file: string };

/**
 * Every RabbitMQ node the services use: one in the main compose file, three with the cluster
 * override, the hosts of Ansible's rabbitmq group with the external one. broker-targets.sh (the
 * one-shot compose service prometheus-targets) writes it from the same AMQP URL list before
 * Prometheus starts. Queue metrics come from the node that leads each queue, so every node is scraped.
 */
export const BROKER_TARGETS_FILE = '/etc/prometheus/targets/rabbitmq.json';

interface LocalTarget {
  port: number;
  /** Environment variable that overrides the port, named as in ARCHITECTURE.md. */
  portEnv?: string;
}

export interface JobDef {
  job: string;
  metricsPath?: string;
  params?: Record<string, string[]>;
  compose: Target;
  /** Absent: not part of the single-machine run (no such exporter there). */
  local?: LocalTarget;
}

// Per-queue depth: /metrics is aggregated over all queues, so a second job reads the detailed
// endpoint restricted to the queue families (cheaper than /metrics/per-object, which also returns
// every channel and connection). Series come out as rabbitmq_detailed_queue_*{vhost,queue}.
const RABBITMQ_QUEUE_FAMILIES = ['queue_coarse_metrics', 'queue_consumer_count'];

export const JOBS: readonly JobDef[] = [
  { job: 'api', compose: { kind: 'dns', name: 'api', port: 3000 }, local: { port: 3000, portEnv: 'API_PORT' } },
  {
    job: 'consumer',
    compose: { kind: 'static', host: 'consumer', port: 3001 },
    local: { port: 3001, portEnv: 'CONSUMER_PORT' },
  },
  {
    job: 'rabbitmq',
    metricsPath: '/metrics',
    compose: { kind: 'file', file: BROKER_TARGETS_FILE },
    local: { port: 15692 },
  },
  {
    job: 'rabbitmq-queues',
    metricsPath: '/metrics/detailed',
    params: { family: RABBITMQ_QUEUE_FAMILIES },
    compose: { kind: 'file', file: BROKER_TARGETS_FILE },
    local: { port: 15692 },
  },
  { job: 'nginx', compose: { kind: 'static', host: 'nginx-exporter', port: 9113 } },
  { job: 'mongodb', compose: { kind: 'static', host: 'mongodb-exporter', port: 9216 } },
  { job: 'node', compose: { kind: 'static', host: 'node-exporter', port: 9100 } },
  { job: 'prometheus', compose: { kind: 'static', host: 'localhost', port: 9090 }, local: { port: 9090, portEnv: 'PROMETHEUS_PORT' } },
];

type Env = Record<string, string | undefined>;

interface RenderOptions {
  scrapeInterval?: string;
  evaluationInterval?: string;
}

function scrapeConfig(def: JobDef, target: Record<string, unknown>): Record<string, unknown> {
  return {
    job_name: def.job,
    ...(def.metricsPath ? { metrics_path: def.metricsPath } : {}),
    ...(def.params ? { params: def.params } : {}),
    ...target,
  };
}

function globalSection(opts: RenderOptions): Record<string, string> {
  const scrape = opts.scrapeInterval ?? SCRAPE_INTERVAL;
  return { scrape_interval: scrape, evaluation_interval: opts.evaluationInterval ?? scrape };
}

/** Alertmanager: the compose service, or a local port (ALERTMANAGER_PORT, ./run.sh starts it). */
export const ALERTMANAGER = { compose: 'alertmanager:9093', local: { port: 9093, portEnv: 'ALERTMANAGER_PORT' } } as const;

function alertingSection(target: string): Record<string, unknown> {
  return { alertmanagers: [{ static_configs: [{ targets: [target] }] }] };
}

export function composeConfig(): Record<string, unknown> {
  return {
    global: globalSection({}),
    alerting: alertingSection(ALERTMANAGER.compose),
    rule_files: RULE_FILES.map((f) => `${COMPOSE_RULES_DIR}/${f}`),
    scrape_configs: JOBS.map((def) => {
      const t = def.compose;
      if (t.kind === 'dns') return scrapeConfig(def, { dns_sd_configs: [{ names: [t.name], type: 'A', port: t.port }] });
      if (t.kind === 'file') return scrapeConfig(def, { file_sd_configs: [{ files: [t.file] }] });
      return scrapeConfig(def, { static_configs: [{ targets: [`${t.host}:${t.port}`] }] });
    }),
  };
}

function portFrom(local: LocalTarget, env: Env): number {
  const raw = local.portEnv ? env[local.portEnv] : undefined;
  if (raw === undefined || raw === '') return local.port;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${local.portEnv} must be a TCP port, got ${JSON.stringify(raw)}`);
  }
  return port;
}

export interface LocalOptions extends RenderOptions {
  env?: Env;
  /** Per-job port overrides (tests point jobs at a stack on random ports); `alertmanager` too. */
  ports?: Partial<Record<string, number>>;
  rulesDir?: string;
}

export function localConfig(opts: LocalOptions = {}): Record<string, unknown> {
  const env = opts.env ?? {};
  const rulesDir = path.resolve(opts.rulesDir ?? RULES_DIR);
  // Only when told where Alertmanager is (run.sh exports ALERTMANAGER_PORT; tests pass a port), so a
  // test's Prometheus never sends its alerts to whatever listens on the default port.
  const alertmanagerPort = opts.ports?.alertmanager ?? (env.ALERTMANAGER_PORT !== undefined ? portFrom(ALERTMANAGER.local, env) : undefined);
  return {
    global: globalSection(opts),
    ...(alertmanagerPort ? { alerting: alertingSection(`127.0.0.1:${alertmanagerPort}`) } : {}),
    rule_files: RULE_FILES.map((f) => path.join(rulesDir, f)),
    scrape_configs: JOBS.flatMap((def) => {
      if (!def.local) return [];
      const port = opts.ports?.[def.job] ?? portFrom(def.local, env);
      return [scrapeConfig(def, { static_configs: [{ targets: [`127.0.0.1:${port}`] }] })];
    }),
  };
}

export function toYaml(config: Record<string, unknown>, header: string): string {
  return `${header
    .split('\n')
    .map((l) => `# ${l}`.trimEnd())
    .join('\n')}\n${stringify(config, { lineWidth: 0 })}`;
}

export const COMPOSE_HEADER = [
  'Generated from monitoring/prometheus/targets.ts by',
  '`npx tsx monitoring/prometheus/render-compose.ts`. Do not edit by hand.',
  `Mount monitoring/prometheus/rules at ${COMPOSE_RULES_DIR}.`,
].join('\n');

export const COMPOSE_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'prometheus.compose.yml');

export function renderCompose(): string {
  return toYaml(composeConfig(), COMPOSE_HEADER);
}

/**
 * Copies the rule files into `dir` with every alert's `for:` replaced by `alertFor`, for a stack whose
 * alerts must fire within seconds (the alert e2e test); expressions, labels and routing are unchanged.
 */
export function writeRules(dir: string, { alertFor }: { alertFor: string }): string {
  mkdirSync(dir, { recursive: true });
  for (const file of RULE_FILES) {
    const doc = parse(readFileSync(path.join(RULES_DIR, file), 'utf8')) as { groups: { rules: Record<string, unknown>[] }[] };
    for (const group of doc.groups) for (const rule of group.rules) if (rule.alert && rule.for) rule.for = alertFor;
    writeFileSync(path.join(dir, file), stringify(doc, { lineWidth: 0 }));
  }
  return dir;
}
