// The one logger factory for api and consumer (docs/LOGGING.md): JSON on stdout, secrets redacted,
// and, when GELF_URL is set, every record also shipped to Graylog from pino's worker thread.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino, type Logger, type LoggerOptions, type TransportTargetOptions } from 'pino';
import type { GelfTransportOptions } from './gelf-transport.js';
import { redactUrl } from '../env.js';
import { parseGelfUrl } from './gelf.js';

export type ServiceName = 'api' | 'consumer';

export interface CreateLoggerOptions {
  service: ServiceName;
  level: string;
  /** `udp://host:port` or `tcp://host:port`; unset = stdout only. */
  gelfUrl?: string;
  /** Human-readable output, only when stdout is a TTY and pino-pretty is installed. */
  pretty?: boolean;
  /** How long closing the logger waits for Graylog to take the backlog. */
  gelfFlushTimeoutMs?: number;
  /** Where the JSON lines go: a file descriptor or a path. Default stdout. */
  destination?: number | string;
}

/** The worker-thread stream behind a logger, when it has one; closeLogger ends it. */
const transports = new WeakMap<Logger, ReturnType<typeof pino.transport>>();

export const REDACTED = '[Redacted]';

/**
 * Fields whose value is a connection URL: only the password part is hidden. Both spellings, because
 * a service may log its parsed config object (env names) as well as its own camelCase fields.
 */
const URL_FIELDS = new Set(['amqpUrl', 'storeUrl', 'mongoUrl', 'gelfUrl', 'AMQP_URL', 'STORE_URL', 'MONGO_URL', 'GELF_URL']);

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'antibotSecret',
  '*.antibotSecret',
  'ANTIBOT_SECRET',
  '*.ANTIBOT_SECRET',
  'ADMIN_SESSION_SECRET',
  '*.ADMIN_SESSION_SECRET',
  'CPF_HMAC_SECRET',
  '*.CPF_HMAC_SECRET',
  // No code logs a CPF; should one ever be passed to a log call, it leaves as [Redacted].
  'cpf',
  '*.cpf',
  'req.body.cpf',
  ...[...URL_FIELDS].flatMap((field) => [field, `*.${field}`]),
];

function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1] ?? '';
  if (URL_FIELDS.has(key) && typeof value === 'string') return redactUrl(value);
  return REDACTED;
}

/**
 * Where pino's worker finds the GELF transport. Compiled (`core/dist/log/logger.js`, how services
 * run): the sibling `gelf-transport.js`. From TypeScript sources (vitest, tsx): the sibling `.ts`,
 * with the worker started under tsx's loader, because a worker thread does not inherit vitest's
 * transform and Node 20 cannot run TypeScript by itself.
 */
export function gelfTransportTarget(): { target: string; execArgv?: string[] } {
  const here = dirname(fileURLToPath(import.meta.url));
  const compiled = join(here, 'gelf-transport.js');
  if (existsSync(compiled)) return { target: compiled };
  const source = join(here, 'gelf-transport.ts');
  // tsx is a root devDependency: present wherever the sources are, absent from production images.
  const tsxLoader = createRequire(import.meta.url).resolve('tsx');
  return { target: source, execArgv: ['--import', pathToFileURL(tsxLoader).href] };
}

function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export function createLogger(opts: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    level: opts.level,
    base: { service: opts.service, hostname: os.hostname(), pid: process.pid },
    redact: { paths: REDACT_PATHS, censor },
  };
  const destination = opts.destination ?? 1;
  const pretty = opts.pretty === true && destination === 1 && process.stdout.isTTY === true && prettyAvailable();
  const stdout: TransportTargetOptions = pretty
    ? { target: 'pino-pretty', options: { destination }, level: opts.level }
    : { target: 'pino/file', options: { destination }, level: opts.level };

  if (!opts.gelfUrl) {
    if (!pretty) return pino(options, pino.destination({ dest: destination, sync: true }));
    const transport = pino.transport({ targets: [stdout] });
    reportTransportErrors(transport);
    const log = pino(options, transport);
    transports.set(log, transport);
    return log;
  }

  // Fail at start, in the main thread, with a message naming GELF_URL, not later in the worker.
  parseGelfUrl(opts.gelfUrl);
  const { target, execArgv } = gelfTransportTarget();
  const gelfOptions: GelfTransportOptions = { url: opts.gelfUrl, flushTimeoutMs: opts.gelfFlushTimeoutMs ?? 5_000 };
  const transport = pino.transport({
    targets: [stdout, { target, options: gelfOptions, level: opts.level }],
    ...(execArgv ? { worker: { execArgv } } : {}),
  });
  reportTransportErrors(transport);
  const log = pino(options, transport);
  transports.set(log, transport);
  return log;
}

/** A dead logging worker must not take the service down with an unhandled 'error' event. */
function reportTransportErrors(transport: ReturnType<typeof pino.transport>): void {
  let reported = false;
  transport.on('error', (err: Error) => {
    if (reported) return;
    reported = true;
    process.stderr.write(`${JSON.stringify({ level: 50, time: Date.now(), msg: 'log transport failed; logs are being lost', err: { message: err.message, stack: err.stack } })}\n`);
  });
}

/**
 * Flushes and, for a logger with a worker thread, ends it: resolves once the GELF backlog has been
 * sent (or the flush timeout passed) and the worker has exited. Call it last in graceful shutdown.
 */
export async function closeLogger(log: Logger): Promise<void> {
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  const transport = transports.get(log);
  if (!transport) return;
  transports.delete(log);
  const stream = transport as typeof transport & { closed?: boolean };
  if (stream.closed) return;
  await new Promise<void>((resolve) => {
    transport.once('close', () => resolve());
    // A worker that already died never emits 'close'.
    transport.once('error', () => resolve());
    transport.end();
  });
}
