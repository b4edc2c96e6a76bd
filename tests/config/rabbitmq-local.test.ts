import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@paredao/testkit/ports';
import { skipWithoutTool } from '../support/require-tool.js';

/**
 * The local run's RabbitMQ Prometheus endpoint on loopback only. The machine's broker is shared and is
 * never restarted from a test, so the config scripts/ensure-rabbitmq.sh starts a broker with is tried
 * on a scratch node of Debian's rabbitmq-server (own name, ports, data and cookie, as
 * scripts/rabbitmq-cluster.sh runs its nodes), which is stopped afterwards.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = '/usr/lib/rabbitmq/bin';

describe('the local RabbitMQ config (scripts/ensure-rabbitmq.sh)', () => {
  it('when it is written, then it binds the Prometheus endpoint to 127.0.0.1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paredao-rmq-conf-'));
    try {
      execFileSync(join(ROOT, 'scripts/ensure-rabbitmq.sh'), ['config', dir], { stdio: 'pipe' });
      const conf = readFileSync(join(dir, '90-paredao-local.conf'), 'utf8');
      expect(conf).toMatch(/^prometheus\.tcp\.ip = 127\.0\.0\.1$/m);
      expect(conf).toMatch(/^prometheus\.tcp\.port = 15692$/m);
      // and the script starts the broker with that folder (it never touches one already running)
      expect(readFileSync(join(ROOT, 'scripts/ensure-rabbitmq.sh'), 'utf8')).toMatch(/RABBITMQ_CONFIG_FILES="\$conf_dir" rabbitmq-server -detached/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(skipWithoutTool({ tool: 'rabbitmq-server', present: existsSync(`${BIN}/rabbitmq-server`), checks: 'a scratch broker started with the local config' }))(
    'when a broker starts with it, then its Prometheus endpoint listens on loopback only and answers there',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'paredao-rmq-node-'));
      const confDir = join(home, 'conf.d');
      execFileSync(join(ROOT, 'scripts/ensure-rabbitmq.sh'), ['config', confDir], { stdio: 'pipe' });
      const [amqp, dist, prometheus] = [await freePort(), await freePort(), await freePort()];
      // Ports of its own, so it never meets the machine's broker; the generated file sets the address.
      writeFileSync(join(confDir, '99-scratch-ports.conf'), `listeners.tcp.default = 127.0.0.1:${amqp}\nprometheus.tcp.port = ${prometheus}\n`);
      writeFileSync(join(home, '.erlang.cookie'), randomBytes(20).toString('hex'));
      chmodSync(join(home, '.erlang.cookie'), 0o400);
      mkdirSync(join(home, 'log'));
      writeFileSync(join(home, 'rabbitmq.conf'), '');
      writeFileSync(join(home, 'rabbitmq-env.conf'), '');
      writeFileSync(join(home, 'advanced.config'), '[].');
      writeFileSync(join(home, 'enabled_plugins'), '[rabbitmq_prometheus].');
      const node = `paredao-conftest-${randomBytes(3).toString('hex')}@localhost`;
      const env = {
        PATH: process.env.PATH,
        HOME: home,
        RABBITMQ_NODENAME: node,
        RABBITMQ_NODE_PORT: String(amqp),
        RABBITMQ_DIST_PORT: String(dist),
        RABBITMQ_CONF_ENV_FILE: join(home, 'rabbitmq-env.conf'),
        RABBITMQ_CONFIG_FILE: join(home, 'rabbitmq.conf'),
        RABBITMQ_CONFIG_FILES: confDir,
        RABBITMQ_ADVANCED_CONFIG_FILE: join(home, 'advanced.config'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(home, 'enabled_plugins'),
        RABBITMQ_MNESIA_BASE: join(home, 'mnesia'),
        RABBITMQ_LOG_BASE: join(home, 'log'),
        RABBITMQ_PID_FILE: join(home, 'pid'),
      };
      const ctl = (...args: string[]) => spawnSync(`${BIN}/rabbitmqctl`, ['-n', node, ...args], { env, encoding: 'utf8', timeout: 120_000 });
      try {
        spawnSync(`${BIN}/rabbitmq-server`, ['-detached'], { env, cwd: home, stdio: 'ignore' });
        const waited = ctl('wait', '--timeout', '90', join(home, 'pid'));
        expect(waited.status, `${waited.stderr}\n${readLogs(join(home, 'log'))}`).toBe(0);
        const sockets = await waitFor('the Prometheus listener', async () => listening(prometheus), 30_000, 500);
        expect(sockets).toEqual([`127.0.0.1:${prometheus}`]);
        const metrics = await fetch(`http://127.0.0.1:${prometheus}/metrics`);
        expect(metrics.status).toBe(200);
      } finally {
        ctl('stop', join(home, 'pid'));
        rmSync(home, { recursive: true, force: true });
      }
    },
    180_000,
  );
});

/** Local addresses listening on `port` (ss), or null when none yet. */
function listening(port: number): string[] | null {
  const out = spawnSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).stdout;
  const addrs = out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim().split(/\s+/)[3]!);
  return addrs.length ? addrs : null;
}

function readLogs(dir: string): string {
  try {
    return spawnSync('sh', ['-c', `tail -n 20 ${dir}/*.log`], { encoding: 'utf8' }).stdout;
  } catch {
    return '';
  }
}
