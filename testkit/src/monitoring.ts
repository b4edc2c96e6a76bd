import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderLocal } from '../../monitoring/alertmanager/config.js';
import { localConfig, toYaml } from '../../monitoring/prometheus/targets.js';
import { freePort, waitFor } from './ports.js';
import { stopProcess } from './process.js';

export const PROMETHEUS = '/usr/bin/prometheus';
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

export interface MonitoringOptions {
  /** Folder for the configs and the data of both. */
  dir: string;
  /** What Prometheus scrapes: the stack's api, consumer and RabbitMQ metrics. */
  targets: { apiUrl: string; consumerUrl: string; rabbitmqMetricsUrl: string };
  /** Where Alertmanager sends notifications; unset = alerts stay in Alertmanager. */
  webhookUrl?: string;
  /** A rules folder of its own (writeRules, shorter `for:`); the committed rules by default. */
  rulesDir?: string;
  /** Seconds-scale timings for tests; the production ones by default, as ./run.sh runs them. */
  fast?: boolean;
}

export interface Monitoring {
  promUrl: string;
  amUrl: string;
  pids: { prometheus: number; alertmanager: number };
  /** The last lines each wrote to stderr. */
  logs(): string;
  stop(): Promise<void>;
}

/** Prometheus and Alertmanager as ./run.sh starts them, scraping a test stack on free ports. */
export async function startMonitoring(opts: MonitoringOptions): Promise<Monitoring> {
  const procs: { name: string; child: ChildProcess; log: string }[] = [];
  const start = (name: string, cmd: string, args: string[]) => {
    const entry = { name, child: spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] }), log: '' };
    entry.child.stderr!.on('data', (c: Buffer) => (entry.log = (entry.log + c.toString()).slice(-4000)));
    procs.push(entry);
    return entry.child;
  };
  const logs = () => procs.map((p) => `--- ${p.name}\n${p.log}`).join('\n');
  const stop = async () => {
    await Promise.all(procs.map(({ child }) => stopProcess(child)));
  };

  const amPort = await freePort();
  const amConfig = path.join(opts.dir, 'alertmanager.yml');
  const env = opts.webhookUrl ? { ALERT_WEBHOOK_URL: opts.webhookUrl } : {};
  writeFileSync(amConfig, opts.fast ? renderLocal(env, { groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' }) : renderLocal(env));
  const am = start('alertmanager', ALERTMANAGER, [
    `--config.file=${amConfig}`,
    `--storage.path=${path.join(opts.dir, 'am-data')}`,
    `--web.listen-address=127.0.0.1:${amPort}`,
    '--cluster.listen-address=',
    '--log.level=warn',
  ]);

  const promPort = await freePort();
  const port = (url: string) => Number(new URL(url).port);
  const config = localConfig({
    ...(opts.fast ? { scrapeInterval: '1s', evaluationInterval: '1s' } : {}),
    ...(opts.rulesDir ? { rulesDir: opts.rulesDir } : {}),
    ports: {
      api: port(opts.targets.apiUrl),
      consumer: port(opts.targets.consumerUrl),
      rabbitmq: port(opts.targets.rabbitmqMetricsUrl),
      'rabbitmq-queues': port(opts.targets.rabbitmqMetricsUrl),
      prometheus: promPort,
      alertmanager: amPort,
    },
  });
  const promConfig = path.join(opts.dir, 'prometheus.yml');
  writeFileSync(promConfig, toYaml(config, 'a test stack'));
  const prom = start('prometheus', PROMETHEUS, [
    `--config.file=${promConfig}`,
    `--storage.tsdb.path=${path.join(opts.dir, 'prom-data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--log.level=warn',
  ]);
  const promUrl = `http://127.0.0.1:${promPort}`;
  const amUrl = `http://127.0.0.1:${amPort}`;
  try {
    await waitFor('alertmanager and prometheus ready', async () => {
      const dead = procs.find((p) => p.child.exitCode !== null);
      if (dead) throw new Error(`${dead.name} exited:\n${logs()}`);
      return (await fetch(`${amUrl}/-/ready`)).ok && (await fetch(`${promUrl}/-/ready`)).ok;
    }, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { promUrl, amUrl, pids: { prometheus: prom.pid!, alertmanager: am.pid! }, logs, stop };
}

/** The binaries missing from this machine (./preflight.sh installs both). */
export function missingMonitoring(): string[] {
  return [PROMETHEUS, ALERTMANAGER].filter((p) => !existsSync(p));
}
