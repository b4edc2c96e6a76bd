import { z } from 'zod';

/** Thrown when a service's environment does not validate; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Validates `env` against a zod object schema whose keys are the variable names. Each service calls this
 * once in its config module; nothing else reads process.env, so every setting is validated and documented.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  // Empty strings mean "unset", as in a .env file with `KEY=`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Booleans from the environment: 1/0, true/false, yes/no. */
export const flag = (fallback: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === '1' || v === 'true' || v === 'yes');

export const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info');

/** `AMQP_URL`: one amqp:// or amqps:// URL, or several separated by commas (one per cluster node). */
export const amqpUrls = z
  .string()
  .transform((s) => s.split(',').map((u) => u.trim()).filter((u) => u !== ''))
  .pipe(z.array(z.string().url().regex(/^amqps?:\/\//, 'must start with amqp:// or amqps://')).min(1, 'at least one URL'));

/**
 * The settings api and consumer share, with one definition: spread into each service's own schema.
 * (Both must agree on the store, the broker and the queue, and log the same way.)
 */
export const serviceEnv = {
  STORE_URL: z.string().default('sqlite:data/paredao.db').describe('Where votes and tallies live: `sqlite:<path>` or `mongodb://…` (MongoDB needs a replica set)'),
  AMQP_URL: amqpUrls
    .default(['amqp://guest:guest@127.0.0.1:5672'])
    .describe('RabbitMQ: one URL, or every cluster node\'s URL separated by commas (api and consumer use any reachable one and move on when it goes)'),
  QUEUE_NAME: z.string().regex(/^[\w.-]{1,200}$/).default('votes').describe('The vote queue; dead letters go to `<name>.dead`'),
  AMQP_DECLARE_TOPOLOGY: flag(true).describe(
    "Declare the vote queues at start (needs RabbitMQ's configure permission); false = only check that they exist, for a broker whose definitions declare them (compose: users without configure, docs/SECURITY.md)",
  ),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000).describe('On SIGTERM, the longest a graceful stop may take before the process exits anyway'),
  LOG_LEVEL: logLevel.describe('pino level: trace, debug, info, warn, error, fatal, silent'),
  LOG_PRETTY: flag(false).describe('Readable log lines instead of JSON on stdout (./run.sh prettifies by itself)'),
  GELF_URL: z
    .string()
    .regex(/^(udp|tcp):\/\/[^:/]+:\d+(\?.*)?$/, 'udp://host:port or tcp://host:port')
    .optional()
    .describe('Also ship logs to Graylog as GELF: `udp://host:port` or `tcp://host:port`; unset = stdout only'),
};

/**
 * Hides the password of a URL (amqp://user:***@host) for log lines and config summaries; a
 * comma-separated list of URLs (AMQP_URL of a cluster) has each one's password hidden.
 */
export function redactUrl(url: string): string {
  const list = url.split(/,(?=\s*[a-z][a-z0-9+.-]*:\/\/)/i);
  if (list.length > 1) return list.map((u) => redactUrl(u.trim())).join(',');
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}
