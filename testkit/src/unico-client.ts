/**
 * The Voto Único's load client for bench/unico.ts and the Único fault run: one POST on a keep-alive
 * connection with its own headers (the voter's cookie), which the vote load client (http-client.ts)
 * does not carry per request.
 */
import { Agent, request } from 'node:http';

export interface Answer {
  status: number;
  latencyMs: number;
  body: string;
  /** Retry-After in seconds when the answer had one. */
  retryAfter: number | null;
}

export const keepAliveAgent = (sockets: number) => new Agent({ keepAlive: true, maxSockets: sockets });

/** One JSON POST; a network failure comes back as status 0 with the error's message as the body. */
export function postWith(agent: Agent, base: URL, path: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      { agent, host: base.hostname, port: base.port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ra = Number(res.headers['retry-after']);
          resolve({ status: res.statusCode ?? 0, latencyMs: performance.now() - started, body: Buffer.concat(chunks).toString(), retryAfter: Number.isFinite(ra) && ra > 0 ? ra : null });
        });
      },
    );
    req.on('error', (err) => resolve({ status: 0, latencyMs: performance.now() - started, body: err.message, retryAfter: null }));
    req.end(body);
  });
}

/** Runs `work(i)` for every i < n, `concurrency` at a time; returns the wall time in seconds. */
export async function inPool(n: number, concurrency: number, work: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await work(next++);
    }),
  );
  return (performance.now() - t0) / 1000;
}

/** The candidate a Único answer names (202 and 409 `already_voted` both do), or undefined. */
export function candidateOf(a: Answer): string | undefined {
  try {
    return (JSON.parse(a.body) as { candidateId?: string }).candidateId;
  } catch {
    return undefined;
  }
}
