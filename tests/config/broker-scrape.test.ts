// Prometheus scrapes the RabbitMQ nodes the services really use: the compose node, the three of the
// cluster override, or the hosts of Ansible's rabbitmq group (external override). The targets come
// from the same AMQP URL list as the consumer's (monitoring/prometheus/broker-targets.sh, run by the
// one-shot prometheus-targets), checked here for each way of running compose, then with promtool.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BROKER_TARGETS_FILE, COMPOSE_FILE, COMPOSE_RULES_DIR, RULES_DIR } from '../../monitoring/prometheus/targets.js';
import { findTool, skipWithoutTool } from '../support/require-tool.js';
import { composeFiles, composeServices, environmentOf, interpolate, readCompose, root } from './compose-model.js';

const PROMTOOL = findTool(['/usr/bin/promtool', '/usr/local/bin/promtool']);
const skipPromtool = skipWithoutTool({ tool: 'promtool (Debian package prometheus)', present: PROMTOOL, checks: 'the scrape config checked with its targets' });

const work = mkdtempSync(join(tmpdir(), 'paredao-broker-scrape-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const EXTERNAL_ENV = {
  RABBITMQ_API_URLS: 'amqp://paredao-api:fake-api@10.0.0.21:5672,amqp://paredao-api:fake-api@10.0.0.22:5672',
  RABBITMQ_CONSUMER_URLS: 'amqp://paredao-consumer:fake-c@10.0.0.21:5672,amqp://paredao-consumer:fake-c@10.0.0.22:5672',
};
const VARIANTS = [
  { name: 'the main file alone', overrides: [], env: {}, hosts: ['rabbitmq'] },
  { name: 'the three-node override', overrides: ['deploy/rabbitmq/docker-compose.cluster.yml'], env: {}, hosts: ['rabbitmq', 'rabbitmq-2', 'rabbitmq-3'] },
  { name: 'external brokers', overrides: ['deploy/rabbitmq/docker-compose.external.yml'], env: EXTERNAL_ENV, hosts: ['10.0.0.21', '10.0.0.22'] },
] as const;

const hostsOf = (urls: string) => urls.split(',').map((u) => new URL(u).hostname);

function model(overrides: readonly string[]) {
  const files = [...composeFiles(), ...overrides.map((f) => ({ file: join(root, f), dir: root, doc: readCompose(join(root, f)) }))];
  return composeServices(files);
}

function writeTargets(brokerUrls: string, file: string) {
  return spawnSync('sh', [join(root, 'monitoring/prometheus/broker-targets.sh')], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BROKER_URLS: brokerUrls, TARGETS_FILE: file },
    encoding: 'utf8',
  });
}

describe.each(VARIANTS)('RabbitMQ scrape targets with $name', ({ name, overrides, env, hosts }) => {
  const services = model(overrides);
  const brokerUrls = interpolate(environmentOf(services.get('prometheus-targets')!.svc).BROKER_URLS!, env);
  const consumerUrls = interpolate(environmentOf(services.get('consumer')!.svc).AMQP_URL!, env);
  const file = join(work, `${name.replace(/\W+/g, '-')}.json`);

  it('are the hosts of the consumer AMQP_URL, every one of them', () => {
    expect(hostsOf(consumerUrls).sort()).toEqual([...hosts].sort());
    expect(hostsOf(brokerUrls).sort()).toEqual(hostsOf(consumerUrls).sort());
  });

  it('are written as a file_sd list of host:15692, without the URL credentials', () => {
    const r = writeTargets(brokerUrls, file);
    expect(r.status, r.stderr).toBe(0);
    const written = readFileSync(file, 'utf8');
    expect(JSON.parse(written)).toEqual([{ targets: hosts.map((h) => `${h}:15692`) }]);
    expect(written).not.toMatch(/fake|paredao-|@/);
  });

  it.skipIf(skipPromtool)('make a config promtool accepts, both RabbitMQ jobs reading them', async () => {
    writeTargets(brokerUrls, file);
    const config = readFileSync(COMPOSE_FILE, 'utf8');
    expect(config.split(BROKER_TARGETS_FILE).length - 1, 'rabbitmq and rabbitmq-queues read the file').toBe(2);
    const copy = join(work, `${name.replace(/\W+/g, '-')}.yml`);
    writeFileSync(copy, config.replaceAll(BROKER_TARGETS_FILE, file).replaceAll(`${COMPOSE_RULES_DIR}/`, `${RULES_DIR}/`));
    const { stdout, stderr } = await promisify(execFile)(PROMTOOL!, ['check', 'config', copy]);
    expect(`${stdout}${stderr}`).not.toMatch(/FAILED|WARNING/);
    expect(`${stdout}${stderr}`).toMatch(/SUCCESS: 2 rule files found/);
  });
});

describe('broker-targets.sh', () => {
  it('when a URL has no host, or the list is empty, then it fails and writes nothing', () => {
    const file = join(work, 'bad.json');
    expect(writeTargets('amqp://user:pass@', file).status).not.toBe(0);
    expect(writeTargets('', file).status).not.toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('when a URL carries a vhost, amqps or an IPv6 address, then the host is still found', () => {
    const file = join(work, 'mixed.json');
    expect(writeTargets('amqps://u:fake@broker.example:5671/paredao,amqp://[fd00::3]:5672', file).status).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([{ targets: ['broker.example:15692', '[fd00::3]:15692'] }]);
  });
});
