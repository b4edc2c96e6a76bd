// Offline checks of the Docker Compose stack. No Docker engine runs on the development
// machines or in CI, so the files are held to the Compose Specification schema and to the house
// rules (healthchecks, pinned images, limits, non-root; docs/DEPLOY.md) here, and every file they
// mount or copy must exist in the repository.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LISTEN_BACKLOG } from '@paredao/api/platform/worker';
import { GENERATED_MOUNTS, readCompose, NEVER_PUBLISHED, NO_PROBE_INSIDE, ONE_SHOT, PUBLIC_SERVICES, bindSources, buildOf, byName, composeValidator, depsOf, dockerfileOf, includePaths, includedFiles, instructions, interpolate, isOneShot, isPinned, main, mainFile, parsePort, presentIncludes, rel, root, serviceProfiles, services, startedBy, type Service } from './compose-model.js';

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
      const ok = validate(readCompose(file));
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

  it('every file the main file includes is in the tree', () => {
    expect(includedFiles.length).toBeGreaterThan(0);
    expect(includedFiles.filter((f) => !presentIncludes.includes(f)).map(rel)).toEqual([]);
  });

  it('every service of the logging overlay belongs to the logging profile and joins the back network', () => {
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
  const files = [main, ...presentIncludes.map((f) => readCompose(f))];
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

  it('the proxy is on the front network only, the api bridges front and back, data services stay on back', () => {
    const nets = (s: Service) => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {}));
    expect(nets(byName.get('proxy')!.svc)).toEqual(['front']);
    expect(nets(byName.get('api')!.svc).sort()).toEqual(['back', 'front']);
    for (const name of ['consumer', 'rabbitmq', 'mongo']) expect(nets(byName.get(name)!.svc), name).toEqual(['back']);
    // Whatever talks to the proxy shares its network.
    for (const name of ['nginx-exporter', 'k6']) expect(nets(byName.get(name)!.svc), name).toContain('front');
  });

  it('the api container\'s somaxconn lets the api\'s listen queue be as long as it asks (an older kernel caps it at 128)', () => {
    const sysctls = byName.get('api')!.svc.sysctls;
    const somaxconn = Array.isArray(sysctls) ? sysctls.find((s) => s.startsWith('net.core.somaxconn='))?.split('=')[1] : sysctls?.['net.core.somaxconn'];
    expect(Number(somaxconn)).toBeGreaterThanOrEqual(LISTEN_BACKLOG);
  });

  it('Prometheus has no lifecycle endpoint, and a remote-write receiver only under the load-test overlay', () => {
    const base = byName.get('prometheus')!.svc.command as string[];
    expect(base).not.toContain('--web.enable-lifecycle');
    expect(base).not.toContain('--web.enable-remote-write-receiver');
    const overlay = parse(readFileSync(join(root, 'docker-compose.loadtest.yml'), 'utf8')) as { services: Record<string, { command: string[] }> };
    expect(Object.keys(overlay.services)).toEqual(['prometheus']);
    expect(overlay.services.prometheus!.command).toEqual([...base, '--web.enable-remote-write-receiver']);
  });

  it('the proxy serves HTTPS from a mounted pair and publishes it', () => {
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
