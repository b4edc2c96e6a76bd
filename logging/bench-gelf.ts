// How much does shipping logs to Graylog cost the service? Logs N records with createLogger, JSON to
// /dev/null, first without GELF, then with GELF over TCP to a listener in a child process (so the
// listener does not compete with the logger for this thread), and prints records/s for each.
// Run: npx tsx logging/bench-gelf.ts [records=100000]   (numbers for docs/BENCHMARKS.md)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { closeLogger, createLogger } from '@paredao/core/log/logger';

const records = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(records) || records < 1) throw new Error('usage: bench-gelf.ts [records]');

const LISTENER = `
const net = require('node:net');
let count = 0;
const server = net.createServer((socket) => socket.on('data', (data) => {
  for (const byte of data) if (byte === 0) count++;
  if (count >= ${records}) { process.stdout.write('done\\n'); }
}));
server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'));
process.on('message', () => process.exit(0));
`;

function line(record: number) {
  return { reqId: `req-${record}`, voteId: `vote-${record}`, candidateId: 'ana', paredaoId: 'bbb26-p1' };
}

async function run(label: string, gelfUrl: string | undefined, delivered?: Promise<void>) {
  const log = createLogger({ service: 'api', level: 'info', destination: '/dev/null', ...(gelfUrl ? { gelfUrl } : {}) });
  // Let the worker thread start before timing.
  log.info('warm-up');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const start = performance.now();
  for (let record = 0; record < records; record++) log.info(line(record), 'vote accepted');
  const logged = performance.now() - start;
  await delivered;
  const shipped = performance.now() - start;
  await closeLogger(log);
  const rate = (ms: number) => Math.round(records / (ms / 1000)).toLocaleString('en-US');
  console.log(`${label.padEnd(22)} log calls: ${rate(logged)} records/s` + (delivered ? `   delivered to listener: ${rate(shipped)} records/s` : ''));
}

await run('stdout only (no GELF)', undefined);

const listener = spawn(process.execPath, ['-e', LISTENER], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const listenerOut = listener.stdout;
if (!listenerOut) throw new Error('listener has no stdout');
listenerOut.setEncoding('utf8');
let output = '';
const port = await new Promise<number>((resolve) => {
  listenerOut.on('data', (chunk: string) => {
    output += chunk;
    const match = /port (\d+)/.exec(output);
    if (match) resolve(Number(match[1]));
  });
});
const delivered = new Promise<void>((resolve) => listenerOut.on('data', () => output.includes('done') && resolve()));
await run('stdout + GELF TCP', `tcp://127.0.0.1:${port}?buffer=${Math.max(records * 2, 20_000)}`, delivered);
listener.send('stop');
await once(listener, 'exit');
