import { isIP } from 'node:net';
import { parseEnv, port, serviceEnv } from '@paredao/core';
import { z } from 'zod';
import { parseStoredHash } from '../admin/password-hash.js';

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
  API_WORKERS: z
    .coerce.number()
    .int()
    .min(1)
    .max(64)
    // One process on a small host: beside nginx, RabbitMQ and the consumer on 2 cores, one api process
    // carried 5000 votes/s on about two thirds of a core and cost the stack about a third less CPU per vote
    // at 1000/s than two workers and their primary, at a lower p99 (bench/results/api-workers-ab-2026-12-05.md).
    .default(1)
    .describe(
      'api processes on this host: 1 = one process, no cluster; more = a Node cluster sharing the port, whose primary restarts a crashed worker and arbitrates proof claims and rate-limit counts for the host (worth it with cores to spare for the api)',
    ),
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
  CPF_HMAC_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (scripts/gen-env.sh generates one)')
    .describe('HMAC key under which Voto Único stores CPFs (at least 32 characters), shared by every api process; never change it once accounts exist: every CPF could register again'),
  CPF_VERIFIER_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'an http:// or https:// URL')
    .optional()
    .describe('The CPF provider the api asks at sign-up (docs/CPF-VERIFIER.md); unset = check digits only, which proves nothing about identity'),
  CPF_VERIFIER_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(3000).describe('Longest wait for the CPF provider before a sign-up gets 503'),
  VOTER_SESSION_HOURS: z.coerce.number().min(0.01).max(24 * 90).default(168).describe('Lifetime of a Voto Único sign-in, in hours'),
  VOTER_SIGNUPS_PER_IP: z.coerce.number().int().min(0).default(10).describe('Voto Único sign-ups started per hour per client IP (each may cost a call to the CPF provider); 0 turns the limit off'),
  VOTER_LOGINS_PER_IP: z.coerce.number().int().min(0).default(30).describe('Voto Único passkey ceremonies per minute per client IP; 0 turns the limit off'),
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
  PROOF_CLAIMS: z
    .enum(['host', 'store'])
    .default('host')
    .describe('Where a proof is claimed once: host (the cluster primary of one api host) or store (also a unique key in the store, for api replicas or hosts that share no primary; docs/ANTIBOT.md)'),
  RATE_LIMIT_PER_IP: z.coerce.number().int().min(0).default(1200).describe('Votes per minute per client IP, at nginx and in the api; 0 turns limits off'),
  TRUSTED_PROXIES: z
    .string()
    .default('loopback,unix')
    .transform((s) => s.split(/[\s,]+/).filter((e) => e !== ''))
    .superRefine((list, ctx) => {
      for (const e of list) {
        const error = trustedProxyEntryError(e);
        if (error) ctx.addIssue({ code: 'custom', message: error });
      }
    })
    .describe(
      "The proxies (nginx) whose `X-Forwarded-For`, `-Proto` and `-Host` the api believes, comma- or space-separated: addresses, CIDRs, `loopback` (127.0.0.0/8, ::1), `unix` (the API_SOCKET peer); anyone else is the client itself. Compose: the proxy's fixed address",
    ),
  PUBLIC_ORIGINS: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      const list = s.split(/[\s,]+/).filter((e) => e !== '');
      const origins: string[] = [];
      for (const o of list) {
        const origin = originOf(o);
        if (origin) origins.push(origin);
        else ctx.addIssue({ code: 'custom', message: `'${o}' is not an origin (scheme://host[:port], nothing after)` });
      }
      if (origins.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one origin' });
      return origins;
    })
    .describe(
      'The site as browsers reach it, `scheme://host[:port]`, comma-separated: nginx serves only these host names (any other `Host` gets 421) and the api takes admin changes only from these origins; unset = `localhost` and `127.0.0.1` on `HTTP_PORT` (http) and `HTTPS_PORT` (https)',
    ),
  HTTP_PORT: z.coerce.number().int().default(8080).describe('Port of the site and `/api` (nginx); in compose the only port published beyond the host'),
  HTTPS_PORT: z.coerce.number().int().default(8443).describe('Port of the site over HTTPS when TLS is on (compose publishes it; the local run serves it on 127.0.0.1)'),
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
  PUBLISH_LINGER_MS: z
    .coerce.number()
    .int()
    .min(0)
    .max(20)
    // 8 ms: at 1000 votes/s about 5 votes per message instead of 1.6, a third less CPU per vote for a
    // few ms more latency, and fewer messages at 5000/s too (bench/results/lowrate-ab-2026-12-05.md).
    .default(8)
    .describe(
      "Group commit at an ordinary rate: the least time the first vote of a message waits for others to share it, also when the previous message's confirm comes back sooner (0: until the end of the event-loop turn, or that confirm). Under load the confirm wait is the longer and this adds nothing; at an ordinary rate it spaces the messages, and fewer, larger messages cost the broker and the consumer less. In a cluster worker the wait comes before the proof claim, so the votes of one message share one claim round trip to the primary. Each vote waits up to this much longer",
    ),
  // Admission control (api/src/votes/admission.ts): past the bound a vote gets a fast 503 `overloaded`.
  VOTE_MAX_IN_FLIGHT: z
    .coerce.number()
    .int()
    .min(0)
    .max(100_000)
    // About the measured ceiling of one host (docs/BENCHMARKS.md: 3500 votes/s) times 75 ms, now that one
    // process (API_WORKERS=1) carries all of it: an accepted vote then waits well under the 250 ms
    // objective at p99. Above nginx's own bound (NGINX_VOTES_IN_FLIGHT, 192), so on one machine the cheap
    // refusal at the edge comes first. At 128, one process refused votes whose confirms were slow at
    // 2250 votes/s with its event loop idle (bench/results/api-workers-ab-2026-12-05.md).
    .default(256)
    .describe(
      'Admission control: votes one api process handles at once at most (arrived, not yet answered); past it a vote is refused at once with 503 `overloaded` and `Retry-After`. Caps the wait of an accepted vote at about this ÷ the process\'s votes per second; 0 refuses every vote',
    ),
  VOTE_MAX_LOOP_DELAY_MS: z
    .coerce.number()
    .int()
    .min(0)
    .max(10_000)
    // Under the p99 objective of an accepted vote under overload (250 ms), leaving room for the wait in
    // nginx and the broker's confirm; above what a busy but healthy process shows. 40 ms refused votes
    // the stack could take: A/B on 2 cores at 4000 and 5000 votes/s, same run, quiet machine
    // (bench/results/loopdelay-ab-2026-12-05-{off,40}.json): off, 11 and 1045 refused (in-flight bound)
    // with p99 53 and 64 ms; at 40, 288 and 2534 refused with p99 58 and 90 ms. bench/overload.ts
    // shows how 100 fares past the ceiling.
    .default(100)
    .describe(
      "Admission control by event-loop delay: past this mean delay (over 100 ms) an api process refuses a growing share of votes with 503 `overloaded`, all of them at twice it, once an eighth of VOTE_MAX_IN_FLIGHT is in flight. Sees what VOTE_MAX_IN_FLIGHT cannot: votes waiting in the kernel for a CPU-starved process to read them; 0 turns it off",
    ),
  VOTE_RETRY_AFTER_SECONDS: z
    .coerce.number()
    .int()
    .min(1)
    .max(60)
    .default(2)
    .describe('Retry-After of an `overloaded` refusal: this many seconds plus a random 0 to this many more, so refused voters come back spread out'),
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

/** `https://Example.com:443/` → `https://example.com`, as a browser serialises an `Origin`; null if it is more than an origin. */
export function originOf(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) return null;
  // Only a host name or an address, and a port: nginx gets the same names (proxy/15-rate-limit.envsh).
  if (!/^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?\/?$/i.test(text)) return null;
  return url.origin;
}

/**
 * The origins admin changes may come from (PUBLIC_ORIGINS), and nginx's server names: by default the
 * local run's, which proxy/15-rate-limit.envsh derives the same way.
 */
export function publicOrigins(cfg: Pick<ApiConfig, 'PUBLIC_ORIGINS' | 'HTTP_PORT' | 'HTTPS_PORT'>): string[] {
  if (cfg.PUBLIC_ORIGINS) return cfg.PUBLIC_ORIGINS;
  return ['localhost', '127.0.0.1'].flatMap((host) => [`http://${host}:${cfg.HTTP_PORT}`, `https://${host}:${cfg.HTTPS_PORT}`]).map((o) => originOf(o)!);
}

/** TRUSTED_PROXIES keywords besides addresses and CIDRs (api/src/platform/trusted-proxies.ts). */
export const TRUSTED_PROXY_KEYWORDS = ['loopback', 'unix'] as const;

/** Why `entry` is not a valid TRUSTED_PROXIES entry, or null when it is. */
export function trustedProxyEntryError(entry: string): string | null {
  if ((TRUSTED_PROXY_KEYWORDS as readonly string[]).includes(entry)) return null;
  const [addr, bits, extra] = entry.split('/');
  const family = isIP(addr ?? '');
  if (!family || extra !== undefined) return `'${entry}' is not an address, a CIDR, loopback or unix`;
  if (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))) return `'${entry}' has a bad prefix length`;
  return null;
}
