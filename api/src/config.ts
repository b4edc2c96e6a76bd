import { parseEnv, port, serviceEnv } from '@paredao/core';
import { z } from 'zod';

const schema = z.object({
  ...serviceEnv,
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: port(3000),
  API_WORKERS: z.coerce.number().int().min(1).max(64).default(2),
  /** The first paredão, taken into an empty store at start (afterwards the production team uses admin.html). */
  PAREDAO_FILE: z.string().default('config/paredao.json'),
  ADMIN_USER: z.string().min(1).max(64).default('admin'),
  /** scrypt hash from `node scripts/hash-password.mjs`; unset = administration disabled. */
  ADMIN_PASSWORD_HASH: z.string().regex(/^scrypt:\d+:\d+:\d+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/, 'run node scripts/hash-password.mjs PASSWORD').optional(),
  ADMIN_SESSION_HOURS: z.coerce.number().min(0.01).max(168).default(8),
  /** Votes accepted this long after "close" still count: every instance learns of the close within a refresh. */
  CLOSE_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  ANTIBOT_SECRET: z.string().min(32, 'must be at least 32 characters (run ./preflight.sh to generate one)'),
  /** Thousands of hash attempts a voter's browser makes on average per vote; 1 is the minimum. */
  ANTIBOT_DIFFICULTY: z.coerce.number().int().min(1).max(100_000).default(50),
  ANTIBOT_EXPIRY_SECONDS: z.coerce.number().int().min(10).max(3600).default(120),
  RATE_LIMIT_PER_IP: z.coerce.number().int().min(0).default(1200),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(1),
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  RESULTS_REFRESH_MS: z.coerce.number().int().min(100).default(1000),
  /** On SIGTERM, how long to keep serving with `Connection: close` before closing the server. */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).default(1000),
});

export type ApiConfig = z.infer<typeof schema>;

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseEnv(schema, env);
}
