// TLS between the hosts of the split deployment (RabbitMQ on hosts of the inventory group rabbitmq).
// The role's own tasks make the CA and a broker's certificate here, on a local stand-in host; then
// the pieces that use them run for real: Erlang distribution between two local nodes with the
// repository's inter_node_tls.config, and a Node.js client trusting the CA through
// NODE_EXTRA_CA_CERTS as the api does. The rendered compose, .env and firewall rules are checked too.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { findTool, skipTestWithoutTool, skipWithoutTool } from '../support/require-tool.js';
import { ansibleDir, ansiblePlaybook, renderTemplate, root, scratchDir } from './ansible-harness.js';

const hasAnsible = !skipWithoutTool({ tool: 'ansible-playbook', present: findTool(['ansible-playbook']), checks: 'the broker TLS of the Ansible roles' });
// erl and epmd come with rabbitmq-server; epmd runs while the local broker does.
const erl = findTool(['erl']);
const hasErl = !skipWithoutTool({
  tool: 'erl and a running epmd (Debian package rabbitmq-server)',
  present: erl && spawnSync('epmd', ['-names']).status === 0,
  why: erl ? 'has no running epmd' : undefined,
  checks: 'the Erlang distribution over TLS',
});

const work = scratchDir('paredao-broker-tls-');
const tlsDir = join(work, 'tls');
const started: ChildProcess[] = [];
afterAll(() => {
  for (const p of started) if (p.exitCode === null) p.kill('SIGKILL');
});

const ansible = (args: string[]) => ansiblePlaybook(work, args, 150_000);

/** Runs roles/rabbitmq_node/tasks/tls.yml for a stand-in broker `localhost` (address 127.0.0.1). */
function makeCertificates() {
  const inventory = join(work, 'inventory.yml');
  const playbook = join(work, 'tls.yml');
  writeFileSync(
    inventory,
    stringify({
      all: {
        children: {
          rabbitmq: {
            hosts: { localhost: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3', rabbitmq_node_address: '127.0.0.1', paredao_rabbitmq_tls_dir: tlsDir } },
          },
        },
      },
    }),
  );
  writeFileSync(
    playbook,
    stringify([{ name: 'Broker certificates', hosts: 'rabbitmq', gather_facts: false, tasks: [{ name: 'TLS', 'ansible.builtin.include_role': { name: 'rabbitmq_node', tasks_from: 'tls.yml' } }] }]),
  );
  return ansible(['-i', inventory, playbook]);
}

const openssl = (args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });

describe.skipIf(!hasAnsible)('Broker TLS: certificates made by the play', () => {
  let first: ReturnType<typeof ansible>;
  beforeAll(() => {
    first = makeCertificates();
  }, 180_000);

  it('makes a CA and a broker certificate for the node name and the address the api hosts use', () => {
    expect(first.status, first.output).toBe(0);
    expect(openssl(['verify', '-CAfile', join(tlsDir, 'ca.pem'), join(tlsDir, 'localhost.pem')]).stdout).toMatch(/localhost\.pem: OK/);
    const text = openssl(['x509', '-in', join(tlsDir, 'localhost.pem'), '-noout', '-text']).stdout;
    expect(text).toMatch(/DNS:localhost/);
    expect(text).toMatch(/IP Address:127\.0\.0\.1/);
    expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    const ca = openssl(['x509', '-in', join(tlsDir, 'ca.pem'), '-noout', '-text']).stdout;
    expect(ca).toMatch(/CA:TRUE/);
  });

  it('a second run keeps every file (a new certificate would restart every broker)', () => {
    const before = ['ca.pem', 'localhost.pem', 'localhost.key'].map((f) => readFileSync(join(tlsDir, f), 'utf8'));
    const again = makeCertificates();
    expect(again.status, again.output).toBe(0);
    expect(again.output).toMatch(/localhost\s+: ok=\d+\s+changed=0 /);
    expect(['ca.pem', 'localhost.pem', 'localhost.key'].map((f) => readFileSync(join(tlsDir, f), 'utf8'))).toEqual(before);
  }, 180_000);

  it('the api side: Node.js with NODE_EXTRA_CA_CERTS accepts the broker by its address, and refuses it without the CA', async () => {
    const server = createServer({ key: readFileSync(join(tlsDir, 'localhost.key')), cert: readFileSync(join(tlsDir, 'localhost.pem')) }, (s) => s.end('hello'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const { port } = server.address() as { port: number };
    // As amqplib does for amqps://: the URL's host is the name checked against the certificate.
    const client = `require('node:tls').connect({ host: '127.0.0.1', port: ${port}, servername: '127.0.0.1' }, function () { console.log('authorized=' + this.authorized); this.end(); }).on('error', (e) => { console.log('error=' + e.code); });`;
    const run = (env: NodeJS.ProcessEnv) =>
      new Promise<string>((ok) => {
        const p = spawn(process.execPath, ['--no-deprecation', '-e', client], { env: { PATH: process.env.PATH, ...env } });
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.on('close', () => ok(out.trim()));
      });
    try {
      expect(await run({ NODE_EXTRA_CA_CERTS: join(tlsDir, 'ca.pem') })).toBe('authorized=true');
      expect(await run({})).toMatch(/^error=(UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/);
    } finally {
      server.close();
    }
  });

  it.skipIf(!hasErl)('Erlang distribution over TLS with the repository\'s inter_node_tls.config: a peer with the pair connects, a plain one does not', async () => {
    // The repository's file with its container paths pointed at the pair made above.
    const optfile = join(work, 'inter_node_tls.config');
    const config = readFileSync(join(root, 'deploy/rabbitmq/inter_node_tls.config'), 'utf8')
      .replaceAll('/etc/rabbitmq/tls/ca.pem', join(tlsDir, 'ca.pem'))
      .replaceAll('/etc/rabbitmq/tls/cert.pem', join(tlsDir, 'localhost.pem'))
      .replaceAll('/etc/rabbitmq/tls/key.pem', join(tlsDir, 'localhost.key'));
    expect(config).not.toContain('/etc/rabbitmq/tls/');
    writeFileSync(optfile, config);
    const tag = `p${process.pid}`;
    const tlsArgs = ['-proto_dist', 'inet_tls', '-ssl_dist_optfile', optfile];
    const cookie = ['-setcookie', 'cookie0cookie0cookie0'];
    mkdirSync(join(work, 'erl'), { recursive: true });
    const server = spawn('erl', ['-noshell', '-sname', `${tag}srv@localhost`, ...cookie, ...tlsArgs, '-eval', 'timer:sleep(60000), halt().'], { cwd: join(work, 'erl') });
    started.push(server);
    const ping = (args: string[], name: string) => {
      const r = spawnSync(
        'erl',
        ['-noshell', '-sname', `${tag}${name}@localhost`, ...cookie, ...args, '-eval', `io:format("~p~n", [net_adm:ping('${tag}srv@localhost')]), halt().`],
        { cwd: join(work, 'erl'), encoding: 'utf8', timeout: 30_000 },
      );
      return `${r.stdout}${r.stderr}`.trim();
    };
    // The server node takes a moment to register with epmd.
    let result = '';
    for (let i = 0; i < 20 && result !== 'pong'; i++) {
      await new Promise((ok) => setTimeout(ok, 500));
      result = ping(tlsArgs, 'tls');
    }
    expect(result).toBe('pong');
    expect(ping([], 'plain')).toMatch(/pang/);
    server.kill('SIGKILL');
  }, 90_000);
});

describe.skipIf(!hasAnsible)('Broker TLS: what the hosts get', () => {
  it('the broker node runs TLS for AMQP and distribution, for the node and its CLI tools alike', () => {
    const template = readFileSync(join(ansibleDir, 'roles/rabbitmq_node/templates/docker-compose.yml.j2'), 'utf8');
    const compose = parse(template.replace(/\{\{[^}]*\}\}/g, 'x')) as { services: { rabbitmq: { environment: Record<string, string>; volumes: string[] } } };
    const env = compose.services.rabbitmq.environment;
    const dist = '-proto_dist inet_tls -ssl_dist_optfile /etc/rabbitmq/inter_node_tls.config';
    expect(env.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS).toBe(dist);
    expect(env.RABBITMQ_CTL_ERL_ARGS, 'the health check is a CLI tool').toBe(dist);
    expect(compose.services.rabbitmq.volumes).toEqual(
      expect.arrayContaining([
        './deploy/rabbitmq/tls.conf:/etc/rabbitmq/conf.d/30-tls.conf:ro',
        './deploy/rabbitmq/inter_node_tls.config:/etc/rabbitmq/inter_node_tls.config:ro',
        './tls:/etc/rabbitmq/tls:ro',
      ]),
    );
    const conf = readFileSync(join(root, 'deploy/rabbitmq/tls.conf'), 'utf8');
    expect(conf).toMatch(/^listeners\.ssl\.default = 5671$/m);
    for (const f of ['cacertfile = /etc/rabbitmq/tls/ca.pem', 'certfile = /etc/rabbitmq/tls/cert.pem', 'keyfile = /etc/rabbitmq/tls/key.pem']) expect(conf).toContain(`ssl_options.${f}`);
    // Every key is one RabbitMQ knows, where a RabbitMQ install here has its config schema.
    const schema = spawnSync('sh', ['-c', 'cat /usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins/rabbit-*/priv/schema/rabbit.schema'], { encoding: 'utf8' }).stdout;
    if (schema) {
      for (const key of conf.matchAll(/^([a-z_.0-9]+) = /gm)) {
        const pattern = key[1]!.replace(/\.(default|\d+)$/, '.$');
        expect(schema.includes(`"${pattern}`) || schema.includes(`"${key[1]}"`), key[1]).toBe(true);
      }
    } else skipTestWithoutTool({ tool: "RabbitMQ's config schema (Debian package rabbitmq-server)", why: 'is not installed', checks: 'looking up the keys of deploy/rabbitmq/tls.conf' });
    // The node's files under those names.
    const tasks = readFileSync(join(ansibleDir, 'roles/rabbitmq_node/tasks/main.yml'), 'utf8');
    expect(tasks).toContain('{ src: "{{ inventory_hostname }}.pem", dest: cert.pem');
    expect(tasks).toContain('{ src: "{{ inventory_hostname }}.key", dest: key.pem, mode: "0400" }');
  });

  it('the api hosts use amqps:// on 5671 with the CA, and never receive the Erlang cookie', () => {
    // The cluster example, rendered by Ansible with the inventory's own group_vars.
    const env = renderTemplate(work, { inventory: 'inventory.cluster.example.ini', host: 'paredao-1', template: 'roles/stack/templates/env.j2', roles: ['stack'], timeoutMs: 150_000 }).text;
    expect(env).toMatch(/^RABBITMQ_ERLANG_COOKIE=$/m);
    expect(env).not.toContain('cookie0cookie0cookie0');
    expect(env).toMatch(/^RABBITMQ_CA_FILE=\/opt\/paredao\/ansible\/rabbitmq-ca\.pem$/m);
    const urls = /^RABBITMQ_API_URLS=(.*)$/m.exec(env)?.[1]?.split(',') ?? [];
    expect(urls).toEqual(['10.0.0.21', '10.0.0.22', '10.0.0.23'].map((ip) => `amqps://paredao-api:apisecret@${ip}:5671`));
    const override = parse(readFileSync(join(root, 'deploy/rabbitmq/docker-compose.external.yml'), 'utf8')) as {
      services: Record<string, { environment?: Record<string, string>; volumes?: string[] }>;
    };
    for (const svc of ['api', 'consumer']) {
      expect(override.services[svc]?.environment?.NODE_EXTRA_CA_CERTS, svc).toBe('/etc/paredao/rabbitmq-ca.pem');
      expect(override.services[svc]?.volumes?.[0], svc).toMatch(/^\$\{RABBITMQ_CA_FILE:\?[^}]*\}:\/etc\/paredao\/rabbitmq-ca\.pem:ro$/);
    }
  });

  it('the brokers\' firewall: AMQP over TLS and the metrics Prometheus scrapes from the api hosts, distribution and epmd from the brokers only', () => {
    const defaults = parse(readFileSync(join(ansibleDir, 'roles/rabbitmq_node/defaults/main.yml'), 'utf8')) as Record<string, unknown>;
    // 15692: the api hosts' Prometheus scrapes every broker listed in RABBITMQ_CONSUMER_URLS (prometheus-targets).
    expect(defaults.rabbitmq_node_api_ports).toEqual([5671, 15692]);
    expect(defaults.rabbitmq_node_peer_ports).toEqual([4369, 25672]);
    const tasks = parse(readFileSync(join(ansibleDir, 'roles/rabbitmq_node/tasks/main.yml'), 'utf8')) as { name: string; loop?: string; 'community.general.ufw'?: unknown }[];
    const rules = tasks.filter((t) => t['community.general.ufw']).map((t) => t.loop);
    expect(rules).toEqual(["{{ groups['rabbitmq'] | product(rabbitmq_node_peer_ports) | list }}", "{{ groups['paredao'] | product(rabbitmq_node_api_ports) | list }}"]);
  });
});
