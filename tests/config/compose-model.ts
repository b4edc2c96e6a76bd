// The compose model as `docker compose` builds it from docker-compose.yml and the files it includes,
// read offline (no Docker here), for the compose*.test.ts checks (one file per concern): the services,
// Dockerfile instructions, ports, bind mounts, and the Compose Specification validator.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const rel = (p: string) => relative(root, p) || '.';

export type Service = {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; args?: Record<string, string> };
  healthcheck?: { test?: unknown; disable?: boolean };
  ports?: (string | { host_ip?: string; published?: string | number; target?: number })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  networks?: string[] | Record<string, unknown>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: Record<string, unknown> | string[];
  command?: string | string[];
  entrypoint?: unknown;
  profiles?: string[];
  restart?: string;
  mem_limit?: string;
  sysctls?: Record<string, string | number> | string[];
  deploy?: { replicas?: number; resources?: { limits?: { memory?: string } } };
  configs?: (string | { source: string; target?: string })[];
};
export type ComposeFile = {
  name?: string;
  include?: (string | { path: string | string[] })[];
  services?: Record<string, Service>;
  networks?: Record<string, unknown>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { content?: string; file?: string; environment?: string }>;
};
export type Located = { name: string; svc: Service; file: string; dir: string };

export const readCompose = (file: string): ComposeFile => parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;

/** Resolves ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?msg} as compose does, from `env` (empty by default). */
export function interpolate(value: string, env: Record<string, string> = {}): string {
  return value
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g, (_m, name: string, op: string | undefined, arg: string) => {
      const set = name in env;
      const v = env[name] ?? '';
      if (op === ':-') return v === '' ? arg : v;
      if (op === '-') return set ? v : arg;
      return v;
    })
    .replace(/\$\$/g, '$');
}

/** The paths a compose file's `include:` names, as written. */
function includesOf(doc: ComposeFile): string[] {
  return (doc.include ?? []).flatMap((e) => (typeof e === 'string' ? [e] : Array.isArray(e.path) ? e.path : [e.path]));
}

/** Every file of the model: the main file, then each included one (with its own project folder). */
export function composeFiles(mainFile = join(root, 'docker-compose.yml')): { file: string; dir: string; doc: ComposeFile }[] {
  const main = readCompose(mainFile);
  const included = includesOf(main)
    .map((p) => resolve(dirname(mainFile), p))
    .filter((f) => existsSync(f));
  return [{ file: mainFile, dir: dirname(mainFile), doc: main }, ...included.map((f) => ({ file: f, dir: dirname(f), doc: readCompose(f) }))];
}

/** Services of the model, every profile included; later files (`-f` overrides) merge into earlier ones. */
export function composeServices(files = composeFiles()): Map<string, Located> {
  const out = new Map<string, Located>();
  for (const { file, dir, doc } of files) {
    for (const [name, svc] of Object.entries(doc.services ?? {})) {
      const prev = out.get(name);
      // As compose merges an override: mappings such as environment key by key, the rest replaced.
      const merged = prev ? { ...prev.svc, ...svc, environment: { ...environmentOf(prev.svc), ...environmentOf(svc) } } : svc;
      out.set(name, prev ? { ...prev, svc: merged } : { name, svc, file, dir });
    }
  }
  return out;
}

export function networksOf(svc: Service): string[] {
  if (!svc.networks) return ['default'];
  return Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks);
}

export function environmentOf(svc: Service): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v ?? '')]));
}

/**
 * The values .env.example documents for a variable besides its default: `NAME=` lines are empty, so
 * the comment above names what to set (e.g. "syslog:server=graylog:1514,tag=nginx with the logging profile").
 */
export function documentedValues(name: string): string {
  const lines = readFileSync(join(root, '.env.example'), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${name}=`));
  if (at < 0) return '';
  let start = at;
  while (start > 0 && lines[start - 1]!.startsWith('#')) start -= 1;
  return lines.slice(start, at + 1).join('\n');
}

export const mainFile = join(root, 'docker-compose.yml');
export const main = readCompose(mainFile);

export const includePaths = includesOf(main);
export const includedFiles = includePaths.map((p) => join(root, p));
export const presentIncludes = includedFiles.filter((f) => existsSync(f));

/** The model compose builds: the main file's services plus every included file's, each with its own project directory. */
export const services: Located[] = composeFiles(mainFile).flatMap(({ file, dir, doc }) =>
  Object.entries(doc.services ?? {}).map(([name, svc]) => ({ name, svc, dir, file })),
);
export const byName = new Map(services.map((s) => [s.name, s]));

/**
 * Jobs that run once and exit: no healthcheck (there is nothing long-lived to probe) and no restart
 * policy. Listed by name, so a new service cannot slip through by accident.
 */
export const ONE_SHOT: Record<string, string> = {
  k6: 'load test run (profile loadtest), exits when the scenario ends',
  'graylog-provision': 'creates the Graylog inputs and streams, then exits',
  'prometheus-targets': 'writes the RabbitMQ scrape targets before Prometheus starts, then exits',
};
/** Long-running services that Docker cannot probe from inside; Prometheus scrapes them (up{job=…}). */
export const NO_PROBE_INSIDE: Record<string, string> = {
  'nginx-exporter': 'scratch image without a shell or an HTTP client; watched through up{job="nginx"}',
  'mongodb-exporter': 'scratch image without a shell or an HTTP client; watched through up{job="mongodb"}',
};
/**
 * Mounted files that are made on the host, not committed: the self-signed TLS pair (git-ignored), made
 * by this script from ./preflight.sh docker and ./run.sh compose when TLS_CERT_FILE is not set.
 */
export const GENERATED_MOUNTS: Record<string, string> = {
  'deploy/tls': 'scripts/self-signed-cert.sh',
};
/** The only service whose ports may be reachable from other machines. */
export const PUBLIC_SERVICES = new Set(['proxy']);
/** The broker and the databases: never published at all, whatever the address. */
export const NEVER_PUBLISHED: Record<string, number[]> = { rabbitmq: [5672, 15692], mongo: [27017] };

export const isOneShot = (name: string) => name in ONE_SHOT;
export const buildOf = (svc: Service) => (typeof svc.build === 'string' ? { context: svc.build } : svc.build);
export function dockerfileOf(s: Located): string | undefined {
  const build = buildOf(s.svc);
  if (!build) return undefined;
  const context = resolve(s.dir, build.context ?? '.');
  return resolve(context, build.dockerfile ?? 'Dockerfile');
}

export type Instruction = { op: string; args: string; stage: number };
/** Dockerfile instructions with line continuations joined and comments dropped. */
export function instructions(file: string): Instruction[] {
  const joined = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  let stage = -1;
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      if (op.toUpperCase() === 'FROM') stage += 1;
      return { op: op.toUpperCase(), args: rest.join(' '), stage };
    });
}

/** An exact version: digits with at least major.minor.patch (optionally v-prefixed and suffixed), or a digest. */
export const EXACT_TAG = /^v?\d+\.\d+\.\d+([-.+][A-Za-z0-9.-]+)?$/;
export function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return false;
  return EXACT_TAG.test(image.slice(colon + 1));
}

export type Port = { hostIp: string; published: string; target: string };
export function parsePort(spec: NonNullable<Service['ports']>[number]): Port {
  if (typeof spec !== 'string') {
    return {
      hostIp: spec.host_ip ?? '',
      published: String(spec.published ?? ''),
      target: String(spec.target ?? ''),
    };
  }
  const noProto = interpolate(spec).replace(/\/(tcp|udp|sctp)$/, '');
  const parts = noProto.split(':');
  if (parts.length === 3) return { hostIp: parts[0]!, published: parts[1]!, target: parts[2]! };
  if (parts.length === 2) return { hostIp: '', published: parts[0]!, target: parts[1]! };
  return { hostIp: '', published: '', target: parts[0]! };
}

/** Host paths of bind mounts, resolved against the service's project directory. Named volumes are skipped. */
export function bindSources(s: Located): { source: string; raw: string }[] {
  return (s.svc.volumes ?? []).flatMap((v) => {
    let source: string | undefined;
    if (typeof v === 'string') {
      const first = interpolate(v).split(':')[0]!;
      if (first.startsWith('.') || first.startsWith('/') || first.startsWith('~')) source = first;
    } else if (v.type === 'bind' && v.source) {
      source = interpolate(v.source);
    }
    if (source === undefined) return [];
    return [{ source: resolve(s.dir, source), raw: source }];
  });
}

/**
 * The vendored Compose Specification schema, compiled. Its `$schema` names draft-07 by an https URL
 * that Ajv does not register (Ajv knows the http one); Ajv's default dialect is draft-07 anyway.
 */
export function composeValidator() {
  const { $schema: _dialect, ...schema } = JSON.parse(
    readFileSync(join(root, 'tests/config/schema/compose-spec.json'), 'utf8'),
  ) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  return { ajv, validate: ajv.compile(schema) };
}

/** Services `docker compose up` starts with these profiles active (COMPOSE_PROFILES / --profile). */
export function startedBy(profiles: string[]): Located[] {
  return services.filter((s) => !s.svc.profiles || s.svc.profiles.some((p) => profiles.includes(p)));
}
export const depsOf = (svc: Service) => (Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {}));
/** Every profile that names a long-running service: what an operator may put in COMPOSE_PROFILES. */
export const serviceProfiles = [...new Set(services.filter((s) => !isOneShot(s.name)).flatMap((s) => s.svc.profiles ?? []))];
