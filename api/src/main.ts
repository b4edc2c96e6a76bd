import cluster, { type Worker } from 'node:cluster';
import { lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { backoffDelay } from '@paredao/contract';
import { closeLogger, ConfigError, createLogger, redactUrl } from '@paredao/core';
import { pino, type Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { HostArbiter, serveArbiter } from './platform/cluster-arbiter.js';
import { loadApiConfig, publicOrigins, type ApiConfig } from './platform/config.js';
import { startApi } from './platform/worker.js';

function makeLogger(config: ApiConfig): Logger {
  return createLogger({ service: 'api', level: config.LOG_LEVEL, gelfUrl: config.GELF_URL, pretty: config.LOG_PRETTY });
}

/** Exits after the log backlog (GELF included) is flushed. */
async function exit(logger: Logger, code: number): Promise<never> {
  await closeLogger(logger).catch(() => {});
  process.exit(code);
}

let config: ApiConfig;
try {
  config = loadApiConfig();
} catch (err) {
  // No valid config, so no configured logger: a plain JSON line on stdout.
  const log = pino({ base: { service: 'api' } });
  log.fatal({ err: err instanceof ConfigError ? undefined : err }, err instanceof Error ? err.message : String(err));
  process.exit(78); // EX_CONFIG
}
const log = makeLogger(config);

if (cluster.isPrimary && config.API_SOCKET) {
  try {
    await clearStaleSocket(config.API_SOCKET);
  } catch (err) {
    log.fatal({ err, path: config.API_SOCKET }, err instanceof Error ? err.message : String(err));
    await exit(log, 1);
  }
}

if (cluster.isPrimary && config.API_WORKERS > 1) {
  runPrimary(config, log);
} else {
  runWorker(config, log).catch((err: unknown) => {
    log.fatal({ err }, 'api cannot start');
    void exit(log, 1);
  });
}

async function runWorker(cfg: ApiConfig, logger: Logger) {
  const api = await startApi(cfg, logger);
  if (cluster.isPrimary) logStartup(cfg, logger);
  else logger.debug({ worker: cluster.worker?.id }, 'api worker listening');
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'api shutting down: draining in-flight votes');
    const hard = setTimeout(() => {
      logger.error('api shutdown deadline passed; exiting');
      process.exit(1);
    }, cfg.SHUTDOWN_TIMEOUT_MS + 2000);
    hard.unref();
    api.stop().then(
      () => {
        logger.info('api stopped');
        void exit(logger, 0);
      },
      (err: unknown) => {
        logger.error({ err }, 'api stop failed');
        void exit(logger, 1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/**
 * The primary forks the workers, restarts a crashed one with backoff, aggregates their metrics, and
 * arbitrates for them: one claim per proof and one rate-limit count per client for the whole host.
 */
function runPrimary(cfg: ApiConfig, logger: Logger) {
  const aggregator = new AggregatorRegistry();
  const arbiter = new HostArbiter(cfg.ANTIBOT_EXPIRY_SECONDS * 1000);
  let stopping = false;
  let crashes = 0;
  const fork = () => {
    const w = cluster.fork();
    serveArbiter(arbiter, w, w.id);
    w.on('message', (msg: { type?: string; id?: string }) => {
      if (msg?.type !== 'paredao:metrics:req') return;
      aggregator.clusterMetrics().then(
        (body) => w.send({ type: 'paredao:metrics:res', id: msg.id, body, contentType: aggregator.contentType }),
        (err: Error) => w.send({ type: 'paredao:metrics:res', id: msg.id, body: `# metrics aggregation failed: ${err.message}\n` }),
      );
    });
    return w;
  };
  for (let i = 0; i < cfg.API_WORKERS; i++) fork();
  logStartup(cfg, logger);
  cluster.on('exit', (w: Worker, code, signal) => {
    arbiter.orphan(w.id);
    if (stopping) return;
    const delay = backoffDelay(crashes++, 200, 10_000);
    logger.error({ worker: w.id, code, signal, restartInMs: delay }, 'api worker exited; restarting');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });
  // Crash counter decays so an occasional crash does not grow the backoff forever.
  setInterval(() => (crashes = Math.max(0, crashes - 1)), 30_000).unref();
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api primary shutting down workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    for (const w of workers) w.process.kill('SIGTERM');
    const hard = setTimeout(() => {
      logger.error('api workers did not stop in time; killing');
      for (const w of workers) w.process.kill('SIGKILL');
      process.exit(1);
    }, cfg.SHUTDOWN_TIMEOUT_MS + 3000);
    hard.unref();
    let left = workers.length;
    if (left === 0) void exit(logger, 0);
    cluster.on('exit', () => {
      if (--left === 0) {
        logger.info('api stopped');
        void exit(logger, 0);
      }
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

function logStartup(cfg: ApiConfig, logger: Logger) {
  logger.info(
    {
      port: cfg.API_PORT,
      host: cfg.API_HOST,
      workers: cfg.API_WORKERS,
      storeUrl: redactUrl(cfg.STORE_URL),
      amqpUrl: redactUrl(cfg.AMQP_URL.join(',')),
      queue: cfg.QUEUE_NAME,
      paredaoFile: cfg.PAREDAO_FILE,
      antibotDifficulty: cfg.ANTIBOT_DIFFICULTY,
      antibotExpirySeconds: cfg.ANTIBOT_EXPIRY_SECONDS,
      rateLimitPerIp: cfg.RATE_LIMIT_PER_IP,
      trustedProxies: cfg.TRUSTED_PROXIES,
      publicOrigins: publicOrigins(cfg),
      gelf: cfg.GELF_URL ?? null,
    },
    'api started',
  );
}

/**
 * A socket file left by an api that was killed (a clean stop removes it) would make listen() fail with
 * EADDRINUSE: it is removed if nothing answers on it. A live api on it, or a file that is not a socket,
 * is an error instead.
 */
async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new Error(`API_SOCKET ${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
  if (live) throw new Error(`another process is listening on API_SOCKET ${path}`);
  unlinkSync(path);
}
