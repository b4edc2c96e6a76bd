import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Resolves to null when ready, or to the reason it is not. */
  readiness: () => Promise<string | null>;
}

/**
 * `/healthz`, `/readyz` and `/metrics` for a service that has no other HTTP surface (the consumer).
 * Liveness is cheap; readiness asks the service whether broker and store are usable now.
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'application/json', JSON.stringify({ error: { code: 'method_not_allowed', message: 'use GET' } }));
    if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
    if (path === '/readyz') {
      opts.readiness().then(
        (reason) => send(reason ? 503 : 200, 'application/json', JSON.stringify(reason ? { status: 'not ready', reason } : { status: 'ready' })),
        (err: Error) => send(503, 'application/json', JSON.stringify({ status: 'not ready', reason: err.message })),
      );
      return;
    }
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => send(200, opts.registry.contentType, text),
        () => send(500, 'text/plain', 'metrics unavailable'),
      );
      return;
    }
    send(404, 'application/json', JSON.stringify({ error: { code: 'not_found', message: 'not found' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return server;
}
