/**
 * The ceiling to compare the api against: Express 5 with one JSON POST route that does nothing, two
 * cluster workers like the api, behind the same nginx config. Whatever the api does beyond this (zod,
 * ALTCHA verification, the replay guard, the publish and its confirm, metrics, logs) is the cost of the
 * product. Usage: BASELINE_PORT=… [BASELINE_SOCKET=/path] node --import tsx bench/baseline-app.ts
 * (with BASELINE_SOCKET it listens on that Unix socket instead, as the api does behind ./run.sh's nginx)
 */
import cluster from 'node:cluster';
import express from 'express';

const port = Number(process.env.BASELINE_PORT ?? 0);
const workers = Number(process.env.BASELINE_WORKERS ?? 2);
const socket = process.env.BASELINE_SOCKET;

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === workers) console.log(`baseline listening on ${socket ?? port}`);
  });
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/api/paredao', (_req, res) => {
    res.json({ id: 'baseline' });
  });
  app.post('/api/votes', express.json({ limit: '8kb' }), (_req, res) => {
    res.status(202).json({ voteId: '00000000000000000000000000000000' });
  });
  const server = app.listen(socket ? { path: socket } : { port, host: '127.0.0.1' }, () => {
    if (!cluster.isWorker) console.log(`baseline listening on ${socket ?? port}`);
  });
  server.keepAliveTimeout = 65_000;
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}
