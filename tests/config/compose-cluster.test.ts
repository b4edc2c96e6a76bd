import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runRabbitmqEntrypoint } from '../support/rabbitmq-entrypoint.js';

/**
 * The three-node RabbitMQ option of compose, checked offline (no Docker engine here): the
 * override file against the Compose Specification, the node names against the peer list, every node
 * against node 1's configuration, the addresses api and consumer get, and the cookie the entrypoint
 * writes. RabbitMQ's own behaviour with this shape (peer discovery from the configuration file, quorum
 * queues on every node, a node lost) is tested with real nodes in tests/e2e/cluster.test.ts.
 */
const root = resolve(import.meta.dirname, '../..');
const dir = join(root, 'deploy/rabbitmq');

interface Svc {
  hostname?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
  ports?: unknown[];
}
const readYaml = (file: string) => parse(readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, Svc>; volumes?: Record<string, unknown> };
const main = readYaml(join(root, 'docker-compose.yml'));
const cluster = readYaml(join(dir, 'docker-compose.cluster.yml'));
const nodes = ['rabbitmq', 'rabbitmq-2', 'rabbitmq-3'];
const hostnameOf = (name: string) => cluster.services[name]?.hostname ?? main.services[name]?.hostname;
const volumesOf = (name: string) => [...(main.services[name]?.volumes ?? []), ...(cluster.services[name]?.volumes ?? [])];

describe('compose: three RabbitMQ nodes (deploy/rabbitmq/docker-compose.cluster.yml)', () => {
  it('validates against the Compose Specification schema', () => {
    const { $schema: _dialect, ...schema } = JSON.parse(readFileSync(join(root, 'tests/config/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    expect(validate(cluster), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('the peer list of cluster.conf names exactly the three nodes, rabbit@<hostname>', () => {
    const conf = readFileSync(join(dir, 'cluster.conf'), 'utf8');
    expect(conf).toMatch(/^cluster_formation\.peer_discovery_backend = classic_config$/m);
    const peers = [...conf.matchAll(/^cluster_formation\.classic_config\.nodes\.\d+ = (\S+)$/gm)].map((m) => m[1]);
    expect(peers).toEqual(nodes.map((n) => `rabbit@${hostnameOf(n)}`));
    // Queues declared before the others joined still get a member on each node.
    expect(conf).toMatch(/^quorum_queue\.continuous_membership_reconciliation\.enabled = true$/m);
    expect(conf).toMatch(/^quorum_queue\.continuous_membership_reconciliation\.target_group_size = 3$/m);
  });

  it('every node loads cluster.conf and node 1\'s configuration, with its own data volume and the shared cookie', () => {
    const configMounts = (name: string) => volumesOf(name).filter((v) => v.startsWith('./')).sort();
    const dataVolume = (name: string) => volumesOf(name).find((v) => v.endsWith(':/var/lib/rabbitmq'))?.split(':')[0];
    for (const n of nodes) {
      expect(configMounts(n), n).toContain('./deploy/rabbitmq/cluster.conf:/etc/rabbitmq/conf.d/20-cluster.conf:ro');
      expect(configMounts(n), n).toEqual(configMounts('rabbitmq'));
      expect(cluster.services[n]?.environment?.RABBITMQ_ERLANG_COOKIE, n).toMatch(/^\$\{RABBITMQ_ERLANG_COOKIE:\?/);
    }
    const volumes = nodes.map(dataVolume);
    expect(new Set(volumes).size).toBe(3);
    for (const v of volumes.slice(1)) expect(cluster.volumes, v).toHaveProperty(v!);
    for (const n of nodes.slice(1)) {
      expect(cluster.services[n]?.healthcheck, n).toBeDefined();
      expect(cluster.services[n]?.depends_on?.rabbitmq?.condition, n).toBe('service_healthy');
      expect(cluster.services[n]?.ports, `${n} publishes nothing`).toBeUndefined();
    }
  });

  it('api and consumer get one AMQP URL per node, each with its own broker user of the main file', () => {
    for (const svc of ['api', 'consumer']) {
      const single = main.services[svc]?.environment?.AMQP_URL ?? '';
      const urls = (cluster.services[svc]?.environment?.AMQP_URL ?? '').split(',');
      expect(urls.map((u) => /@([^:/]+):5672$/.exec(u)?.[1]), svc).toEqual(nodes.map(hostnameOf));
      expect(urls[0], svc).toBe(single);
      const user = (u: string) => /^amqp:\/\/([^:]+):/.exec(u)?.[1];
      for (const u of urls) expect(user(u), svc).toBe(user(single));
    }
  });

  it('nodes 2 and 3 get the same broker users as node 1', () => {
    const users = (env: Record<string, string> = {}) => Object.keys(env).filter((k) => /^RABBITMQ_(USER|\w*PASSWORD)$/.test(k)).sort();
    for (const n of nodes.slice(1)) expect(users(cluster.services[n]?.environment), n).toEqual(users(main.services.rabbitmq?.environment));
  });

  // The image's docker-entrypoint.sh stand-in says whether the cookie variable reached it.
  const runEntrypoint = (cookie: string) =>
    runRabbitmqEntrypoint(
      { RABBITMQ_USER: 'paredao', RABBITMQ_PASSWORD: 'abc123', RABBITMQ_API_PASSWORD: 'api123', RABBITMQ_CONSUMER_PASSWORD: 'consumer123', RABBITMQ_ERLANG_COOKIE: cookie },
      'echo "cookie variable: ${RABBITMQ_ERLANG_COOKIE:-unset}"',
      (work) => ({ written: readFileSync(join(work, 'cookie'), 'utf8'), mode: statSync(join(work, 'cookie')).mode & 0o777 }),
    );

  it('the entrypoint writes the cookie as the node\'s .erlang.cookie (mode 400) and drops the deprecated variable', () => {
    const cookie = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const { out, written, mode } = runEntrypoint(cookie);
    expect(written).toBe(cookie);
    expect(mode).toBe(0o400);
    expect(out.trim()).toBe('cookie variable: unset');
    expect(() => runEntrypoint('short')).toThrow(/RABBITMQ_ERLANG_COOKIE must be/);
  });
});
