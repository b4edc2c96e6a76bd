/**
 * What the load generator's transport costs the generator itself: the same open-loop schedule driven
 * through undici's Pool (load.ts before http-client.ts) and through testkit/src/http-client.ts,
 * against a trivial node:http server in a child process (so its CPU is not the generator's), or
 * against --url. Reports the generator's CPU per request (process.cpuUsage) and p50/p99 from the
 * scheduled instant. This comparison is why undici stays a root devDependency (with
 * scripts/compose-smoke.ts's TLS fetch): every load the kit sends goes through http-client.ts.
 *
 *   npx tsx bench/load-client.ts [--rates=3000,5000] [--sec=10] [--rounds=3] [--connections=256] [--only=undici|http] [--url=http://127.0.0.1:8080/api/votes]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Pool } from 'undici';
import { HttpClient } from '@paredao/testkit/http-client';
import { parseArgs } from 'node:util';
import { summarize } from '@paredao/testkit/load';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    rates: { type: 'string', default: '3000,5000' },
    sec: { type: 'string', default: '10' },
    connections: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '3' },
    url: { type: 'string' },
  },
  strict: true,
});
const only = args.only;
const rates = args.rates.split(',').map(Number);
const durationSec = Number(args.sec);
const connections = Number(args.connections);
const rounds = Number(args.rounds);

// A vote-sized body (~700 bytes, like a presolved ALTCHA payload) and a 202 like the api's.
const proof = Buffer.alloc(520, 'x').toString('base64').slice(0, 680);
const serverCode = `
const http = require('node:http');
let n = 0;
const s = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    res.writeHead(202, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ voteId: 'v' + (n++), next: 'y'.repeat(300) }));
  });
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
`;

type Send = (body: string, done: (ok: boolean, status: number, text: string) => void) => void;

interface Transport {
  send: Send;
  close(): Promise<void>;
}

function undiciTransport(url: URL): Transport {
  const pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const headers = { 'content-type': 'application/json' };
  const path = url.pathname;
  return {
    // As load.ts did: request, then the body as text.
    send: (body, done) =>
      void pool
        .request({ origin: url.origin, path, method: 'POST', headers, body })
        .then(async (res) => ({ status: res.statusCode, text: await res.body.text() }))
        .then(
          ({ status, text }) => done(true, status, text),
          () => done(false, 0, ''),
        ),
    close: () => pool.close(),
  };
}

function leanTransport(url: URL): Transport {
  const client = new HttpClient(url.origin, { connections });
  const path = url.pathname;
  return {
    send: (body, done) => client.request('POST', path, body, (err, status, res) => done(!err, status, err ? '' : res.toString())),
    close: () => client.close(),
  };
}

/** The open loop of load.ts, transport aside. */
async function drive(t: Transport, rate: number, sec: number) {
  const total = Math.round(rate * sec);
  const latencies = new Float64Array(total);
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let accepted = 0;
  let next = 0;
  const intervalMs = 1000 / rate;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - t0) / intervalMs) + 1);
      for (; next < due; next++) {
        const scheduledAt = t0 + next * intervalMs;
        const body = JSON.stringify({ candidateId: 'participante-1', altcha: proof });
        sent++;
        t.send(body, (ok, status, text) => {
          if (!ok) return void errors++;
          if (status === 202 && (JSON.parse(text) as { voteId?: string }).voteId) accepted++;
          latencies[completed++] = performance.now() - scheduledAt;
        });
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, Math.min(t0 + next * intervalMs - performance.now(), 1)));
    };
    tick();
  });
  while (completed + errors < sent) await new Promise((r) => setTimeout(r, 5));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const lat = summarize(latencies.subarray(0, completed));
  return { sent, completed, errors, accepted, userUsPerReq: cpu.user / sent, cpuUsPerReq: (cpu.user + cpu.system) / sent, cores: (cpu.user + cpu.system) / 1000 / wallMs, p50: lat.p50, p99: lat.p99 };
}

let server: ReturnType<typeof spawn> | null = null;
let url: URL;
if (args.url) url = new URL(args.url);
else {
  server = spawn(process.execPath, ['-e', serverCode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(server.stdout!, 'data')) as [Buffer];
  url = new URL(`http://127.0.0.1:${line.toString().trim()}/api/votes`);
}

try {
  const transports = ([['undici Pool', undiciTransport], ['http-client.ts', leanTransport]] as const).filter(([name]) => !only || name.startsWith(only));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`${durationSec} s per run, ${rounds} rounds (transports alternate), ${connections} connections; medians over rounds, the range in brackets`);
  console.log('');
  console.log(`| transport | req/s | errors | generator CPU µs/req | of which user | p50 ms | p99 ms |`);
  console.log(`|---|---:|---:|---:|---:|---:|---:|`);
  for (const rate of rates) {
    const runs = new Map<string, Awaited<ReturnType<typeof drive>>[]>(transports.map(([name]) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, make] of transports) {
        const t = make(url);
        await drive(t, 1000, 2); // warm-up, not reported: JIT and connections
        const r = await drive(t, rate, durationSec);
        await t.close();
        if (r.accepted !== r.completed) throw new Error(`${name}: ${r.completed - r.accepted} answers without a voteId`);
        runs.get(name)!.push(r);
      }
    }
    for (const [name, rs] of runs) {
      const cpu = rs.map((r) => r.cpuUsPerReq);
      const range = rs.length > 1 ? ` [${Math.min(...cpu).toFixed(1)}–${Math.max(...cpu).toFixed(1)}]` : '';
      const errs = rs.reduce((s, r) => s + r.errors, 0);
      console.log(`| ${name} | ${rate} | ${errs} | ${median(cpu).toFixed(1)}${range} | ${median(rs.map((r) => r.userUsPerReq)).toFixed(1)} | ${median(rs.map((r) => r.p50)).toFixed(1)} | ${median(rs.map((r) => r.p99)).toFixed(1)} |`);
    }
  }
} finally {
  server?.kill();
}
