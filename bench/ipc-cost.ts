/**
 * What one request/answer between two processes costs on this machine, over loopback TCP and over a Unix
 * socket: the price of every hop a vote takes (load generator → nginx → api, api → RabbitMQ → consumer).
 * A client process sends 700 bytes (a vote's size), a server process in another process echoes them,
 * 20 000 times, one at a time; the client's own CPU per round trip and the wall time are printed.
 *
 *   npx tsx bench/ipc-cost.ts [--rounds=20000]
 *
 * Run with the machine otherwise idle: the figures are small and a neighbour moves them.
 */
import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

// `echo-server tcp|unix` is the child's own command line; the parent takes --rounds.
const { values: args, positionals } = parseArgs({ options: { rounds: { type: 'string', default: '20000' } }, allowPositionals: true, strict: true });
const rounds = Number(args.rounds);
const socketPath = join(tmpdir(), `paredao-ipc-cost-${process.pid}.sock`);

if (positionals[0] === 'echo-server') {
  const kind = positionals[1];
  const server = createServer((c) => {
    if (kind === 'tcp') c.setNoDelay(true);
    c.on('data', (d) => c.write(d));
  });
  if (kind === 'tcp') server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
  else server.listen(socketPath, () => process.send!({ path: socketPath }));
} else {
  for (const kind of ['tcp', 'unix', 'tcp', 'unix'] as const) {
    const r = await measure(kind);
    console.log(`${kind.padEnd(4)}: ${r.cpuUs.toFixed(1)} µs of client CPU and ${r.wallUs.toFixed(1)} µs wall per round trip (${rounds} rounds)`);
  }
  rmSync(socketPath, { force: true });
}

async function measure(kind: 'tcp' | 'unix'): Promise<{ cpuUs: number; wallUs: number }> {
  const server = fork(import.meta.filename, ['echo-server', kind], { execArgv: process.execArgv });
  try {
    const at = await new Promise<{ port?: number; path?: string }>((resolve) => server.once('message', resolve));
    const c: Socket = at.path ? createConnection(at.path) : createConnection(at.port!, '127.0.0.1');
    await new Promise((resolve) => c.once('connect', resolve));
    if (kind === 'tcp') c.setNoDelay(true);
    const body = Buffer.alloc(700, 'x');
    return await new Promise((resolve) => {
      let n = 0;
      let got = 0;
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      c.on('data', (d: Buffer) => {
        got += d.length;
        if (got < body.length) return; // an echo can come back in pieces
        got -= body.length;
        if (++n < rounds) return void c.write(body);
        const used = process.cpuUsage(cpu);
        resolve({ cpuUs: (used.user + used.system) / rounds, wallUs: ((performance.now() - t0) * 1000) / rounds });
        c.destroy();
      });
      c.write(body);
    });
  } finally {
    server.kill();
  }
}
