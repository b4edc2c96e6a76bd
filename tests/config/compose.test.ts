// Offline checks of the Docker Compose stack (issue 6). No Docker engine runs on the development
// machines or in CI, so the files are held to the Compose Specification schema and to the house
// rules (healthchecks, pinned images, limits, non-root; docs/DEPLOY.md) here, and every file they
// mount or copy must exist in the repository.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, scryptSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SCRYPT_PARAMS } from '../../api/src/password-hash.js';
import { runRabbitmqEntrypoint } from '../support/rabbitmq-entrypoint.js';
import { findTool, skipTestWithoutTool, skipWithoutTool } from '../support/require-tool.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const rel = (p: string) => relative(root, p) || '.';

type Service = {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; args?: Record<string, string> };
  healthcheck?: { test?: unknown; disable?: boolean };
  ports?: (string | { host_ip?: string; published?: string | number; target?: number })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  networks?: string[] | Record<string, unknown>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  profiles?: string[];
  restart?: string;
  mem_limit?: string;
  deploy?: { replicas?: number; resources?: { limits?: { memory?: string } } };
  command?: unknown;
  entrypoint?: unknown;
  environment?: Record<string, unknown> | string[];
};
type ComposeFile = {
  name?: string;
  include?: (string | { path: string | string[] })[];
  services?: Record<string, Service>;
  networks?: Record<string, unknown>;
  volumes?: Record<string, unknown>;
};
/** A service with the directory its relative paths resolve against (each included file has its own). */
type Located = { name: string; svc: Service; dir: string; file: string };

const mainFile = join(root, 'docker-compose.yml');
const readYaml = (file: string): ComposeFile => parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;
const main = readYaml(mainFile);

const includePaths = (main.include ?? []).flatMap((entry) =>
  typeof entry === 'string' ? [entry] : Array.isArray(entry.path) ? entry.path : [entry.path],
);
const includedFiles = includePaths.map((p) => join(root, p));
const presentIncludes = includedFiles.filter((f) => existsSync(f));

/** The model compose builds: the main file's services plus every included file's, each with its own project directory. */
const services: Located[] = [
  ...Object.entries(main.services ?? {}).map(([name, svc]) => ({ name, svc, dir: root, file: mainFile })),
  ...presentIncludes.flatMap((file) =>
    Object.entries(readYaml(file).services ?? {}).map(([name, svc]) => ({ name, svc, dir: dirname(file), file })),
  ),
];
const byName = new Map(services.map((s) => [s.name, s]));

/**
 * Jobs that run once and exit: no healthcheck (there is nothing long-lived to probe) and no restart
 * policy. Listed by name, so a new service cannot slip through by accident.
 */
const ONE_SHOT: Record<string, string> = {
  k6: 'load test run (profile loadtest), exits when the scenario ends',
  'graylog-provision': 'creates the Graylog inputs and streams, then exits',
  'prometheus-targets': 'writes the RabbitMQ scrape targets before Prometheus starts, then exits',
};
/** Long-running services that Docker cannot probe from inside; Prometheus scrapes them (up{job=…}). */
const NO_PROBE_INSIDE: Record<string, string> = {
  'nginx-exporter': 'scratch image without a shell or an HTTP client; watched through up{job="nginx"}',
  'mongodb-exporter': 'scratch image without a shell or an HTTP client; watched through up{job="mongodb"}',
};
/** Mounts of work another issue delivers; missing ones are reported loudly but do not fail. */
const PENDING_MOUNTS: Record<string, string> = {
  loadtest: 'issue 7 writes loadtest/vote.ts (the k6 scenario)',
};
/**
 * Mounted files that are made on the host, not committed: the self-signed TLS pair (git-ignored), made
 * by this script from ./preflight.sh docker and ./run.sh compose when TLS_CERT_FILE is not set.
 */
const GENERATED_MOUNTS: Record<string, string> = {
  'deploy/tls': 'scripts/self-signed-cert.sh',
};
/** The only service whose ports may be reachable from other machines. */
const PUBLIC_SERVICES = new Set(['proxy']);
/** The broker and the databases: never published at all, whatever the address. */
const NEVER_PUBLISHED: Record<string, number[]> = { rabbitmq: [5672, 15692], mongo: [27017] };

/** Resolves ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?msg} as compose would with an empty environment. */
function interpolate(value: string): string {
  return value
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (_m, _name, op: string | undefined, arg: string) =>
      op === ':-' || op === '-' ? arg : '',
    )
    .replace(/\$\$/g, '$');
}

const isOneShot = (name: string) => name in ONE_SHOT;
const buildOf = (svc: Service) => (typeof svc.build === 'string' ? { context: svc.build } : svc.build);
function dockerfileOf(s: Located): string | undefined {
  const build = buildOf(s.svc);
  if (!build) return undefined;
  const context = resolve(s.dir, build.context ?? '.');
  return resolve(context, build.dockerfile ?? 'Dockerfile');
}

type Instruction = { op: string; args: string; stage: number };
/** Dockerfile instructions with line continuations joined and comments dropped. */
function instructions(file: string): Instruction[] {
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
const EXACT_TAG = /^v?\d+\.\d+\.\d+([-.+][A-Za-z0-9.-]+)?$/;
function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return false;
  return EXACT_TAG.test(image.slice(colon + 1));
}

type Port = { hostIp: string; published: string; target: string };
function parsePort(spec: NonNullable<Service['ports']>[number]): Port {
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
function bindSources(s: Located): { source: string; raw: string }[] {
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
function composeValidator() {
  const { $schema: _dialect, ...schema } = JSON.parse(
    readFileSync(join(root, 'tests/config/schema/compose-spec.json'), 'utf8'),
  ) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  return { ajv, validate: ajv.compile(schema) };
}

describe('compose file structure', () => {
  it('has a project name and includes the logging overlay', () => {
    expect(main.name).toBe('paredao');
    expect(includePaths).toContain('logging/docker-compose.graylog.yml');
  });

  it('every file compose loads exists (an include of a missing file stops compose)', () => {
    const missing = includedFiles.filter((f) => !existsSync(f)).map(rel);
    expect(missing, `included compose files missing: ${missing.join(', ')}`).toEqual([]);
  });

  it('validates against the Compose Specification schema, the main file and every included file', () => {
    const { ajv, validate } = composeValidator();
    for (const file of [mainFile, ...presentIncludes]) {
      const ok = validate(readYaml(file));
      expect(ok, `${rel(file)}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`).toBe(true);
    }
  });

  it('the schema rejects a broken file, so the check above can fail', () => {
    const { validate } = composeValidator();
    expect(validate({ services: { api: { image: 'x', healthcheck: { interval: 5 }, no_such_key: 1 } } })).toBe(false);
  });

  it('no service name is defined twice across the main file and the included files', () => {
    const names = services.map((s) => s.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('every service of the logging overlay belongs to the logging profile and joins the back network', () => {
    if (presentIncludes.length === 0) {
      console.warn('SKIPPED CHECK: logging/docker-compose.graylog.yml is not in this tree yet (logging branch)');
    }
    const wrong = services
      .filter((s) => s.file !== mainFile && !isOneShot(s.name))
      .filter((s) => !(s.svc.profiles ?? []).includes('logging'))
      .map((s) => s.name);
    expect(wrong, 'included services that would start without --profile logging').toEqual([]);
    const graylog = byName.get('graylog');
    if (graylog) {
      const nets = Array.isArray(graylog.svc.networks) ? graylog.svc.networks : Object.keys(graylog.svc.networks ?? {});
      expect(nets, 'api and consumer ship GELF to graylog over the back network').toContain('back');
    }
  });
});

// The consistency rules docker compose applies after the schema (compose-go, loader/validate.go).
describe('compose consistency rules', () => {
  const files = [main, ...presentIncludes.map(readYaml)];
  const networks = new Set(files.flatMap((f) => Object.keys(f.networks ?? {})));
  const volumes = new Set(files.flatMap((f) => Object.keys(f.volumes ?? {})));

  it.each(services.map((s) => [s.name, s] as const))('%s has an image or a build, and only declared networks and volumes', (name, s) => {
    expect(s.svc.image ?? s.svc.build, `${name}: neither image nor build`).toBeDefined();
    const nets = Array.isArray(s.svc.networks) ? s.svc.networks : Object.keys(s.svc.networks ?? {});
    for (const n of nets) expect(networks.has(n), `${name} refers to undefined network ${n}`).toBe(true);
    for (const v of s.svc.volumes ?? []) {
      const source = typeof v === 'string' ? v.split(':')[0]! : v.type === 'volume' ? (v.source ?? '') : '';
      if (typeof v === 'string' && v.split(':').length < 2) continue; // anonymous volume
      if (source === '' || /^[.~/$]/.test(source)) continue; // bind mount or interpolated path
      expect(volumes.has(source), `${name} refers to undefined volume ${source}`).toBe(true);
    }
    const test = s.svc.healthcheck?.test;
    if (Array.isArray(test)) expect(['CMD', 'CMD-SHELL', 'NONE']).toContain(test[0]);
  });
});

describe('every service', () => {
  it.each(services.map((s) => [s.name, s] as const))('%s has a healthcheck (compose or its image)', (name, s) => {
    if (isOneShot(name) || name in NO_PROBE_INSIDE) return;
    const hc = s.svc.healthcheck;
    if (hc) {
      expect(hc.disable, `${name}: healthcheck disabled`).not.toBe(true);
      expect(hc.test, `${name}: healthcheck without a test`).toBeTruthy();
      return;
    }
    const dockerfile = dockerfileOf(s);
    expect(dockerfile, `${name}: no compose healthcheck and no Dockerfile to carry one`).toBeDefined();
    expect(instructions(dockerfile!).some((i) => i.op === 'HEALTHCHECK' && !/^NONE\b/i.test(i.args))).toBe(true);
  });

  it('the healthcheck exemptions name real services, so the lists cannot go stale', () => {
    for (const name of Object.keys(NO_PROBE_INSIDE)) expect(byName.has(name), name).toBe(true);
    expect(byName.has('k6')).toBe(true);
  });

  it.each(services.map((s) => [s.name, s] as const))('%s runs a pinned image or builds one', (name, s) => {
    if (s.svc.build) return;
    expect(s.svc.image, `${name}: no image`).toBeDefined();
    const image = interpolate(s.svc.image!);
    expect(isPinned(image), `${name}: image ${image} is not pinned to an exact version`).toBe(true);
  });

  it('the pin rule rejects floating tags', () => {
    for (const image of ['mongo', 'mongo:latest', 'mongo:8', 'mongo:8.0', 'rabbitmq:4-management', 'prom/prometheus:v3'])
      expect(isPinned(image), image).toBe(false);
    for (const image of ['mongo:8.0.17', 'rabbitmq:4.1.4-management', 'prom/prometheus:v3.5.0', 'localhost:5000/x:1.2.3'])
      expect(isPinned(image), image).toBe(true);
  });

  it.each(services.map((s) => [s.name, s] as const))('%s has a memory limit', (name, s) => {
    const memory = s.svc.deploy?.resources?.limits?.memory ?? s.svc.mem_limit;
    expect(memory, `${name}: no deploy.resources.limits.memory`).toMatch(/^\d+(\.\d+)?[kmgKMG]?[bB]?$/);
  });

  it.each(services.map((s) => [s.name, s] as const))('%s restarts unless stopped (one-shot jobs excepted)', (name, s) => {
    if (isOneShot(name)) return;
    expect(s.svc.restart, name).toBe('unless-stopped');
  });

  it.each(services.map((s) => [s.name, s] as const))('%s waits for healthy dependencies', (name, s) => {
    const deps = s.svc.depends_on;
    if (!deps) return;
    const entries = Array.isArray(deps) ? deps.map((d) => [d, {}] as const) : Object.entries(deps);
    for (const [dep, spec] of entries) {
      const target = byName.get(dep);
      const optional = (spec as { required?: boolean }).required === false;
      if (!target && optional && presentIncludes.length < includedFiles.length) {
        console.warn(`SKIPPED CHECK: ${name} → ${dep} (optional) not checked: an included file is missing`);
        continue;
      }
      expect(target, `${name} depends on unknown service ${dep}`).toBeDefined();
      const expected = isOneShot(dep)
        ? 'service_completed_successfully'
        : dep in NO_PROBE_INSIDE
          ? 'service_started'
          : 'service_healthy';
      expect((spec as { condition?: string }).condition, `${name} → ${dep}`).toBe(expected);
    }
  });
});

/** Services `docker compose up` starts with these profiles active (COMPOSE_PROFILES / --profile). */
function startedBy(profiles: string[]): Located[] {
  return services.filter((s) => !s.svc.profiles || s.svc.profiles.some((p) => profiles.includes(p)));
}
const depsOf = (svc: Service) => (Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {}));
/** Every profile that names a long-running service: what an operator may put in COMPOSE_PROFILES. */
const serviceProfiles = [...new Set(services.filter((s) => !isOneShot(s.name)).flatMap((s) => s.svc.profiles ?? []))];

describe('docker compose up --wait', () => {
  // --wait fails when a started service exits, even with 0, unless another started service depends on
  // it with service_completed_successfully (docker/compose#10596). One-shot jobs therefore live in
  // profiles of their own and are run with `docker compose run --rm`.
  it.each(Object.keys(ONE_SHOT))('%s is never started by `up`, whatever long-running profiles are on', (name) => {
    const all = startedBy(serviceProfiles);
    const adopted = all.some((s) => {
      const spec = (s.svc.depends_on as Record<string, { condition?: string }> | undefined)?.[name];
      return !isOneShot(s.name) && spec?.condition === 'service_completed_successfully';
    });
    if (adopted) return;
    expect(all.map((s) => s.name), `${name} would make up --wait fail`).not.toContain(name);
    expect(byName.get(name)!.svc.profiles?.length, `${name} needs a profile of its own`).toBeGreaterThan(0);
  });

  it('the profiles the deploy and .env.example turn on are service profiles, never a one-shot job\'s', () => {
    const example = /^COMPOSE_PROFILES=(.*)$/m.exec(readFileSync(join(root, '.env.example'), 'utf8'))?.[1] ?? '';
    const vars = parse(readFileSync(join(root, 'ansible/group_vars/all/main.yml'), 'utf8')) as { paredao_compose_profiles?: string[] };
    const used = [...example.split(',').filter(Boolean), ...(vars.paredao_compose_profiles ?? [])];
    expect(used.length, 'the Ansible deploy turns logging on').toBeGreaterThan(0);
    for (const profile of used) expect(serviceProfiles, profile).toContain(profile);
  });

  it('the rule above catches a one-shot job in a service profile', () => {
    const oneShotProfiles = Object.keys(ONE_SHOT).flatMap((n) => byName.get(n)!.svc.profiles ?? []);
    expect(oneShotProfiles.some((p) => serviceProfiles.includes(p))).toBe(false);
  });
});

describe('./run.sh compose up (docker cannot run here: a stand-in records the calls)', () => {
  function runUp(env: Record<string, string>) {
    const work = mkdtempSync(join(tmpdir(), 'paredao-run-compose-'));
    try {
      mkdirSync(join(work, 'bin'));
      const calls = join(work, 'calls');
      // Records argv and stdin, answers 0; stands in for the Docker CLI only.
      writeFileSync(join(work, 'bin/docker'), `#!/bin/sh\nif [ "$2" = version ]; then exit 0; fi\nprintf '%s | stdin=%s\\n' "$*" "$(cat)" >> ${JSON.stringify(calls)}\n`, { mode: 0o755 });
      const r = spawnSync('bash', [join(root, 'run.sh'), 'compose', 'up'], {
        cwd: root,
        env: { PATH: `${join(work, 'bin')}:${process.env.PATH ?? ''}`, HOME: work, GRAFANA_ADMIN_PASSWORD: 'new-grafana-pw', ...env },
        encoding: 'utf8',
        input: '',
      });
      return { status: r.status, output: `${r.stdout}${r.stderr}`, calls: existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [] };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  it('with logging: up --wait, then the provisioning job with run, then Grafana\'s password from stdin', () => {
    const r = runUp({ COMPOSE_PROFILES: 'logging' });
    expect(r.status, r.output).toBe(0);
    expect(r.calls.map((c) => c.split(' | ')[0])).toEqual([
      'compose up --detach --build --wait',
      'compose run --rm graylog-provision',
      'compose exec -T grafana grafana cli admin reset-admin-password --password-from-stdin',
    ]);
    expect(r.calls[2]).toMatch(/stdin=new-grafana-pw$/);
  });

  it('without logging: no provisioning job', () => {
    const r = runUp({ COMPOSE_PROFILES: '' });
    expect(r.status, r.output).toBe(0);
    expect(r.calls.join('\n')).not.toContain('graylog-provision');
  });

  it('refuses a one-shot job\'s profile in COMPOSE_PROFILES before calling up', () => {
    const r = runUp({ COMPOSE_PROFILES: 'logging,loadtest' });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/remove loadtest from COMPOSE_PROFILES/);
    expect(r.calls).toEqual([]);
  });
});

describe('the vote site does not depend on logging', () => {
  it('no service outside a profile waits, even transitively, for one inside a profile', () => {
    const offenders: string[] = [];
    for (const s of services.filter((x) => !x.svc.profiles)) {
      const seen = new Set<string>();
      const walk = (name: string, path: string[]) => {
        for (const dep of depsOf(byName.get(name)?.svc ?? {})) {
          if (seen.has(dep)) continue;
          seen.add(dep);
          if (byName.get(dep)?.svc.profiles) offenders.push([...path, dep].join(' → '));
          walk(dep, [...path, dep]);
        }
      };
      walk(s.name, [s.name]);
    }
    expect(offenders, 'a restart of these while logging is down would stop them').toEqual([]);
  });
});

describe('exposure', () => {
  it('only the proxy publishes ports beyond 127.0.0.1', () => {
    const offenders: string[] = [];
    for (const s of services) {
      if (PUBLIC_SERVICES.has(s.name)) continue;
      for (const spec of s.svc.ports ?? []) {
        const p = parsePort(spec);
        if (p.hostIp !== '127.0.0.1') offenders.push(`${s.name}: ${JSON.stringify(spec)}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the broker and the database publish neither their protocol nor their metrics ports', () => {
    for (const [name, ports] of Object.entries(NEVER_PUBLISHED)) {
      const svc = byName.get(name);
      expect(svc, name).toBeDefined();
      const targets = (svc!.svc.ports ?? []).map((p) => Number(parsePort(p).target));
      for (const port of ports) expect(targets, `${name} publishes ${port}`).not.toContain(port);
    }
  });

  it('the proxy is on the front network only, the api bridges front and back, data services stay on back (issue 14)', () => {
    const nets = (s: Service) => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {}));
    expect(nets(byName.get('proxy')!.svc)).toEqual(['front']);
    expect(nets(byName.get('api')!.svc).sort()).toEqual(['back', 'front']);
    for (const name of ['consumer', 'rabbitmq', 'mongo']) expect(nets(byName.get(name)!.svc), name).toEqual(['back']);
    // Whatever talks to the proxy shares its network.
    for (const name of ['nginx-exporter', 'k6']) expect(nets(byName.get(name)!.svc), name).toContain('front');
  });

  it('Prometheus has no lifecycle endpoint, and a remote-write receiver only under the load-test overlay (issue 14)', () => {
    const base = byName.get('prometheus')!.svc.command as string[];
    expect(base).not.toContain('--web.enable-lifecycle');
    expect(base).not.toContain('--web.enable-remote-write-receiver');
    const overlay = parse(readFileSync(join(root, 'docker-compose.loadtest.yml'), 'utf8')) as { services: Record<string, { command: string[] }> };
    expect(Object.keys(overlay.services)).toEqual(['prometheus']);
    expect(overlay.services.prometheus!.command).toEqual([...base, '--web.enable-remote-write-receiver']);
  });

  it('the proxy serves HTTPS from a mounted pair and publishes it (issue 14)', () => {
    const proxy = byName.get('proxy')!.svc;
    const env = proxy.environment as Record<string, string>;
    expect(env.TLS_CERT_FILE).toBe('/etc/nginx/tls/cert.pem');
    expect(env.TLS_KEY_FILE).toBe('/etc/nginx/tls/key.pem');
    const mounts = (proxy.volumes ?? []).map((v) => String(v));
    expect(mounts).toContain('${TLS_CERT_FILE:-./deploy/tls/cert.pem}:/etc/nginx/tls/cert.pem:ro');
    expect(mounts).toContain('${TLS_KEY_FILE:-./deploy/tls/key.pem}:/etc/nginx/tls/key.pem:ro');
    expect((proxy.ports ?? []).map((p) => parsePort(p).target)).toEqual(expect.arrayContaining(['8080', '8443']));
  });

  it('the port parser understands the forms used above', () => {
    expect(parsePort('127.0.0.1:${PROMETHEUS_PORT:-9090}:9090')).toEqual({ hostIp: '127.0.0.1', published: '9090', target: '9090' });
    expect(parsePort('${HTTP_BIND:-0.0.0.0}:${HTTP_PORT:-8080}:8080')).toEqual({ hostIp: '0.0.0.0', published: '8080', target: '8080' });
    expect(parsePort('12201:12201/udp').hostIp).toBe('');
  });
});

describe('files the stack mounts or copies', () => {
  it('every bind-mounted path exists in the repository', () => {
    const missing: string[] = [];
    for (const s of services) {
      for (const { source, raw } of bindSources(s)) {
        if (!source.startsWith(root + '/') && source !== root) continue; // host paths (node-exporter reads /)
        if (existsSync(source)) continue;
        const generated = Object.entries(GENERATED_MOUNTS).find(([p]) => rel(source).startsWith(p + '/'));
        if (generated && existsSync(join(root, generated[1]))) continue;
        const pending = Object.entries(PENDING_MOUNTS).find(([p]) => rel(source) === p || rel(source).startsWith(p + '/'));
        if (pending) {
          console.warn(`PENDING MOUNT: ${s.name} mounts ${rel(source)}, not written yet: ${pending[1]}`);
          continue;
        }
        missing.push(`${s.name}: ${raw} (${rel(source)})`);
      }
    }
    expect(missing, `missing bind-mount sources:\n${missing.join('\n')}`).toEqual([]);
  });

  it('every build context, Dockerfile and COPY source exists', () => {
    const missing: string[] = [];
    for (const s of services) {
      const dockerfile = dockerfileOf(s);
      if (!dockerfile) continue;
      const context = resolve(s.dir, buildOf(s.svc)!.context ?? '.');
      if (!existsSync(dockerfile)) {
        missing.push(`${s.name}: ${rel(dockerfile)}`);
        continue;
      }
      // ${ARG}s in a COPY take the service's build args (one Dockerfile builds api and consumer).
      const args = buildOf(s.svc)!.args ?? {};
      for (const ins of instructions(dockerfile)) {
        if ((ins.op !== 'COPY' && ins.op !== 'ADD') || /--from=/.test(ins.args)) continue;
        const expanded = ins.args.replace(/\$\{(\w+)\}/g, (_m, k: string) => String(args[k] ?? `<${k} unset>`));
        const words = expanded.split(/\s+/).filter((w) => !w.startsWith('--'));
        for (const src of words.slice(0, -1)) if (!existsSync(join(context, src))) missing.push(`${s.name}: COPY ${src}`);
      }
    }
    expect(missing, `missing build inputs:\n${missing.join('\n')}`).toEqual([]);
  });

  it('.dockerignore keeps host builds, data and secrets out of the build context', () => {
    const lines = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['**/node_modules', '**/dist', 'data', 'run', '.git', '.env']) expect(lines, entry).toContain(entry);
  });
});

describe('Dockerfiles', () => {
  const dockerfiles = ['Dockerfile', 'proxy/Dockerfile'];

  it.each(dockerfiles)('%s is multi-stage, pins every base image and serves requests as a non-root user', (file) => {
    const ins = instructions(join(root, file));
    const froms = ins.filter((i) => i.op === 'FROM');
    expect(froms.length, 'multi-stage').toBeGreaterThanOrEqual(2);
    const stageNames = new Set(froms.map((f) => f.args.split(/\s+AS\s+/i)[1]).filter(Boolean));
    for (const f of froms) {
      const image = f.args.replace(/--platform=\S+\s+/, '').split(/\s+/)[0]!;
      if (stageNames.has(image)) continue;
      expect(isPinned(image), `${file}: FROM ${image}`).toBe(true);
    }
    const last = froms.length - 1;
    const users = ins.filter((i) => i.op === 'USER' && i.stage === last);
    if (file === 'proxy/Dockerfile') {
      // nginx's master reads the TLS key as root and starts the workers, which serve every request,
      // as the image's nginx user (tests/config/proxy-tls-key.test.ts).
      const cmd = JSON.parse(ins.filter((i) => i.op === 'CMD' && i.stage === last).at(-1)!.args) as string[];
      expect(cmd.join(' ')).toMatch(/\buser nginx\b/);
    } else {
      expect(users.length, `${file}: final stage sets no USER`).toBeGreaterThan(0);
      expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/);
    }
    expect(ins.some((i) => i.op === 'HEALTHCHECK' && i.stage === last), `${file}: no HEALTHCHECK`).toBe(true);
  });

  it.each(dockerfiles)('%s builds from the root lockfile with npm ci', (file) => {
    const ins = instructions(join(root, file));
    expect(ins.some((i) => i.op === 'COPY' && /\bpackage-lock\.json\b/.test(i.args))).toBe(true);
    expect(ins.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))).toBe(true);
  });

  // One Dockerfile for the two Node services: compose chooses the service and its port by build args.
  const nodeImage = instructions(join(root, 'Dockerfile'));
  it.each([
    ['api', 'api/dist/main.js', 'API_PORT', '3000'],
    ['consumer', 'consumer/dist/main.js', 'CONSUMER_PORT', '3001'],
  ])('the %s image starts with the same command as the local run, listens on all interfaces and probes its own /healthz', (pkg, entry, portVar, port) => {
    const svc = byName.get(pkg)!.svc;
    expect(buildOf(svc)!.args).toEqual({ SERVICE: pkg, PORT: port });
    expect((svc.environment as Record<string, string>)[portVar]).toBe(port);
    const cmd = JSON.parse(nodeImage.filter((i) => i.op === 'CMD').at(-1)!.args) as string[];
    // sh only to expand $SERVICE; exec makes node PID 1, which gets the stop signal.
    expect(cmd.slice(0, 2)).toEqual(['sh', '-c']);
    const command = cmd[2]!.replace(/"?\$SERVICE"?/g, pkg).replace(/"/g, '');
    expect(command).toBe(`exec node ${entry}`);
    const text = readFileSync(join(root, 'run.sh'), 'utf8').replace(/\s+/g, ' ');
    expect(text, `run.sh does not start "node ${entry}"`).toContain(`node ${entry}`);
    const env = nodeImage.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(new RegExp(`${portVar.replace('PORT', 'HOST')}=0\\.0\\.0\\.0`));
    expect(env).toContain('SERVICE_PORT=${PORT}');
    const hc = nodeImage.find((i) => i.op === 'HEALTHCHECK')!;
    expect(hc.args).toContain('/healthz');
    expect(hc.args).toContain('process.env.SERVICE_PORT');
  });

  it('the Node image refuses to build without a known SERVICE', () => {
    expect(nodeImage.some((i) => i.op === 'RUN' && /test "\$SERVICE" = api \|\| test "\$SERVICE" = consumer/.test(i.args))).toBe(true);
  });
});

describe('Node.js versions', () => {
  // Node 20 left support on 2026-04-30; 22 and 24 are the LTS lines. Images run a pinned LTS; the code
  // keeps working on the Node a local run finds (engines), which CI runs on.
  const LTS_MAJORS = [22, 24];
  const nodeImages = [
    ...['Dockerfile', 'proxy/Dockerfile'].flatMap((f) =>
      instructions(join(root, f))
        .filter((i) => i.op === 'FROM')
        .map((i) => ({ where: f, image: i.args.replace(/--platform=\S+\s+/, '').split(/\s+/)[0]! })),
    ),
    ...services.filter((s) => s.svc.image).map((s) => ({ where: s.name, image: interpolate(s.svc.image!) })),
  ].filter((x) => /^(docker\.io\/)?(library\/)?node:/.test(x.image));

  it('every image with Node runs a pinned current LTS (22 or 24)', () => {
    expect(nodeImages.length).toBeGreaterThanOrEqual(4);
    for (const { where, image } of nodeImages) {
      expect(isPinned(image), `${where}: ${image}`).toBe(true);
      const major = Number(/:(\d+)\./.exec(image)?.[1]);
      expect(LTS_MAJORS, `${where}: ${image}`).toContain(major);
    }
  });

  it('package.json still accepts Node 20.19, and this Node satisfies it', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('>=20.19');
    const [major, minor] = process.versions.node.split('.').map(Number);
    expect(major! > 20 || (major === 20 && minor! >= 19), `running on ${process.versions.node}`).toBe(true);
  });
});

describe('the proxy image renders a config nginx accepts', () => {
  const hasTools = !skipWithoutTool({ tool: 'nginx and envsubst (gettext-base)', present: findTool(['nginx']) && findTool(['envsubst']), checks: 'rendering the proxy image config' });

  /**
   * Does what the official nginx image's entrypoint does at start: source /docker-entrypoint.d/*.envsh,
   * then envsubst every defined variable into each template; then wraps the result in an http block
   * like the image's nginx.conf and asks nginx to check it. `api` does not resolve outside compose,
   * so the upstream is pointed at 127.0.0.1 for the check, and the access log at a file.
   */
  function renderAndCheck(overrides: Record<string, string>) {
    const work = mkdtempSync(join(tmpdir(), 'paredao-proxy-'));
    try {
      const dockerEnv = Object.fromEntries(
        instructions(join(root, 'proxy/Dockerfile'))
          .filter((i) => i.op === 'ENV')
          .flatMap((i) => [...i.args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
      );
      const composeEnv = Object.fromEntries(
        Object.entries((byName.get('proxy')!.svc.environment ?? {}) as Record<string, string>).map(([k, v]) => [
          k,
          interpolate(String(v)),
        ]),
      );
      mkdirSync(join(work, 'conf.d'));
      // The pair compose mounts at /etc/nginx/tls (a self-signed one, as preflight makes).
      execFileSync('bash', [join(root, 'scripts/self-signed-cert.sh'), join(work, 'tls')], { stdio: 'pipe' });
      const script = [
        'set -e',
        'for f in "$PROXY_DIR"/*.envsh; do . "$f"; done',
        `defined=$(printf '\${%s} ' $(env | cut -d= -f1))`,
        'for t in "$PROXY_DIR"/templates/*.template; do',
        '  envsubst "$defined" < "$t" > "$WORK/conf.d/$(basename "$t" .template)"',
        'done',
      ].join('\n');
      execFileSync('sh', ['-c', script], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: work,
          ...dockerEnv,
          ...composeEnv,
          API_UPSTREAM: '127.0.0.1:3000',
          // Debian's nginx 1.22 has no `resolve` on upstream servers (1.27.3+, the image has 1.28):
          // the rendered text is checked for it below instead.
          API_UPSTREAM_RESOLVE: '',
          // What the image's 15-local-resolvers.envsh finds in a container's resolv.conf (Docker's DNS).
          NGINX_LOCAL_RESOLVERS: '127.0.0.11',
          // /dev/stdout is the container's stdout in the image; here the test runner's stdout is a
          // socket, which nginx cannot open by path.
          ACCESS_LOG: join(work, 'access.log'),
          TLS_CERT_FILE: join(work, 'tls/cert.pem'),
          TLS_KEY_FILE: join(work, 'tls/key.pem'),
          // The image has /var/cache/nginx (owned by its nginx user); this machine may not.
          NGINX_CACHE_DIR: join(work, 'cache'),
          ...overrides,
          PROXY_DIR: join(root, 'proxy'),
          WORK: work,
        },
        stdio: 'pipe',
      });
      writeFileSync(
        join(work, 'nginx.conf'),
        [
          'worker_processes 1;',
          `pid ${work}/nginx.pid;`,
          'error_log stderr;',
          'events {}',
          'http {',
          '  include /etc/nginx/mime.types;',
          '  default_type application/octet-stream;',
          `  client_body_temp_path ${work}/body;`,
          `  proxy_temp_path ${work}/proxy;`,
          `  include ${work}/conf.d/*.conf;`,
          '}',
          '',
        ].join('\n'),
      );
      const r = spawnSync('nginx', ['-t', '-q', '-p', work, '-c', join(work, 'nginx.conf')], { encoding: 'utf8' });
      const rendered = readFileSync(join(work, 'conf.d/default.conf'), 'utf8');
      return { status: r.status, output: `${r.stdout}${r.stderr}`, rendered };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  it.skipIf(!hasTools)('with the compose settings', () => {
    const r = renderAndCheck({});
    expect(r.status, r.output).toBe(0);
    const directives = r.rendered.split('\n').filter((l) => !/^\s*#/.test(l));
    expect(directives.filter((l) => /\$\{[A-Z_]+\}/.test(l)), 'placeholders left unrendered').toEqual([]);
    expect(r.rendered).toMatch(/listen 8080;/);
    expect(r.rendered).toMatch(/listen 8443 ssl;/);
    expect(r.rendered).toMatch(/return 308 https:\/\/\$host:8443\$request_uri;/);
    expect(r.rendered).toContain('stub_status');
  });

  it.skipIf(!hasTools)("the image's main nginx.conf is accepted and has connections for the stream cap (issue 14)", () => {
    const copy = instructions(join(root, 'proxy/Dockerfile')).find((i) => i.op === 'COPY' && /proxy\/nginx\.conf\s+\/etc\/nginx\/nginx\.conf/.test(i.args));
    expect(copy, 'the Dockerfile installs proxy/nginx.conf as the main config').toBeDefined();
    const main = readFileSync(join(root, 'proxy/nginx.conf'), 'utf8');
    const connections = Number(/worker_connections (\d+);/.exec(main)?.[1]);
    const nofile = Number(/worker_rlimit_nofile (\d+);/.exec(main)?.[1]);
    const streams = Number(interpolate(String((byName.get('proxy')!.svc.environment as Record<string, string>).NGINX_STREAMS_TOTAL)));
    // Even on one worker: two connections per stream, and room for the voters.
    expect(connections).toBeGreaterThan(2 * streams);
    expect(nofile).toBeGreaterThanOrEqual(2 * connections);
    // nginx -t on it, with the rendered site in place of conf.d and paths of its own.
    const work = mkdtempSync(join(tmpdir(), 'paredao-mainconf-'));
    try {
      mkdirSync(join(work, 'conf.d'));
      writeFileSync(join(work, 'conf.d/empty.conf'), '');
      const conf = main
        .replace('/etc/nginx/conf.d/*.conf', join(work, 'conf.d/*.conf'))
        .replace('/var/log/nginx/error.log', join(work, 'error.log'))
        .replace('/run/nginx.pid', join(work, 'nginx.pid'))
        .replace(/worker_rlimit_nofile \d+;/, '');
      writeFileSync(join(work, 'nginx.conf'), conf);
      const r = spawnSync('nginx', ['-t', '-q', '-p', work, '-c', join(work, 'nginx.conf')], { encoding: 'utf8' });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasTools)('with rate limiting off (load tests)', () => {
    const r = renderAndCheck({ RATE_LIMIT_PER_IP: '0' });
    expect(r.status, r.output).toBe(0);
  });

  it.skipIf(!hasTools)('re-resolves the api through Docker\'s DNS, on an nginx that can (1.27.3+)', () => {
    const dockerEnv = instructions(join(root, 'proxy/Dockerfile'))
      .filter((i) => i.op === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(dockerEnv).toMatch(/\bAPI_UPSTREAM_RESOLVE=resolve\b/);
    expect(dockerEnv).toMatch(/\bNGINX_ENTRYPOINT_LOCAL_RESOLVERS=1\b/);
    const template = readFileSync(join(root, 'proxy/templates/default.conf.template'), 'utf8');
    const upstream = /upstream paredao_api \{([\s\S]*?)\n\}/.exec(template)?.[1] ?? '';
    expect(upstream, '`resolve` needs a shared-memory zone').toMatch(/^\s*zone paredao_api \S+;/m);
    expect(upstream).toMatch(/^\s*server \$\{API_UPSTREAM\} \$\{API_UPSTREAM_RESOLVE\}( [^;]*)?;/m);
    // Every upstream of the api (also the fresh-connection one for a vote's last try) re-resolves.
    const servers = [...template.matchAll(/^\s*server \$\{API_UPSTREAM\}[^;]*;/gm)].map((m) => m[0].trim());
    expect(servers.length).toBeGreaterThan(0);
    for (const line of servers) expect(line).toContain('${API_UPSTREAM_RESOLVE}');
    for (const name of template.matchAll(/^upstream (\S+) \{/gm)) expect(template, `zone for ${name[1]}`).toMatch(new RegExp(`zone ${name[1]} \\S+;`));
    expect(template).toMatch(/^resolver \$\{NGINX_LOCAL_RESOLVERS\} valid=\d+s/m);
    const image = instructions(join(root, 'proxy/Dockerfile')).filter((i) => i.op === 'FROM').at(-1)!.args;
    const [major, minor, patch] = (/^nginx:(\d+)\.(\d+)\.(\d+)/.exec(image) ?? []).slice(1).map(Number);
    expect(major! * 1e6 + minor! * 1e3 + patch!, `${image}: upstream resolve needs nginx 1.27.3+`).toBeGreaterThanOrEqual(1_027_003);
  });
});

describe('the proxy starts whether or not the syslog host resolves (25-access-log-target.sh)', () => {
  const nginxBin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
  const hasTools = !skipWithoutTool({ tool: 'nginx and getent', present: nginxBin && findTool(['getent']), checks: 'running 25-access-log-target.sh' });

  function run(accessLog: string) {
    const work = mkdtempSync(join(tmpdir(), 'paredao-syslog-'));
    try {
      const line = (target: string) => `server { listen 127.0.0.1:1; access_log ${target} combined; }\n`;
      writeFileSync(join(work, 'default.conf'), line(accessLog));
      const out = execFileSync('sh', [join(root, 'proxy/25-access-log-target.sh')], {
        env: {
          PATH: `${dirname(nginxBin!)}:${process.env.PATH ?? ''}`,
          NGINX_CONF_DIR: work,
          ACCESS_LOG: accessLog,
          ACCESS_LOG_RECHECK_SECONDS: '0',
          // The image's default is /dev/stdout; here stdout is a pipe nginx cannot open by path.
          ACCESS_LOG_FALLBACK: join(work, 'access.log'),
        },
        encoding: 'utf8',
      });
      const conf = readFileSync(join(work, 'default.conf'), 'utf8');
      writeFileSync(join(work, 'nginx.conf'), `pid ${work}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  include ${work}/default.conf;\n}\n`);
      const check = spawnSync(nginxBin!, ['-q', '-t', '-p', work, '-c', join(work, 'nginx.conf')], { encoding: 'utf8' });
      return { out, conf, status: check.status, stderr: check.stderr };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  it.skipIf(!hasTools)('when Graylog is absent, then the access log goes to stdout and nginx accepts the config', () => {
    const r = run('syslog:server=graylog.invalid:1514,tag=nginx');
    expect(r.out).toMatch(/does not resolve/);
    expect(r.conf).toMatch(/access_log \S+\/access\.log combined;/);
    expect(r.status, r.stderr).toBe(0);
  });

  it.skipIf(!hasTools)('when the syslog host resolves, then the target is kept', () => {
    const r = run('syslog:server=localhost:1514,tag=nginx');
    expect(r.conf).toContain('access_log syslog:server=localhost:1514,tag=nginx combined;');
    expect(r.status, r.stderr).toBe(0);
  });

  // The watcher, with a real nginx master: the syslog host is made to appear and disappear through a
  // private /etc/hosts (a mount namespace of this test's own, `unshare -m`), as Docker's DNS would
  // when Graylog's container comes and goes. Needs root (a user namespace would not let nginx's
  // workers switch user).
  const canUnshare = hasTools && process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;
  if (hasTools && !canUnshare) console.warn('SKIPPED: not root or unshare -m not permitted; the access-log watcher was not run against a real nginx');

  it.skipIf(!canUnshare)('when Graylog appears and goes away, then the watcher switches the target and reloads nginx', async () => {
    const { createSocket } = await import('node:dgram');
    const { freePort, waitFor } = await import('../support/ports.js');
    const work = mkdtempSync(join(tmpdir(), 'paredao-watch-'));
    const syslog = createSocket('udp4');
    const datagrams: string[] = [];
    syslog.on('message', (m) => datagrams.push(m.toString()));
    await new Promise<void>((r) => syslog.bind(0, '127.0.0.1', r));
    const syslogPort = (syslog.address() as { port: number }).port;
    const httpPort = await freePort();
    const hosts = join(work, 'hosts');
    const withoutGraylog = `${readFileSync('/etc/hosts', 'utf8')}\n`;
    writeFileSync(hosts, withoutGraylog);
    const accessLog = `syslog:server=graylog-watch-test:${syslogPort},tag=nginx`;
    mkdirSync(join(work, 'conf.d'));
    writeFileSync(join(work, 'conf.d/default.conf'), `server { listen 127.0.0.1:${httpPort}; access_log ${accessLog} combined; location / { return 204; } }\n`);
    writeFileSync(
      join(work, 'nginx.conf'),
      [
        'daemon off;',
        `pid ${work}/nginx.pid;`,
        `error_log ${work}/error.log;`,
        'events {}',
        'http {',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${work}/temp-${t};`),
        `  include ${work}/conf.d/*.conf;`,
        '}',
        '',
      ].join('\n'),
    );
    // As in the image: the entrypoint script first, then nginx in the foreground.
    const script = [
      'set -e',
      `mount --bind ${hosts} /etc/hosts`,
      `sh ${join(root, 'proxy/25-access-log-target.sh')}`,
      `exec ${nginxBin} -c ${work}/nginx.conf -p ${work}`,
    ].join('\n');
    const child = spawn('unshare', ['-m', 'sh', '-c', script], {
      detached: true,
      stdio: 'ignore',
      env: {
        PATH: `${dirname(nginxBin!)}:${process.env.PATH ?? ''}`,
        NGINX_CONF_DIR: join(work, 'conf.d'),
        NGINX_MAIN_CONF: join(work, 'nginx.conf'),
        ACCESS_LOG: accessLog,
        ACCESS_LOG_RECHECK_SECONDS: '1',
        ACCESS_LOG_FALLBACK: join(work, 'fallback.log'),
      },
    });
    const hit = () => fetch(`http://127.0.0.1:${httpPort}/`).then((r) => r.status, () => 0);
    const fallbackLines = () => (existsSync(join(work, 'fallback.log')) ? readFileSync(join(work, 'fallback.log'), 'utf8').split('\n').filter(Boolean).length : 0);
    try {
      // Graylog absent at start: nginx starts all the same and logs to the fallback.
      await waitFor('nginx up without Graylog', async () => (await hit()) === 204, 15_000);
      expect(fallbackLines()).toBeGreaterThan(0);
      // Graylog appears: the access log goes to it, without restarting nginx.
      writeFileSync(hosts, `${withoutGraylog}127.0.0.1 graylog-watch-test\n`);
      await waitFor('access lines at the syslog listener', async () => (await hit()) === 204 && datagrams.some((d) => d.includes('nginx:')), 15_000, 300);
      // Graylog goes away: back to the fallback.
      writeFileSync(hosts, withoutGraylog);
      const before = fallbackLines();
      await waitFor('access lines back in the fallback', async () => (await hit()) === 204 && fallbackLines() > before + 1, 15_000, 300);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      syslog.close();
      await new Promise((r) => setTimeout(r, 200));
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);

  it('the image runs it after the templates are rendered (20-envsubst-on-templates.sh)', () => {
    const copy = instructions(join(root, 'proxy/Dockerfile')).find((i) => i.op === 'COPY' && i.args.includes('25-access-log-target.sh'));
    expect(copy?.args).toMatch(/--chmod=755 .* \/docker-entrypoint\.d\/2[1-9]-[\w-]+\.sh$/);
  });
});

describe('RabbitMQ configuration', () => {
  const dir = join(root, 'deploy/rabbitmq');
  type Defs = {
    queues: { name: string; arguments: Record<string, unknown> }[];
    exchanges: { name: string; type: string }[];
    bindings: { source: string; destination: string }[];
  };
  const defs = JSON.parse(readFileSync(join(dir, 'definitions.json'), 'utf8')) as Defs;

  it('declares the votes quorum queue with its dead-letter exchange and queue (ARCHITECTURE.md)', () => {
    const votes = defs.queues.find((q) => q.name === 'votes');
    expect(votes?.arguments).toMatchObject({ 'x-queue-type': 'quorum', 'x-dead-letter-exchange': 'votes.dlx' });
    expect(votes?.arguments['x-delivery-limit']).toBeGreaterThan(0);
    expect(defs.exchanges.map((e) => e.name)).toContain('votes.dlx');
    expect(defs.queues.map((q) => q.name)).toContain('votes.dead');
    expect(defs.bindings).toContainEqual(expect.objectContaining({ source: 'votes.dlx', destination: 'votes.dead' }));
    // The api publishes to votes.in (core/src/topology.ts entryExchange), bound to votes only.
    expect(defs.exchanges.map((e) => e.name)).toContain('votes.in');
    expect(defs.bindings.filter((b) => b.source === 'votes.in')).toEqual([expect.objectContaining({ destination: 'votes' })]);
  });

  it('enables the management and prometheus plugins', () => {
    const plugins = readFileSync(join(dir, 'enabled_plugins'), 'utf8');
    expect(plugins.trim()).toMatch(/^\[.*\]\.$/s);
    expect(plugins).toContain('rabbitmq_management');
    expect(plugins).toContain('rabbitmq_prometheus');
  });

  it('blocks publishers at an absolute memory threshold below the container\'s limit', () => {
    // RabbitMQ's memory guide: nodes do not always see the cgroup limit, so use an absolute value.
    const conf = readFileSync(join(dir, 'rabbitmq.conf'), 'utf8');
    expect(conf).not.toMatch(/^vm_memory_high_watermark\.relative/m);
    const bytes = (v: string) => {
      const m = /^(\d+(?:\.\d+)?)\s*(k|kiB|M|MiB|G|GiB|kB|MB|GB)?$/.exec(v.trim());
      if (!m) throw new Error(`unreadable size ${v}`);
      const unit = { k: 2 ** 10, kiB: 2 ** 10, M: 2 ** 20, MiB: 2 ** 20, G: 2 ** 30, GiB: 2 ** 30, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2] ?? ''] ?? 1;
      return Number(m[1]) * unit;
    };
    const threshold = /^vm_memory_high_watermark\.absolute\s*=\s*(.+)$/m.exec(conf)?.[1];
    expect(threshold, 'vm_memory_high_watermark.absolute').toBeDefined();
    const limit = byName.get('rabbitmq')!.svc.deploy!.resources!.limits!.memory!;
    const limitBytes = Number(/^(\d+)/.exec(limit)![1]) * ({ k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[limit.replace(/^\d+/, '').charAt(0).toLowerCase()] ?? 1);
    expect(bytes(threshold!)).toBeLessThanOrEqual(0.7 * limitBytes);
    expect(bytes(threshold!)).toBeGreaterThanOrEqual(0.3 * limitBytes);
  });

  it('imports definitions from the directory the entrypoint writes', () => {
    const conf = readFileSync(join(dir, 'rabbitmq.conf'), 'utf8');
    const path = /^definitions\.local\.path\s*=\s*(\S+)/m.exec(conf)?.[1];
    expect(path).toBeDefined();
    expect(readFileSync(join(dir, 'entrypoint.sh'), 'utf8')).toContain(`:-${path}}`);
  });

  // The image's docker-entrypoint.sh stand-in records argv.
  const runEntrypoint = (env: Record<string, string>) =>
    runRabbitmqEntrypoint(env, 'echo "handed over: $*"', (work) => ({
      users: JSON.parse(readFileSync(join(work, 'defs/10-users.json'), 'utf8')) as {
        users: { name: string; password: string }[];
        permissions: { user: string; vhost: string }[];
      },
      topology: JSON.parse(readFileSync(join(work, 'defs/20-topology.json'), 'utf8')) as Defs,
      mode: statSync(join(work, 'defs/10-users.json')).mode & 0o777,
    }));

  const passwords = { RABBITMQ_PASSWORD: 'abc123', RABBITMQ_API_PASSWORD: 'api123', RABBITMQ_CONSUMER_PASSWORD: 'con123' };

  it('the entrypoint writes the operator and one user per service role from the environment, and hands over to the image entrypoint', () => {
    const { out, users, topology, mode } = runEntrypoint({ RABBITMQ_USER: 'paredao', ...passwords });
    expect(out.trim()).toBe('handed over: rabbitmq-server');
    expect(users.users).toEqual([
      expect.objectContaining({ name: 'paredao', password: 'abc123', tags: ['administrator'] }),
      expect.objectContaining({ name: 'paredao-api', password: 'api123', tags: [] }),
      expect.objectContaining({ name: 'paredao-consumer', password: 'con123', tags: [] }),
    ]);
    expect(users.permissions.map((p) => p.user)).toEqual(['paredao', 'paredao-api', 'paredao-consumer']);
    // The services configure nothing (the definitions declare the topology; compose sets AMQP_DECLARE_TOPOLOGY=false).
    for (const p of users.permissions.slice(1) as unknown as { configure: string }[]) expect(p.configure).toBe('^$');
    for (const s of ['api', 'consumer']) {
      const env = byName.get(s)!.svc.environment as Record<string, string>;
      expect(env.AMQP_URL, s).toMatch(new RegExp(`^amqp://paredao-${s}:`));
      expect(String(env.AMQP_DECLARE_TOPOLOGY), s).toBe('false');
    }
    expect(topology.queues.map((q) => q.name)).toContain('votes');
    expect(mode).toBe(0o600);
  });

  it('the entrypoint refuses a password that would break the JSON it writes', () => {
    expect(() => runEntrypoint({ RABBITMQ_USER: 'paredao', ...passwords, RABBITMQ_PASSWORD: 'a"b' })).toThrow(/may only use/);
    expect(() => runEntrypoint({ RABBITMQ_USER: 'paredao', ...passwords, RABBITMQ_API_PASSWORD: 'a"b' })).toThrow(/may only use/);
    expect(() => runEntrypoint({ RABBITMQ_USER: 'paredao' })).toThrow(/RABBITMQ_PASSWORD is required/);
  });
});

describe('RabbitMQ definitions agree with what the services declare', () => {
  const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

  // The api and the consumer assert the same topology at start (core/src/topology.ts); a queue that
  // exists with other arguments makes that fail with PRECONDITION_FAILED, so the broker itself judges.
  it('declaring the services\' topology and then the definitions\' on a real broker is accepted', async () => {
    const amqp = await import('amqplib');
    let conn: Awaited<ReturnType<typeof amqp.connect>>;
    try {
      conn = await amqp.connect(amqpUrl);
    } catch (err) {
      skipTestWithoutTool({ tool: 'RabbitMQ', why: `does not answer at ${amqpUrl} (${String(err)})`, checks: 'comparing the definitions with core/src/topology.ts' });
      return;
    }
    const { assertTopology } = await import('../../core/src/topology.js');
    const defs = JSON.parse(readFileSync(join(root, 'deploy/rabbitmq/definitions.json'), 'utf8')) as {
      queues: { name: string; durable: boolean; arguments: Record<string, unknown> }[];
      exchanges: { name: string; type: string; durable: boolean }[];
    };
    // Same shape under a private name, so the shared broker's real queues are never touched.
    const q = `deploy-check-${process.pid}-${Date.now()}`;
    const rename = (v: unknown) => (typeof v === 'string' ? v.replace(/^votes(?=$|\.)/, q) : v);
    try {
      const ch = await conn.createChannel();
      await assertTopology(ch, q);
      for (const ex of defs.exchanges) await ch.assertExchange(rename(ex.name) as string, ex.type, { durable: ex.durable });
      for (const queue of defs.queues) {
        const args = Object.fromEntries(Object.entries(queue.arguments).map(([k, v]) => [k, rename(v)]));
        await ch.assertQueue(rename(queue.name) as string, { durable: queue.durable, arguments: args });
      }
      await ch.close();
    } finally {
      const ch = await conn.createChannel();
      await ch.deleteQueue(q);
      await ch.deleteQueue(`${q}.dead`);
      await ch.deleteExchange(`${q}.dlx`);
      await ch.deleteExchange(`${q}.in`);
      await conn.close();
    }
  });
});

describe('MongoDB replica-set healthcheck', () => {
  it('initiates rs0 with the member name the api connects to, and passes only on the primary', () => {
    const js = readFileSync(join(root, 'deploy/mongo/healthcheck.js'), 'utf8');
    execFileSync(process.execPath, ['--check', join(root, 'deploy/mongo/healthcheck.js')]);
    expect(js).toContain("host: 'mongo:27017'");
    expect(js).toContain("_id: 'rs0'");
    expect(js).toMatch(/isWritablePrimary\)\s*quit\(1\)/);
    const env = byName.get('api')!.svc.environment as Record<string, string>;
    expect(env.STORE_URL).toMatch(/^mongodb:\/\/paredao:\$\{MONGO_APP_PASSWORD:\?[^}]*\}@mongo:27017\/paredao\?replicaSet=rs0&authSource=paredao$/);
  });
});

describe('MongoDB access control (issue 14)', () => {
  const mongo = () => byName.get('mongo')!.svc;
  const mongoEnv = () => mongo().environment as Record<string, string>;

  it('runs with a keyfile (access control on) and a root user made from a generated secret', () => {
    const command = mongo().command as string[];
    const keyfile = command[command.indexOf('--keyFile') + 1];
    expect(keyfile).toBe('/tmp/mongo-keyfile');
    expect(readFileSync(join(root, 'deploy/mongo/entrypoint.sh'), 'utf8')).toContain(`:-${keyfile}}`);
    expect(mongo().entrypoint).toEqual(['bash', '/usr/local/share/paredao/entrypoint.sh']);
    expect(mongoEnv().MONGO_INITDB_ROOT_USERNAME).toBe('root');
    for (const key of ['MONGO_INITDB_ROOT_PASSWORD', 'MONGO_APP_PASSWORD', 'MONGO_EXPORTER_PASSWORD', 'MONGO_KEYFILE_SECRET']) expect(mongoEnv()[key], key).toMatch(/^\$\{MONGO_[A-Z_]+:\?/);
    const mounts = (mongo().volumes ?? []).map(String);
    expect(mounts).toContain('./deploy/mongo/init-users.js:/docker-entrypoint-initdb.d/10-users.js:ro');
  });

  it('the entrypoint writes the keyfile from the environment, readable by its owner only, and refuses a bad one', () => {
    const work = mkdtempSync(join(tmpdir(), 'paredao-mongo-'));
    writeFileSync(join(work, 'docker-entrypoint.sh'), '#!/bin/sh\necho "handed over: $*"\n', { mode: 0o755 });
    const run = (secret: string) =>
      execFileSync('bash', [join(root, 'deploy/mongo/entrypoint.sh'), '--replSet', 'rs0'], {
        env: { PATH: `${work}:${process.env.PATH ?? ''}`, PAREDAO_MONGO_KEYFILE: join(work, 'keyfile'), MONGO_KEYFILE_SECRET: secret },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    try {
      expect(run('0123456789abcdef').trim()).toBe('handed over: --replSet rs0');
      expect(readFileSync(join(work, 'keyfile'), 'utf8')).toBe('0123456789abcdef\n');
      expect(statSync(join(work, 'keyfile')).mode & 0o777).toBe(0o400);
      rmSync(join(work, 'keyfile'), { force: true });
      expect(() => run('has spaces in it')).toThrow(/base64 characters/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('the services, the exporter and the health check each use a user of their own, with the least role', () => {
    const users = readFileSync(join(root, 'deploy/mongo/init-users.js'), 'utf8');
    execFileSync(process.execPath, ['--check', join(root, 'deploy/mongo/init-users.js')]);
    expect(users).toMatch(/user: 'paredao', pwd: app, roles: \[\{ role: 'readWrite', db: 'paredao' \}\]/);
    expect(users).toMatch(/role: 'clusterMonitor', db: 'admin'/);
    expect(users).not.toMatch(/role: '(root|dbOwner|readWriteAnyDatabase|userAdmin\w*)'/);
    expect(users).toContain('process.env.MONGO_APP_PASSWORD');
    expect(users).toContain('process.env.MONGO_EXPORTER_PASSWORD');
    // The exporter: its own user, in the environment, not on its command line.
    const exporter = byName.get('mongodb-exporter')!.svc;
    expect((exporter.environment as Record<string, string>).MONGODB_URI).toMatch(/^mongodb:\/\/exporter:\$\{MONGO_EXPORTER_PASSWORD:\?[^}]*\}@mongo:27017\//);
    expect(JSON.stringify(exporter.command)).not.toContain('mongodb.uri');
    // The health check logs in as root from the container's environment.
    expect(readFileSync(join(root, 'deploy/mongo/healthcheck.js'), 'utf8')).toContain('.auth(process.env.MONGO_INITDB_ROOT_USERNAME, process.env.MONGO_INITDB_ROOT_PASSWORD)');
  });
});

describe('.env generation (scripts/gen-env.sh)', () => {
  const example = readFileSync(join(root, '.env.example'), 'utf8');
  const exampleKeys = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
  const secretKeys = [...example.matchAll(/^# secret[^\n]*\n([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
  const parseEnvFile = (text: string) =>
    Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));

  it('every variable the compose files read is documented in .env.example', () => {
    const files = [mainFile, ...presentIncludes];
    const used = new Set(
      files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!)),
    );
    const undocumented = [...used].filter((v) => !exampleKeys.includes(v));
    expect(undocumented).toEqual([]);
    for (const key of exampleKeys) {
      const line = example.split('\n').findIndex((l) => l.startsWith(`${key}=`));
      expect(example.split('\n')[line - 1], `${key} has no comment above it`).toMatch(/^#/);
    }
  });

  it('every required (${VAR:?}) variable is a generated secret', () => {
    const required = [...readFileSync(mainFile, 'utf8').matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)].map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(0);
    for (const key of required) expect(secretKeys, key).toContain(key);
  });

  it('creates .env with every key and fresh secrets, mode 0600, and never overwrites a key', () => {
    const work = mkdtempSync(join(tmpdir(), 'paredao-env-'));
    const envFile = join(work, '.env');
    try {
      writeFileSync(envFile, 'RABBITMQ_PASSWORD=kept-by-operator\n');
      execFileSync('bash', [join(root, 'scripts/gen-env.sh'), envFile], { stdio: 'pipe' });
      const first = readFileSync(envFile, 'utf8');
      const values = parseEnvFile(first);
      expect(Object.keys(values).sort()).toEqual([...exampleKeys].sort());
      expect(values.RABBITMQ_PASSWORD).toBe('kept-by-operator');
      for (const key of secretKeys.filter((k) => k !== 'RABBITMQ_PASSWORD' && k !== 'ADMIN_PASSWORD_HASH')) {
        expect(values[key], key).toMatch(/^[0-9a-f]{48,}$/);
      }
      // The api's scrypt format, derived from the generated password: it must verify against it.
      const [, n, r, p, salt, hash] = values.ADMIN_PASSWORD_HASH!.split(':');
      expect([Number(n), Number(r), Number(p)]).toEqual([SCRYPT_PARAMS.N, SCRYPT_PARAMS.r, SCRYPT_PARAMS.p]);
      expect(
        scryptSync(values.ADMIN_PASSWORD!, Buffer.from(salt!, 'base64'), 32, { N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 }).toString('base64'),
      ).toBe(hash);
      expect(values.GRAYLOG_PASSWORD_SECRET!.length).toBeGreaterThanOrEqual(64);
      expect(values.GRAYLOG_ROOT_PASSWORD_SHA2).toBe(
        createHash('sha256').update(values.GRAYLOG_ROOT_PASSWORD!).digest('hex'),
      );
      expect(statSync(envFile).mode & 0o777).toBe(0o600);

      execFileSync('bash', [join(root, 'scripts/gen-env.sh'), envFile], { stdio: 'pipe' });
      expect(readFileSync(envFile, 'utf8')).toBe(first);

      const other = join(work, 'other.env');
      execFileSync('bash', [join(root, 'scripts/gen-env.sh'), other], { stdio: 'pipe' });
      expect(parseEnvFile(readFileSync(other, 'utf8')).ANTIBOT_SECRET).not.toBe(values.ANTIBOT_SECRET);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
