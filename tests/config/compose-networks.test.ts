// Whatever a service is told to reach by name must be a service on one of its networks: Docker's DNS
// answers a name only on the networks the two share, and nothing else in the model says so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeServices, documentedValues, environmentOf, interpolate, networksOf, root, type Service } from './compose-model.js';

const services = composeServices();

/** host:port pairs in a URL, a syslog target or a bare host:port (API_UPSTREAM). */
const HOST_PORT = /(?:^|[/@=\s,])([a-z][a-z0-9-]*):(\d{2,5})\b/g;

/**
 * Every string that names a peer: the environment with an empty .env (defaults), what .env.example
 * documents for the variables it reads (the values an operator is told to set), and the command line.
 */
function peerStrings(svc: Service): string[] {
  const env = environmentOf(svc);
  const vars = Object.values(env).flatMap((v) => [...v.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
  const command = svc.command === undefined ? [] : Array.isArray(svc.command) ? svc.command : [svc.command];
  return [...Object.values(env).map((v) => interpolate(v)), ...vars.map(documentedValues), ...command.map(String)];
}

function namedPeers(svc: Service): Set<string> {
  return new Set(peerStrings(svc).flatMap((s) => [...s.matchAll(HOST_PORT)].map((m) => m[1]!)).filter((h) => services.has(h)));
}

function unreachable(from: string, peers: Iterable<string>): string[] {
  const mine = networksOf(services.get(from)!.svc);
  return [...peers].filter((p) => !networksOf(services.get(p)!.svc).some((n) => mine.includes(n))).map((p) => `${from} → ${p}`);
}

describe('compose networks: every name a service is given resolves', () => {
  it('when the proxy ships its access log to Graylog (the documented NGINX_ACCESS_LOG), then graylog shares a network with it', () => {
    const peers = namedPeers(services.get('proxy')!.svc);
    expect([...peers].sort()).toEqual(expect.arrayContaining(['api', 'graylog']));
    expect(unreachable('proxy', peers)).toEqual([]);
  });

  it('every host name in a service environment, documented setting or command is a service on a shared network', () => {
    // Without a network, a service reaches nothing; the brokers prometheus-targets names are Prometheus's.
    const offline = [...services.keys()].filter((n) => (services.get(n)!.svc as { network_mode?: string }).network_mode === 'none');
    expect(offline).toEqual(['prometheus-targets']);
    const problems = [...services.keys()]
      .filter((name) => !offline.includes(name))
      .flatMap((name) => unreachable(name, namedPeers(services.get(name)!.svc)));
    expect(problems).toEqual([]);
  });

  it('every target Prometheus scrapes or alerts is a service on a shared network', () => {
    const config = parse(readFileSync(join(root, 'monitoring/prometheus/prometheus.compose.yml'), 'utf8')) as {
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[] }[] }[];
    };
    const hosts = [
      ...config.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets)),
      ...config.scrape_configs.flatMap((j) => (j.static_configs ?? []).flatMap((s) => s.targets)),
    ].map((t) => t.split(':')[0]!);
    const names = config.scrape_configs.flatMap((j) => (j.dns_sd_configs ?? []).flatMap((d) => d.names));
    // file_sd: the brokers prometheus-targets writes from its AMQP URL list.
    const brokers = [...namedPeers(services.get('prometheus-targets')!.svc)];
    expect(brokers).toEqual(['rabbitmq']);
    const peers = [...hosts, ...names, ...brokers].filter((h) => h !== 'localhost');
    expect(peers.filter((h) => !services.has(h)), 'targets that are no service').toEqual([]);
    expect(unreachable('prometheus', new Set(peers))).toEqual([]);
  });
});
