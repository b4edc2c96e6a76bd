#!/usr/bin/env node
// The local run's supervisor (./run.sh): starts each service, writes its raw output to
// <run dir>/<name>.log, prints readable lines to the terminal, restarts a crashed service with backoff,
// and on Ctrl-C / SIGTERM stops them in reverse order (proxy first, consumer last), each with a deadline.
//
// usage: supervise.mjs --run-dir DIR --service NAME -- CMD ARGS... [--service NAME -- CMD ...]
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { prettyFactory } from 'pino-pretty';
// The project's one backoff formula; ./run.sh builds the packages before it starts this.
import { backoffDelay } from '@paredao/contract/backoff';

const STOP_DEADLINE_MS = 15_000;
const args = process.argv.slice(2);
let runDir = 'run';
const services = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--run-dir') runDir = args[++i];
  else if (args[i] === '--service') {
    const name = args[++i];
    if (args[++i] !== '--') throw new Error(`expected -- after --service ${name}`);
    const cmd = [];
    while (i + 1 < args.length && args[i + 1] !== '--service') cmd.push(args[++i]);
    services.push({ name, cmd, child: null, restarts: 0, startedAt: 0 });
  }
}
if (services.length === 0) {
  console.error('usage: supervise.mjs --run-dir DIR --service NAME -- CMD ... [--service ...]');
  process.exit(2);
}
mkdirSync(runDir, { recursive: true });

const pretty = prettyFactory({ colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
const width = Math.max(...services.map((s) => s.name.length));
let stopping = false;

function say(name, line) {
  const tag = name.padEnd(width);
  let text = line;
  if (line.startsWith('{')) {
    try {
      text = pretty(JSON.parse(line)).trimEnd();
    } catch {
      // not JSON after all: print as is
    }
  }
  process.stdout.write(`${tag} | ${text}\n`);
}

function start(svc) {
  const log = createWriteStream(join(runDir, `${svc.name}.log`), { flags: 'a' });
  const child = spawn(svc.cmd[0], svc.cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  svc.child = child;
  svc.startedAt = Date.now();
  for (const stream of [child.stdout, child.stderr]) {
    stream.pipe(log, { end: false });
    createInterface({ input: stream }).on('line', (line) => say(svc.name, line));
  }
  child.on('error', (err) => say('run', `${svc.name} could not start: ${err.message}`));
  child.on('exit', (code, signal) => {
    svc.child = null;
    log.end();
    if (stopping) return;
    // A service that ran for a minute has earned a fresh backoff.
    if (Date.now() - svc.startedAt > 60_000) svc.restarts = 0;
    const delay = backoffDelay(svc.restarts++, 500, 30_000);
    say('run', `${svc.name} exited (code ${code}, signal ${signal}); restarting in ${delay} ms`);
    setTimeout(() => !stopping && start(svc), delay);
  });
}

async function stopAll(signal) {
  if (stopping) return;
  stopping = true;
  say('run', `${signal}: stopping ${services.map((s) => s.name).reverse().join(', ')}`);
  for (const svc of [...services].reverse()) {
    const child = svc.child;
    if (!child) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      say('run', `${svc.name} did not stop within ${STOP_DEADLINE_MS} ms; killing`);
      child.kill('SIGKILL');
    }, STOP_DEADLINE_MS);
    await exited;
    clearTimeout(timer);
  }
  say('run', 'everything stopped');
  process.exit(0);
}

process.on('SIGINT', () => void stopAll('SIGINT'));
process.on('SIGTERM', () => void stopAll('SIGTERM'));
for (const svc of services) start(svc);
