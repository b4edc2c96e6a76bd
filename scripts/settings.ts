// Every setting of the project, from one source: the api's and the consumer's zod config schemas (their
// `.describe()` texts and defaults) plus the schema below for what only ./run.sh, Docker Compose and
// Ansible read. The README's settings table and .env.example are rendered from here by
// `npm run gen:settings`; tests/config/settings.test.ts fails when either file drifts from it.
import { z } from 'zod';
import { apiEnv } from '@paredao/api/platform/config';
import { consumerEnv } from '@paredao/consumer/config';

/** Settings no service parses: read by ./run.sh, preflight.sh, the compose files and the Ansible role. */
export const stackEnv = z.object({
  HTTP_PORT: z.coerce.number().int().default(8080).describe('Port of the site and `/api` (nginx); in compose the only port published beyond the host'),
  HTTP_BIND: z.string().default('0.0.0.0').describe('Host address the compose proxy binds to; 127.0.0.1 keeps the site local (for example behind a TLS proxy)'),
  COMPOSE_PROFILES: z.string().default('').describe('Optional compose profiles, comma-separated: logging (Graylog), loadtest (k6)'),
  ADMIN_PASSWORD: z.string().optional().describe('The production team password, kept for the operator; the api reads only `ADMIN_PASSWORD_HASH`, which gen-env.sh derives from it'),
  NGINX_ACCESS_LOG: z.string().optional().describe('Compose nginx access log target: `syslog:server=graylog:1514,tag=nginx` with the logging profile; unset = stdout'),
  RABBITMQ_USER: z.string().default('paredao').describe('Compose RabbitMQ operator (administrator, the management UI login), created at broker boot (deploy/rabbitmq/entrypoint.sh); no service uses it'),
  RABBITMQ_PASSWORD: z.string().optional().describe('Password of `RABBITMQ_USER`'),
  RABBITMQ_API_PASSWORD: z.string().optional().describe('Password of the compose broker user `paredao-api`, which may only publish votes'),
  RABBITMQ_CONSUMER_PASSWORD: z.string().optional().describe('Password of the compose broker user `paredao-consumer`, which may only consume the vote queue'),
  RABBITMQ_CLUSTER: z
    .enum(['0', '1'])
    .default('0')
    .describe('`./run.sh` only: 1 = run on a local three-node RabbitMQ cluster (scripts/rabbitmq-cluster.sh, AMQP ports 5681-5683, left running) instead of the machine broker'),
  RABBITMQ_ERLANG_COOKIE: z
    .string()
    .optional()
    .describe('Erlang cookie the three RabbitMQ nodes share (deploy/rabbitmq/docker-compose.cluster.yml); unused by a single node'),
  RABBITMQ_API_URLS: z
    .string()
    .optional()
    .describe("Brokers on hosts of their own (deploy/rabbitmq/docker-compose.external.yml; Ansible writes it from the inventory group rabbitmq): the api's AMQP URL at each, comma-separated"),
  RABBITMQ_CONSUMER_URLS: z
    .string()
    .optional()
    .describe("The same for the consumer's broker user"),
  COMPOSE_FILE: z
    .string()
    .default('docker-compose.yml')
    .describe("Compose's own: the files to use, colon-separated; add `:deploy/rabbitmq/docker-compose.cluster.yml` for three RabbitMQ nodes on this host"),
  RABBITMQ_MANAGEMENT_PORT: z.coerce.number().int().default(15672).describe('Host port of the RabbitMQ management UI (compose), bound to 127.0.0.1 only'),
  PROMETHEUS_PORT: z.coerce.number().int().default(9090).describe('Host port of Prometheus (./run.sh and compose), bound to 127.0.0.1 only'),
  GRAFANA_PORT: z.coerce.number().int().default(3000).describe('Host port of Grafana (compose), bound to 127.0.0.1 only'),
  ALERTMANAGER_PORT: z.coerce.number().int().default(9093).describe('Host port of Alertmanager (./run.sh and compose), bound to 127.0.0.1 only'),
  ALERT_WEBHOOK_URL: z.string().default('').describe('Where Alertmanager posts alerts (its webhook JSON, firing and resolved); empty = alerts only in its UI'),
  GRAFANA_ADMIN_USER: z.string().default('admin').describe('Grafana admin login name'),
  GRAFANA_ADMIN_PASSWORD: z.string().optional().describe('Grafana admin password'),
  TRUSTED_PROXY_CIDRS: z
    .string()
    .default('')
    .describe("Addresses or CIDRs of the trusted front hops (load balancer, TLS terminator) in front of nginx, space- or comma-separated: their `X-Forwarded-For` gives the client's address and their `X-Forwarded-Proto` the scheme; unset = nginx is the edge"),
  TLS_CERT_FILE: z.string().optional().describe("TLS certificate (full chain, PEM) on the host for nginx; with `TLS_KEY_FILE`, nginx serves HTTPS and redirects plain HTTP to it. Compose always serves HTTPS: unset, `./preflight.sh docker` and `./run.sh compose` make a self-signed pair in deploy/tls/; the local run serves HTTPS only when both are set"),
  TLS_KEY_FILE: z.string().optional().describe('Private key of `TLS_CERT_FILE` (PEM)'),
  HTTPS_PORT: z.coerce.number().int().default(8443).describe('Port of the site over HTTPS when TLS is on (compose publishes it; the local run serves it on 127.0.0.1)'),
  HSTS_MAX_AGE: z.coerce.number().int().min(0).default(31536000).describe('Strict-Transport-Security max-age on HTTPS answers, in seconds; 0 withdraws it'),
  NGINX_STREAMS_PER_IP: z.coerce.number().int().min(1).default(20).describe('Live results streams one client address may hold at nginx; past it the page polls'),
  NGINX_STREAMS_TOTAL: z.coerce.number().int().min(1).default(3000).describe('Live results streams nginx holds in total; past it the page polls'),
  NGINX_VOTES_IN_FLIGHT: z
    .coerce.number()
    .int()
    .min(0)
    .default(192)
    .describe(
      "Votes nginx lets be with the api at once (all api processes behind it together); past it nginx answers 503 `overloaded` itself, at once, with the api's Retry-After (VOTE_RETRY_AFTER_SECONDS). About the votes/s to keep × the latency accepted for them (docs/BENCHMARKS.md, Overload); raise it with the api capacity behind this nginx; 0 = no bound at the edge",
    ),
  NGINX_WORKER_CONNECTIONS: z
    .coerce.number()
    .int()
    .min(512)
    .default(8192)
    .describe('nginx worker_connections (client and upstream connections per worker); worker_rlimit_nofile is twice it'),
  MONGO_ROOT_PASSWORD: z.string().optional().describe("Compose MongoDB root password (the `root` user the image creates on a fresh volume); no service uses it"),
  MONGO_APP_PASSWORD: z.string().optional().describe('Password of the compose MongoDB user `paredao` of the api and the consumer (readWrite on the paredao database only)'),
  MONGO_EXPORTER_PASSWORD: z.string().optional().describe('Password of the compose MongoDB user `exporter` (cluster monitoring, no data)'),
  MONGO_KEYFILE_SECRET: z.string().optional().describe("Compose MongoDB replica set keyfile (members authenticate each other; needed once access control is on)"),
  GRAYLOG_HTTP_EXTERNAL_URI: z.string().default('http://127.0.0.1:9000/').describe("The address a browser uses for Graylog's web UI (trailing slash required)"),
  GRAYLOG_PASSWORD_SECRET: z.string().optional().describe("Pepper for Graylog's password hashing and session encryption (at least 64 characters)"),
  GRAYLOG_ROOT_PASSWORD: z.string().optional().describe("Graylog's admin password, for logging in at http://127.0.0.1:9000 as admin"),
  GRAYLOG_ROOT_PASSWORD_SHA2: z.string().optional().describe('SHA-256 of `GRAYLOG_ROOT_PASSWORD`, which is what Graylog reads; gen-env.sh derives it'),
});

type Reader = 'api' | 'consumer' | 'stack';
const readerNames: Record<Reader, string> = { api: 'api', consumer: 'consumer', stack: 'run.sh, compose' };
const schemas: [Reader, z.ZodObject][] = [
  ['api', apiEnv],
  ['consumer', consumerEnv],
  ['stack', stackEnv],
];

/**
 * The keys written into .env (by scripts/gen-env.sh from .env.example, and by Ansible's env.j2), in
 * sections. `value` is the line's value when it is not the default; `secret` keys are left empty and
 * filled with a fresh random value; `note` adds what the key means for a deployment. Every other setting
 * appears at the end of .env.example commented out, with its default.
 */
interface EnvEntry {
  key: string;
  value?: string;
  secret?: boolean;
  note?: string;
}
const envSections: { title: string; entries: EnvEntry[] }[] = [
  {
    title: 'Public entry point',
    entries: [{ key: 'HTTP_PORT' }, { key: 'HTTP_BIND' }, { key: 'COMPOSE_PROFILES' }],
  },
  {
    title: 'TLS and the edge (nginx)',
    entries: [
      { key: 'HTTPS_PORT' },
      { key: 'TLS_CERT_FILE', value: '', note: 'Empty = deploy/tls/cert.pem, the self-signed pair.' },
      { key: 'TLS_KEY_FILE', value: '' },
      { key: 'HSTS_MAX_AGE' },
      { key: 'PUBLIC_ORIGINS', value: '', note: 'Empty = https://localhost:8443 in compose, localhost and 127.0.0.1 in the local run.' },
      { key: 'TRUSTED_PROXY_CIDRS', value: '' },
      { key: 'NGINX_STREAMS_PER_IP' },
      { key: 'NGINX_STREAMS_TOTAL' },
      { key: 'NGINX_VOTES_IN_FLIGHT' },
    ],
  },
  {
    title: 'Voting',
    entries: [
      { key: 'RATE_LIMIT_PER_IP', note: 'Limits off is for load tests from one machine only.' },
      { key: 'VOTE_RETRY_AFTER_SECONDS' },
      { key: 'ANTIBOT_DIFFICULTY', value: '', note: "Empty = the api's default." },
      { key: 'PROOF_CLAIMS', value: '', note: 'Empty = store in compose (two api replicas share no primary), host in the local run.' },
      { key: 'ANTIBOT_SECRET', secret: true },
    ],
  },
  {
    title: 'Production team (admin.html, painel.html)',
    entries: [
      { key: 'ADMIN_USER' },
      { key: 'ADMIN_PASSWORD', secret: true },
      { key: 'ADMIN_PASSWORD_HASH', secret: true },
      { key: 'ADMIN_SESSION_SECRET', secret: true },
    ],
  },
  {
    title: 'Voto Único accounts (docs/CPF-VERIFIER.md)',
    entries: [
      { key: 'CPF_HMAC_SECRET', secret: true },
      { key: 'CPF_VERIFIER_URL', value: '', note: 'Empty = check digits only, which proves nothing about identity.' },
      { key: 'VOTER_SIGNUPS_PER_IP' },
    ],
  },
  {
    title: 'Logs',
    entries: [
      { key: 'LOG_LEVEL' },
      { key: 'GELF_URL', value: '', note: 'With the logging profile: udp://graylog:12201.' },
      { key: 'NGINX_ACCESS_LOG', value: '' },
    ],
  },
  {
    title: 'RabbitMQ',
    entries: [
      { key: 'RABBITMQ_USER' },
      { key: 'RABBITMQ_PASSWORD', secret: true },
      { key: 'RABBITMQ_API_PASSWORD', secret: true },
      { key: 'RABBITMQ_CONSUMER_PASSWORD', secret: true },
      { key: 'RABBITMQ_ERLANG_COOKIE', secret: true },
      { key: 'RABBITMQ_MANAGEMENT_PORT' },
    ],
  },
  {
    title: 'MongoDB (compose)',
    entries: [
      { key: 'MONGO_ROOT_PASSWORD', secret: true },
      { key: 'MONGO_APP_PASSWORD', secret: true },
      { key: 'MONGO_EXPORTER_PASSWORD', secret: true },
      { key: 'MONGO_KEYFILE_SECRET', secret: true },
    ],
  },
  {
    title: 'Prometheus, Alertmanager and Grafana',
    entries: [
      { key: 'PROMETHEUS_PORT' },
      { key: 'ALERTMANAGER_PORT' },
      { key: 'ALERT_WEBHOOK_URL' },
      { key: 'GRAFANA_PORT' },
      { key: 'GRAFANA_ADMIN_USER' },
      { key: 'GRAFANA_ADMIN_PASSWORD', secret: true },
    ],
  },
  {
    title: 'Graylog (profile logging)',
    entries: [
      { key: 'GRAYLOG_HTTP_EXTERNAL_URI' },
      { key: 'GRAYLOG_PASSWORD_SECRET', secret: true },
      { key: 'GRAYLOG_ROOT_PASSWORD', secret: true },
      { key: 'GRAYLOG_ROOT_PASSWORD_SHA2', secret: true },
    ],
  },
];

const secretKeys = new Set(envSections.flatMap((s) => s.entries.filter((e) => e.secret).map((e) => e.key)));

export interface Setting {
  key: string;
  readBy: Reader[];
  description: string;
  /** The default as it would be written in .env; undefined = unset; null = required. */
  defaultValue: string | undefined | null;
  /** gen-env.sh writes a fresh random (or derived) value into .env. */
  secret: boolean;
}

/** Every setting once, in the order api, consumer, stack (shared keys under the first that reads them). */
export function allSettings(): Setting[] {
  const byKey = new Map<string, Setting>();
  for (const [reader, schema] of schemas) {
    for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const known = byKey.get(key);
      if (known) {
        known.readBy.push(reader);
        continue;
      }
      const description = field.description;
      if (!description) throw new Error(`${key} (${reader}) has no .describe(): every setting needs one line of documentation`);
      const parsed = field.safeParse(undefined);
      const defaultValue = !parsed.success ? null : parsed.data === undefined ? undefined : String(parsed.data);
      byKey.set(key, { key, readBy: [reader], description, defaultValue, secret: secretKeys.has(key) });
    }
  }
  return [...byKey.values()];
}

const code = (s: string) => `\`${s}\``;

/** The README's settings table (Markdown), between its `settings` markers. */
export function renderReadmeTable(settings = allSettings()): string {
  const rows = settings.map((s) => {
    const readBy = s.readBy.map((r) => readerNames[r]).join(', ');
    const d = s.defaultValue;
    const dflt = s.secret ? `${d === null ? 'required, ' : ''}generated into \`.env\`` : d === null ? 'required' : d === undefined || d === '' ? 'unset' : code(d);
    return `| ${code(s.key)} | ${readBy} | ${s.description.replaceAll('|', '\\|')} | ${dflt} |`;
  });
  return ['| name | read by | meaning | default |', '|---|---|---|---|', ...rows].join('\n');
}

export const README_BEGIN = '<!-- settings:begin — generated by `npm run gen:settings` from the config schemas; edit those, not this table -->';
export const README_END = '<!-- settings:end -->';

/** Replaces the table between the markers of the README text. */
export function withReadmeTable(readme: string, table = renderReadmeTable()): string {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) throw new Error(`README.md lacks the markers ${README_BEGIN} … ${README_END}`);
  return `${readme.slice(0, begin + README_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}

/** `# ` comment lines, wrapped at 100 columns. */
function comment(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/)) {
    if (line.length + 1 + word.length > width && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

/** A comment that gen-env.sh must not take for the `# secret` marker. */
function plainComment(key: string, text: string): string[] {
  if (/^secret/i.test(text)) throw new Error(`${key}: a description must not start with "secret" (gen-env.sh's marker)`);
  return comment(text);
}

const ENV_HEADER = `# Settings in .env, read by ./run.sh (local and compose) and docker compose; Ansible writes the same keys.
# Generated by \`npm run gen:settings\` from the config schemas (api/src/platform/config.ts, consumer/src/config.ts,
# scripts/settings.ts): edit those, not this file. A variable set in the environment wins over .env.
# Copy nothing by hand: scripts/gen-env.sh creates .env from this file, fills every secret (the
# empty \`# secret\` keys) with a fresh random value, and on later runs only appends keys that .env
# lacks. It never changes a value that is already there. .env is git-ignored and mode 0600.
# Secrets must stay URL-safe (letters, digits, . _ ~ -): they go into amqp:// URLs unescaped.`;

const sectionRule = (title: string) => `# --- ${title} ${'-'.repeat(Math.max(3, 96 - title.length))}`;

/** .env.example: the keys .env gets, then every other setting commented out with its default. */
export function renderEnvExample(settings = allSettings()): string {
  const byKey = new Map(settings.map((s) => [s.key, s]));
  const out: string[] = [ENV_HEADER];
  const listed = new Set<string>();
  for (const section of envSections) {
    out.push('', sectionRule(section.title));
    for (const entry of section.entries) {
      const s = byKey.get(entry.key);
      if (!s) throw new Error(`.env.example lists ${entry.key}, which no config schema defines`);
      listed.add(entry.key);
      const text = [s.description.replaceAll('`', ''), entry.note].filter(Boolean).join('. ').replace(/\.\.\s/g, '. ');
      // gen-env.sh (and the compose tests) take a `# secret` line right above a key as its marker.
      out.push(...plainComment(entry.key, text), ...(entry.secret ? ['# secret: scripts/gen-env.sh fills it in'] : []), `${entry.key}=${entry.secret ? '' : (entry.value ?? s.defaultValue ?? '')}`);
    }
  }
  const rest = settings.filter((s) => !listed.has(s.key));
  if (rest.length) {
    out.push('', sectionRule('Every other setting, at its default (uncomment to change)'));
    for (const s of rest) {
      const dflt = s.defaultValue ?? '';
      out.push(...plainComment(s.key, `${s.description.replaceAll('`', '')} (${s.readBy.map((r) => readerNames[r]).join(', ')})`), `# ${s.key}=${dflt}`);
    }
  }
  return `${out.join('\n')}\n`;
}
