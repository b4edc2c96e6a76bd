import { Socket } from 'node:net';
import type { ArbiterChannel } from './cluster-arbiter.js';

/**
 * The arbiter's own stream between a cluster worker and the primary, beside node's IPC channel: a
 * socket pair made at fork (the worker's stdio entry CLAIM_FD), one JSON message per line. It carries
 * only the arbiter's batches, so neither end runs node's IPC envelope checks or the cluster's message
 * re-emission for them; metrics and the cluster's own messages stay on the IPC channel.
 */
export const CLAIM_FD = 4;

/** The workers' stdio at fork: the usual (inherited output, IPC on fd 3) plus the claim stream. */
export const WORKER_STDIO = ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'] as const;

/** One end of the claim stream as an ArbiterChannel. Lines are JSON, which never holds a raw newline. */
export function streamChannel(socket: Socket): ArbiterChannel {
  const listeners: ((m: unknown) => void)[] = [];
  let partial = '';
  socket.setEncoding('utf8');
  // A gone peer shows as a failed send (its callback) or, in the worker, as the arbiter's timeout.
  socket.on('error', () => {});
  socket.on('data', (chunk: string) => {
    let start = 0;
    let nl = chunk.indexOf('\n');
    while (nl !== -1) {
      const line = partial + chunk.slice(start, nl);
      partial = '';
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
      let m: unknown;
      try {
        m = JSON.parse(line);
      } catch {
        continue;
      }
      for (const l of listeners) l(m);
    }
    partial += chunk.slice(start);
  });
  return {
    send: (message, done) => socket.write(`${JSON.stringify(message)}\n`, (err) => done(err ?? null)),
    on: (_event, listener) => listeners.push(listener),
  };
}

/** In a worker: its end of the claim stream, not holding the process open by itself. */
export function workerClaimChannel(): ArbiterChannel {
  const socket = new Socket({ fd: CLAIM_FD, readable: true, writable: true });
  socket.unref();
  return streamChannel(socket);
}
