// Offline checks of the split deployment: RabbitMQ as a cluster on hosts of the inventory
// group "rabbitmq", the api hosts pointed at it. The real templates are rendered by the real
// ansible-playbook against ansible/inventory.cluster.example.ini (connection: local, nothing remote),
// and the compose files they produce or select are checked against the Compose Specification.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findTool, skipWithoutTool } from '../support/require-tool.js';

const root = resolve(import.meta.dirname, '../..');
const ansibleDir = join(root, 'ansible');
const hasAnsible = !skipWithoutTool({ tool: 'ansible-playbook', present: findTool(['ansible-playbook']), checks: 'rendering the split-deployment templates' });

const work = mkdtempSync(join(tmpdir(), 'paredao-ansible-cluster-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function ansible(args: string[]) {
  const r = spawnSync('ansible-playbook', args, {
    cwd: ansibleDir,
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(work, 'tmp') },
    timeout: 60_000,
  });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Renders `template` (under ansible/) for `host` of the cluster example inventory; returns the text. */
function render(host: string, template: string): string {
  const out = join(work, `${host}-${template.replace(/\W+/g, '_')}`);
  const playbook = join(work, `render-${host}.yml`);
  writeFileSync(
    playbook,
    [
      '- name: Render a template as for one host of the cluster example',
      `  hosts: ${host}`,
      '  connection: local',
      '  gather_facts: false',
      // group_vars come from the inventory's folder, as in a real run; role defaults are not in scope
      // for a bare template task, so they are loaded here.
      `  vars_files: [${['roles/rabbitmq_node/defaults/main.yml', 'roles/stack/defaults/main.yml'].map((f) => JSON.stringify(join(ansibleDir, f))).join(', ')}]`,
      '  vars:',
      '    vault_antibot_secret: antibot0',
      '    vault_admin_session_secret: session0',
      '    vault_cpf_hmac_secret: cpfhmac0',
      '    vault_rabbitmq_password: rabbit0',
      '    vault_rabbitmq_api_password: apisecret',
      '    vault_rabbitmq_consumer_password: consumersecret',
      '    vault_rabbitmq_erlang_cookie: cookie0cookie0cookie0',
      '    vault_grafana_admin_password: grafana0',
      '    vault_mongo_root_password: mongoroot0',
      '    vault_mongo_app_password: mongoapp0',
      '    vault_mongo_exporter_password: mongoexporter0',
      '    vault_mongo_keyfile_secret: mongokeyfile0',
      '    vault_graylog_password_secret: pepper0',
      '    vault_graylog_root_password: graylog0',
      '    vault_admin_password_hash: "scrypt:1024:8:1:c2FsdA==:aGFzaA=="',
      '  tasks:',
      '    - name: Render',
      '      ansible.builtin.template:',
      `        src: ${JSON.stringify(join(ansibleDir, template))}`,
      `        dest: ${JSON.stringify(out)}`,
      '        mode: "0600"',
      '',
    ].join('\n'),
  );
  const r = ansible(['-i', 'inventory.cluster.example.ini', playbook]);
  if (r.status !== 0) throw new Error(r.output);
  return readFileSync(out, 'utf8');
}

function composeValid(doc: unknown): string | null {
  const { $schema: _dialect, ...schema } = JSON.parse(readFileSync(join(root, 'tests/config/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  return validate(doc) ? null : ajv.errorsText(validate.errors);
}

describe.skipIf(!hasAnsible)('Ansible: RabbitMQ on hosts of its own (inventory group rabbitmq)', () => {
  it('site.yml passes --syntax-check with the split example inventory', () => {
    const r = ansible(['--syntax-check', '-i', 'inventory.cluster.example.ini', 'site.yml']);
    expect(r.status, r.output).toBe(0);
  });

  it('every broker gets the same peer list, rabbit@<inventory name> of the three, and the node name it is listed under', () => {
    const confs = ['rabbitmq-1', 'rabbitmq-2', 'rabbitmq-3'].map((h) => render(h, 'roles/rabbitmq_node/templates/cluster.conf.j2'));
    const peers = (c: string) => [...c.matchAll(/^cluster_formation\.classic_config\.nodes\.\d+ = (\S+)$/gm)].map((m) => m[1]);
    for (const c of confs) {
      expect(peers(c)).toEqual(['rabbit@rabbitmq-1', 'rabbit@rabbitmq-2', 'rabbit@rabbitmq-3']);
      expect(c).toMatch(/^quorum_queue\.continuous_membership_reconciliation\.target_group_size = 3$/m);
    }
    const compose = parse(render('rabbitmq-2', 'roles/rabbitmq_node/templates/docker-compose.yml.j2')) as { services: { rabbitmq: { environment: Record<string, string>; network_mode: string } } };
    expect(composeValid(compose)).toBeNull();
    expect(compose.services.rabbitmq.environment.RABBITMQ_NODENAME).toBe('rabbit@rabbitmq-2');
    expect(compose.services.rabbitmq.network_mode).toBe('host');
  });

  it('the api hosts select the external-broker override and get one AMQP URL per broker, on its private address', () => {
    const env = render('paredao-1', 'roles/stack/templates/env.j2');
    expect(env).toMatch(/^COMPOSE_FILE=docker-compose\.yml:deploy\/rabbitmq\/docker-compose\.external\.yml:/m);
    const urls = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(env)?.[1]?.split(',') ?? [];
    const ips = ['10.0.0.21', '10.0.0.22', '10.0.0.23'];
    expect(urls('RABBITMQ_API_URLS')).toEqual(ips.map((ip) => `amqps://paredao-api:apisecret@${ip}:5671`));
    expect(urls('RABBITMQ_CONSUMER_URLS')).toEqual(ips.map((ip) => `amqps://paredao-consumer:consumersecret@${ip}:5671`));
    const override = parse(readFileSync(join(root, 'deploy/rabbitmq/docker-compose.external.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { profiles?: string[]; environment?: Record<string, string>; depends_on?: Record<string, { required?: boolean }> }>;
    };
    expect(composeValid(override)).toBeNull();
    expect(override.services.rabbitmq?.profiles).toEqual(['local-rabbitmq']);
    for (const [svc, key] of [['api', 'RABBITMQ_API_URLS'], ['consumer', 'RABBITMQ_CONSUMER_URLS']] as const) {
      expect(override.services[svc]?.environment?.AMQP_URL, svc).toMatch(new RegExp(`^\\$\\{${key}:\\?`));
      expect(override.services[svc]?.depends_on?.rabbitmq?.required, svc).toBe(false);
    }
  });

  it('one MongoDB for both api hosts: the first runs and publishes it on its private address, the second points there', () => {
    const envOf = (host: string) => render(host, 'roles/stack/templates/env.j2');
    const composeFiles = (env: string) => /^COMPOSE_FILE=(.*)$/m.exec(env)?.[1]?.split(':') ?? [];
    expect(composeFiles(envOf('paredao-1'))).toEqual(['docker-compose.yml', 'deploy/rabbitmq/docker-compose.external.yml', 'ansible/docker-compose.mongo-primary.yml']);
    expect(composeFiles(envOf('paredao-2'))).toEqual(['docker-compose.yml', 'deploy/rabbitmq/docker-compose.external.yml', 'ansible/docker-compose.mongo-remote.yml']);

    type Svc = { profiles?: string[]; ports?: string[]; environment?: Record<string, string>; extra_hosts?: string[]; depends_on?: Record<string, { required?: boolean }> };
    const primary = parse(render('paredao-1', 'roles/stack/templates/docker-compose.mongo-primary.yml.j2')) as { services: Record<string, Svc> };
    expect(composeValid(primary)).toBeNull();
    expect(primary.services.mongo?.ports).toEqual(['10.0.0.10:27017:27017']);
    expect(primary.services.mongo?.profiles).toBeUndefined();

    const remote = parse(render('paredao-2', 'roles/stack/templates/docker-compose.mongo-remote.yml.j2')) as { services: Record<string, Svc> };
    expect(composeValid(remote)).toBeNull();
    expect(remote.services.mongo?.profiles, 'paredao-2 starts no MongoDB of its own').toEqual(['local-mongo']);
    for (const svc of ['api', 'consumer']) {
      expect(remote.services[svc]?.environment?.STORE_URL, svc).toBe('mongodb://paredao:${MONGO_APP_PASSWORD:?}@10.0.0.10:27017/paredao?replicaSet=rs0&authSource=paredao');
    }
    // The replica set's member is named mongo:27017 (deploy/mongo/healthcheck.js): it must lead to paredao-1 too.
    expect(readFileSync(join(root, 'deploy/mongo/healthcheck.js'), 'utf8')).toContain("host: 'mongo:27017'");
    for (const svc of ['api', 'consumer', 'mongodb-exporter']) {
      expect(remote.services[svc]?.extra_hosts, svc).toEqual(['mongo:10.0.0.10']);
      expect(remote.services[svc]?.depends_on?.mongo?.required, svc).toBe(false);
    }
    // Every service of the main file that waits for mongo is covered by the override.
    const main = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Svc> };
    const waiting = Object.entries(main.services).filter(([, s]) => s.depends_on && 'mongo' in s.depends_on).map(([n]) => n);
    expect(waiting.sort()).toEqual(Object.keys(remote.services).filter((n) => n !== 'mongo').sort());
  });
});
