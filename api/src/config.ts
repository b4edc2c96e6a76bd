import { parseEnv, port, serviceEnv } from '@paredao/core';
import { z } from 'zod';
import { parseStoredHash } from './password-hash.js';

/**
 * The api's settings. Each `.describe()` is the documentation: the README's settings table and
 * .env.example are generated from it (`npm run gen:settings`), so a new key needs a description.
 */
export const apiEnv = z.object({
  ...serviceEnv,
  API_HOST: z.string().default('127.0.0.1').describe('Address the api listens on'),
  API_PORT: port(3000).describe('api HTTP port (the site goes through nginx; `/metrics`, `/readyz` here)'),
  API_SOCKET: z
    .string()
    .regex(/^\//, 'an absolute path')
    .max(100, 'at most 100 characters (the limit of a Unix socket path is 108 bytes)')
    .optional()
    .describe('Unix socket the api also listens on, for an nginx on the same machine (./run.sh sets run/…/api.sock; proxy/render-local.sh points nginx there); unset = TCP only'),
  API_WORKERS: z.coerce.number().int().min(1).max(64).default(2).describe('api processes (Node cluster) sharing the port'),
  PAREDAO_FILE: z
    .string()
    .default('config/paredao.json')
    .describe('The first paredão, taken into an empty store at start (afterwards the production team uses admin.html)'),
  ADMIN_USER: z.string().min(1).max(64).default('admin').describe('Login name of the production team (admin.html, painel.html)'),
  ADMIN_PASSWORD_HASH: z
    .string()
    .superRefine((v, ctx) => {
      const parsed = parseStoredHash(v);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    })
    .optional()
    .describe('scrypt hash of the production team password (`node scripts/hash-password.mjs`, which prompts); unset = administration off'),
  ADMIN_SESSION_HOURS: z.coerce.number().min(0.01).max(168).default(8).describe('Lifetime of an admin login session, in hours'),
  ADMIN_SESSION_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (scripts/gen-env.sh generates one)')
    .describe("HMAC key that signs the production team's session cookies (at least 32 characters; its own secret, not ANTIBOT_SECRET's), shared by every api process; changing it logs everyone out"),
  CLOSE_GRACE_MS: z
    .coerce.number()
    .int()
    .min(0)
    .max(60_000)
    // Every api process learns of a close within one refresh, so a vote accepted just after it still counts.
    .default(2000)
    .describe('Votes accepted up to this long after "close" still count'),
  ANTIBOT_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (run ./preflight.sh to generate one)')
    .describe('HMAC key that signs anti-bot challenges (at least 32 characters), shared by every api process'),
  ANTIBOT_DIFFICULTY: z
    .coerce.number()
    .int()
    .min(1)
    .max(100_000)
    .default(50)
    .describe("Thousands of hash attempts a voter's browser makes per vote, on average; 1 is the minimum (load tests)"),
  ANTIBOT_EXPIRY_SECONDS: z.coerce.number().int().min(10).max(3600).default(120).describe('Lifetime of an anti-bot challenge, in seconds'),
  RATE_LIMIT_PER_IP: z.coerce.number().int().min(0).default(1200).describe('Votes per minute per client IP, at nginx and in the api; 0 turns limits off'),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(1).describe('Proxies in front of the api whose `X-Forwarded-For` is trusted'),
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000).describe('Longest wait for the broker to confirm a vote before answering 503'),
  // Group commit (docs/ARCHITECTURE.md, the vote message): one publish, confirm, delivery and ack for many votes.
  PUBLISH_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(500).describe('Group commit: at most this many votes per message to the broker'),
  PUBLISH_BATCH_MAX_BYTES: z
    .coerce.number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(256 * 1024)
    .describe('Group commit: about this many bytes at most per message to the broker'),
  PUBLISH_BATCH_WAIT_MS: z
    .coerce.number()
    .int()
    .min(0)
    .max(1000)
    .default(5)
    .describe("Group commit: the longest a vote waits for the previous message's confirm before going out without it"),
  RESULTS_REFRESH_MS: z.coerce.number().int().min(100).default(1000).describe('How often each api process re-reads the paredões, the results and the applied vote ids from the store'),
  RESULTS_STREAM_MAX: z
    .coerce.number()
    .int()
    .min(0)
    .default(4000)
    .describe('Live results streams (SSE) one api process holds at most; past it the page polls `/api/results` instead'),
  SHUTDOWN_DRAIN_MS: z
    .coerce.number()
    .int()
    .min(0)
    .default(1000)
    .describe('On SIGTERM, how long to keep serving with `Connection: close` before closing the server'),
});

export type ApiConfig = z.infer<typeof apiEnv>;

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseEnv(apiEnv, env);
}
