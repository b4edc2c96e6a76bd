// The proxy image: the config it renders (as the official nginx image does) passes the real nginx,
// and it starts whether or not its syslog host resolves.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTool, skipWithoutTool } from '../support/require-tool.js';
import { byName, instructions, interpolate, root } from './compose-model.js';

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

  it.skipIf(!hasTools)("the image's main nginx.conf is accepted and has connections for the stream cap", () => {
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
    const { freePort, waitFor } = await import('@paredao/testkit/ports');
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
      // nginx (the child, after sh's exec) writes into `work` until it exits: wait for that, not a while.
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      syslog.close();
      await exited;
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);

  it('the image runs it after the templates are rendered (20-envsubst-on-templates.sh)', () => {
    const copy = instructions(join(root, 'proxy/Dockerfile')).find((i) => i.op === 'COPY' && i.args.includes('25-access-log-target.sh'));
    expect(copy?.args).toMatch(/--chmod=755 .* \/docker-entrypoint\.d\/2[1-9]-[\w-]+\.sh$/);
  });
});
