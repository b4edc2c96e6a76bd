import { backoffDelay, sleep } from '@paredao/contract';
import { closeLogger, ConfigError, createLogger, createRegistry, openStore, redactUrl, startOpsServer, type Store } from '@paredao/core';
import { pino } from 'pino';
import { loadConsumerConfig, pruneSettings, type ConsumerConfig } from './config.js';
import { VoteConsumer } from './consumer.js';
import { createConsumerMetrics } from './metrics.js';
import { ClaimSweeper } from './sweeper.js';

let config: ConsumerConfig;
try {
  config = loadConsumerConfig();
} catch (err) {
  pino({ base: { service: 'consumer' } }).fatal({ err: err instanceof ConfigError ? undefined : err }, (err as Error).message);
  process.exit(78);
}
const log = createLogger({ service: 'consumer', level: config.LOG_LEVEL, gelfUrl: config.GELF_URL, pretty: config.LOG_PRETTY });

async function main(cfg: ConsumerConfig) {
  const registry = createRegistry('consumer');
  const metrics = createConsumerMetrics(registry);
  const abort = new AbortController();
  let store: Store | null = null;
  let consumer: VoteConsumer | null = null;
  let sweeper: ClaimSweeper | null = null;
  const ops = await startOpsServer({
    host: cfg.CONSUMER_HOST,
    port: cfg.CONSUMER_PORT,
    registry,
    readiness: async () => (consumer ? consumer.readiness() : 'store not open yet'),
  });

  // The store may be down at start (MongoDB still electing): keep trying with backoff.
  for (let attempt = 0; !store && !abort.signal.aborted; attempt++) {
    try {
      store = await openStore(cfg.STORE_URL);
    } catch (err) {
      // A store that answers but can never work (a standalone MongoDB) is not worth retrying.
      if (err instanceof ConfigError) throw err;
      metrics.storeUp.set(0);
      const delay = backoffDelay(attempt, 500, 10_000);
      log.error({ err, storeUrl: redactUrl(cfg.STORE_URL), retryInMs: delay }, 'store unreachable');
      await sleep(delay, abort.signal);
    }
  }
  if (store) {
    consumer = new VoteConsumer({
      amqpUrls: cfg.AMQP_URL,
      queue: cfg.QUEUE_NAME,
      prefetch: cfg.PREFETCH,
      batchMax: cfg.BATCH_MAX,
      batchMaxWaitMs: cfg.BATCH_MAX_WAIT_MS,
      declareTopology: cfg.AMQP_DECLARE_TOPOLOGY,
      prune: pruneSettings(cfg),
      store,
      log,
      metrics,
    });
    consumer.start();
    sweeper = new ClaimSweeper({ store, afterMs: cfg.UNICO_SWEEP_AFTER_MS, everyMs: cfg.UNICO_SWEEP_EVERY_MS, batchMax: cfg.BATCH_MAX, log, metrics });
    sweeper.start();
  }
  log.info(
    {
      port: cfg.CONSUMER_PORT,
      storeUrl: redactUrl(cfg.STORE_URL),
      amqpUrl: redactUrl(cfg.AMQP_URL.join(',')),
      queue: cfg.QUEUE_NAME,
      prefetch: cfg.PREFETCH,
      batchMax: cfg.BATCH_MAX,
      batchMaxWaitMs: cfg.BATCH_MAX_WAIT_MS,
      prune: pruneSettings(cfg),
      unicoSweepAfterMs: cfg.UNICO_SWEEP_AFTER_MS,
      gelf: cfg.GELF_URL ?? null,
    },
    'consumer started',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    abort.abort();
    log.info({ signal }, 'consumer shutting down: flushing the current batch');
    const deadline = Date.now() + cfg.SHUTDOWN_TIMEOUT_MS;
    setTimeout(() => {
      log.error('consumer shutdown deadline passed; exiting (unacked votes will be redelivered)');
      process.exit(1);
    }, cfg.SHUTDOWN_TIMEOUT_MS + 2000).unref();
    await sweeper?.stop();
    await consumer?.stop(deadline);
    await store?.close();
    ops.close();
    log.info('consumer stopped');
    await closeLogger(log).catch(() => {});
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main(config).catch(async (err: unknown) => {
  log.fatal({ err }, 'consumer cannot start');
  await closeLogger(log).catch(() => {});
  process.exit(1);
});
