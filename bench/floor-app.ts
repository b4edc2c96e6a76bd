/**
 * The bare-pipeline floor: what nginx → node:http → quorum queue with publisher confirms →
 * consumer costs with no product features at all — no validation, no anti-bot, no replay guard, no
 * metrics, no logs, no store. The api's own group-commit Publisher carries the votes (so the floor has
 * the same message economy the stack has, and is the ceiling the stack can approach); the consumer
 * parses each message and acks in batches. Two roles, each its own process tree:
 *   FLOOR_ROLE=http     FLOOR_PORT=… FLOOR_QUEUE=… FLOOR_WORKERS=2  node --import tsx bench/floor-app.ts
 *   FLOOR_ROLE=consumer FLOOR_QUEUE=…                                node --import tsx bench/floor-app.ts
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { assertTopology } from '@paredao/core';
import amqp from 'amqplib';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApiMetrics } from '@paredao/api/platform/metrics';
import { apiEnv } from '@paredao/api/platform/config';
import { Publisher } from '@paredao/api/votes/publisher';

const role = process.env.FLOOR_ROLE ?? 'http';
const queue = process.env.FLOOR_QUEUE ?? 'bench-floor';
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const port = Number(process.env.FLOOR_PORT ?? 0);
const workers = Number(process.env.FLOOR_WORKERS ?? 2);

async function httpWorker() {
  const publisher = new Publisher({
    urls: amqpUrl.split(','),
    queue,
    timeoutMs: 5000,
    // The api's group commit as configured (PUBLISH_* and their defaults): the same message economy.
    batch: {
      maxVotes: apiEnv.shape.PUBLISH_BATCH_MAX.parse(process.env.PUBLISH_BATCH_MAX),
      maxBytes: apiEnv.shape.PUBLISH_BATCH_MAX_BYTES.parse(process.env.PUBLISH_BATCH_MAX_BYTES),
      maxWaitMs: apiEnv.shape.PUBLISH_BATCH_WAIT_MS.parse(process.env.PUBLISH_BATCH_WAIT_MS),
      lingerMs: apiEnv.shape.PUBLISH_LINGER_MS.parse(process.env.PUBLISH_LINGER_MS),
    },
    log: pino({ level: 'silent' }),
    metrics: createApiMetrics(new Registry()),
  });
  await publisher.start();
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"floor"}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const voteId = randomBytes(16).toString('hex');
      publisher.publish({ voteId, paredaoId: 'floor', candidateId: 'floor', acceptedAt: Date.now() }).then(
        () => res.writeHead(202, { 'content-type': 'application/json' }).end(`{"voteId":"${voteId}"}`),
        () => res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"broker_unavailable"}}'),
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  // FLOOR_SOCKET: a Unix socket, as the api listens behind ./run.sh's nginx (API_SOCKET).
  server.listen(process.env.FLOOR_SOCKET ? { path: process.env.FLOOR_SOCKET } : { port, host: '127.0.0.1' });
  process.once('SIGTERM', () => {
    server.close();
    void publisher.stop(Date.now() + 2000).finally(() => process.exit(0));
  });
}

async function consumer() {
  const conn = await amqp.connect(amqpUrl.split(',')[0]!, { noDelay: true });
  const ch = await conn.createChannel();
  await assertTopology(ch, queue);
  await ch.prefetch(1000);
  let last: amqp.ConsumeMessage | null = null;
  let votes = 0;
  const timer = setInterval(() => {
    if (last) ch.ack(last, true);
    last = null;
  }, 50);
  await ch.consume(queue, (msg) => {
    if (!msg) return;
    votes += (JSON.parse(msg.content.toString('utf8')) as { votes?: unknown[] }).votes?.length ?? 1;
    last = msg;
  });
  process.once('SIGTERM', () => {
    clearInterval(timer);
    if (last) ch.ack(last, true);
    console.log(`floor consumer: ${votes} votes`);
    void conn.close().finally(() => process.exit(0));
  });
}

if (role === 'consumer') await consumer();
else if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.once('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2500).unref();
  });
} else await httpWorker();
