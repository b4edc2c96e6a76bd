import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createRegistry, openStore } from '@paredao/core';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { ANTIBOT_DIFFICULTY_SETTING } from '../admin/admin.js';
import { Auth } from '../admin/auth.js';
import { ParedaoService } from '../paredoes/paredoes.js';
import { votingOf } from '@paredao/contract';
import { ResultsService } from '../results/results.js';
import { Antibot } from '../votes/antibot.js';
import { Publisher } from '../votes/publisher.js';
import { ReplayGuard } from '../votes/replay-guard.js';
import { digitsOnlyVerifier, httpVerifier } from '../voters/verifier.js';
import { voterParts } from '../voters/voters.js';
import { createApp } from './app.js';
import { ArbiterClient } from './cluster-arbiter.js';
import { publicOrigins, type ApiConfig } from './config.js';
import { LoopDelay } from './loop-delay.js';
import { createApiMetrics, initCandidateSeries } from './metrics.js';

/**
 * Connections the kernel holds for the api while it is not accepting (a GC pause, a starved CPU): nginx
 * opens one per request past its idle keep-alive ones, and a full queue is a 502 at once (EAGAIN on the
 * Unix socket). Node's default, 511, turned a burst of retries after a broker outage into 502s with one
 * api process (faults/results/2026-12-05T12-36.json, scenario 2: 42 votes, and 410 given up when the
 * challenge for their retry got one). The kernel caps it at net.core.somaxconn of the process's
 * network namespace: 4096 since Linux 5.4, 128 before, so compose sets it for the api's containers.
 */
export const LISTEN_BACKLOG = 4096;

export interface RunningApi {
  server: Server;
  stop(): Promise<void>;
}

/**
 * The composition root of one api process: wires config, logger, store, broker and metrics, listens,
 * and returns a stop() that drains gracefully: stop accepting, finish in-flight confirms, close.
 */
export async function startApi(config: ApiConfig, log: Logger): Promise<RunningApi> {
  const registry = createRegistry('api');
  const metrics = createApiMetrics(registry);
  const metricsText = cluster.isWorker ? clusterMetricsText(registry) : async () => ({ contentType: registry.contentType, body: await registry.metrics() });

  const store = await openStore(config.STORE_URL);
  const paredoes = new ParedaoService(store, log);
  await paredoes.seed(config.PAREDAO_FILE);
  const results = new ResultsService(store, log, config.RESULTS_STREAM_MAX);
  paredoes.on('change', (p: typeof paredoes.current) => {
    if (p) initCandidateSeries(metrics, p.candidates.map((c) => c.id), votingOf(p).modes);
    results.paredaoChanged(p);
    void results.refresh(p);
  });
  const publisher = new Publisher({
    urls: config.AMQP_URL,
    queue: config.QUEUE_NAME,
    timeoutMs: config.PUBLISH_TIMEOUT_MS,
    batch: { maxVotes: config.PUBLISH_BATCH_MAX, maxBytes: config.PUBLISH_BATCH_MAX_BYTES, maxWaitMs: config.PUBLISH_BATCH_WAIT_MS, lingerMs: config.PUBLISH_LINGER_MS },
    declareTopology: config.AMQP_DECLARE_TOPOLOGY,
    log,
    metrics,
  });
  // In a cluster worker, proof claims and rate-limit counts are decided once per host, by the primary.
  // Its proof claims linger as long as the publisher would (one claim round trip per broker message).
  const arbiter = cluster.isWorker
    ? new ArbiterClient({ send: (m, done) => process.send!(m, done), on: (_e, l) => process.on('message', l) }, 5000, config.PUBLISH_LINGER_MS)
    : null;
  // Across hosts (PROOF_CLAIMS=store), each claim the host took is then taken in the store too.
  const sharedClaims = config.PROOF_CLAIMS === 'store' ? { store, onConflict: () => metrics.proofClaimConflicts.inc() } : null;
  const replayGuard = new ReplayGuard(store, config.ANTIBOT_EXPIRY_SECONDS * 1000, log, Date.now(), arbiter, sharedClaims);

  const antibot = new Antibot({ secret: config.ANTIBOT_SECRET, difficulty: config.ANTIBOT_DIFFICULTY, expirySeconds: config.ANTIBOT_EXPIRY_SECONDS });

  // One beat for everything that follows the store: the paredão, the results snapshot, the replay
  // guard, and the anti-bot difficulty an operator set at run time (PUT /api/admin/antibot).
  const tick = async () => {
    try {
      await paredoes.refresh();
      const difficulty = await store.getSetting(ANTIBOT_DIFFICULTY_SETTING);
      if (typeof difficulty === 'number' && difficulty !== antibot.difficulty) {
        log.info({ from: antibot.difficulty, to: difficulty }, 'anti-bot difficulty changed');
        antibot.setDifficulty(difficulty);
      }
    } catch (err) {
      log.error({ err }, 'could not read the current paredão from the store');
    }
    await results.refresh(paredoes.current);
    await replayGuard.sync();
  };
  await tick();
  let timer: NodeJS.Timeout | null = null;
  const loop = () => {
    timer = setTimeout(() => void tick().finally(() => timer && loop()), config.RESULTS_REFRESH_MS);
  };
  loop();
  results.start();
  await publisher.start();

  const auth = new Auth({
    username: config.ADMIN_USER,
    passwordHash: config.ADMIN_PASSWORD_HASH,
    sessionSecret: config.ADMIN_SESSION_SECRET,
    sessionTtlMs: config.ADMIN_SESSION_HOURS * 3_600_000,
    failureDelayMs: 1000,
    store,
  });
  if (!auth.configured) log.warn('ADMIN_PASSWORD_HASH is not set: administration and the production panel are disabled');
  const revoked = await auth.revokeStale();
  if (revoked > 0) log.info({ revoked }, 'admin sessions of another password (or expired) ended');

  // Sampled off the hot path: a vote reads the last window's figure (admission.ts).
  const loopDelay = new LoopDelay({ resolutionMs: 10, windowMs: 100 });
  if (config.VOTE_MAX_LOOP_DELAY_MS > 0) loopDelay.start();

  const verifier = config.CPF_VERIFIER_URL ? httpVerifier(config.CPF_VERIFIER_URL, config.CPF_VERIFIER_TIMEOUT_MS) : digitsOnlyVerifier;
  log.info(`Voto Único sign-ups: CPFs checked by ${verifier.describe}`);
  const origins = publicOrigins(config);

  const app = createApp({
    store,
    paredoes,
    auth,
    closeGraceMs: config.CLOSE_GRACE_MS,
    log,
    metrics,
    metricsText,
    publisher,
    results,
    antibot,
    replayGuard,
    rateLimitPerMinute: config.RATE_LIMIT_PER_IP,
    voteAdmission: {
      maxInFlight: config.VOTE_MAX_IN_FLIGHT,
      retryAfterSeconds: config.VOTE_RETRY_AFTER_SECONDS,
      maxLoopDelayMs: config.VOTE_MAX_LOOP_DELAY_MS,
      loopDelayMs: () => loopDelay.delayMs,
    },
    rateLimitStores: arbiter
      ? { votes: arbiter.limitStore('votes'), login: arbiter.limitStore('login'), voterSignups: arbiter.limitStore('voter-signups'), voterLogins: arbiter.limitStore('voter-logins') }
      : undefined,
    trustedProxies: config.TRUSTED_PROXIES,
    publicOrigins: origins,
    voters: voterParts({
      store,
      publicOrigins: origins,
      cpfHmacSecret: config.CPF_HMAC_SECRET,
      sessionSecret: config.ADMIN_SESSION_SECRET,
      sessionTtlMs: config.VOTER_SESSION_HOURS * 3_600_000,
      verifier,
      signupsPerIpHour: config.VOTER_SIGNUPS_PER_IP,
      loginsPerIpMinute: config.VOTER_LOGINS_PER_IP,
    }),
  });
  const listen = (at: { port: number; host: string } | { path: string }) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer(app);
      s.once('error', reject);
      s.listen({ ...at, backlog: LISTEN_BACKLOG }, () => resolve(s));
      // Longer than nginx's upstream keepalive_timeout, so nginx never reuses a connection we just closed.
      s.keepAliveTimeout = 65_000;
      s.headersTimeout = 66_000;
    });
  const server = await listen({ port: config.API_PORT, host: config.API_HOST });
  // The same app on a Unix socket too, for an nginx on this machine (API_SOCKET; ./run.sh): a vote's
  // request and answer cross it for less CPU than loopback TCP (docs/BENCHMARKS.md).
  const servers = config.API_SOCKET ? [server, await listen({ path: config.API_SOCKET })] : [server];

  let stopping: Promise<void> | null = null;
  return {
    server,
    stop() {
      stopping ??= (async () => {
        const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS;
        if (timer) clearTimeout(timer);
        timer = null;
        // nginx keeps reusing its keep-alive connections. First answer everything with
        // `Connection: close` for a moment, so the busy connections end after their next response;
        // only then close the server, which also closes the connections that are idle: nginx may be
        // writing a request into one of those at that instant (a 502), so the fewer the better.
        for (const s of servers) s.prependListener('request', (_req, res) => res.setHeader('connection', 'close'));
        await new Promise((r) => setTimeout(r, Math.min(config.SHUTDOWN_DRAIN_MS, Math.max(0, deadline - Date.now()))));
        const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
        results.stop(); // ends SSE streams, which would otherwise hold server.close() open
        await Promise.race([closed, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
        for (const s of servers) s.closeAllConnections();
        await publisher.stop(deadline);
        loopDelay.stop();
        await store.close();
      })();
      return stopping;
    },
  };
}

/** In a cluster worker, /metrics asks the primary for the sum over all workers (prom-client's AggregatorRegistry). */
function clusterMetricsText(registry: ReturnType<typeof createRegistry>) {
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs the worker's IPC listener
  const pending = new Map<string, (r: { contentType: string; body: string }) => void>();
  process.on('message', (msg: { type?: string; id?: string; body?: string; contentType?: string }) => {
    if (msg?.type === 'paredao:metrics:res' && msg.id) {
      pending.get(msg.id)?.({ contentType: msg.contentType ?? registry.contentType, body: msg.body ?? '' });
      pending.delete(msg.id);
    }
  });
  return () =>
    new Promise<{ contentType: string; body: string }>((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('metrics aggregation timed out'));
      }, 5000);
      pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      process.send?.({ type: 'paredao:metrics:req', id });
    });
}
