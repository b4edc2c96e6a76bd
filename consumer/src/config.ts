import { parseEnv, port, serviceEnv, watermarkSlackMs } from '@paredao/core';
import { z } from 'zod';

/**
 * The consumer's settings. Each `.describe()` is the documentation: the README's settings table and
 * .env.example are generated from it (`npm run gen:settings`), so a new key needs a description.
 */
export const consumerEnv = z.object({
  ...serviceEnv,
  CONSUMER_HOST: z.string().default('127.0.0.1').describe('Address the consumer listens on'),
  CONSUMER_PORT: port(3001).describe('consumer HTTP port (`/metrics`, `/readyz`)'),
  PREFETCH: z
    .coerce.number()
    .int()
    .min(1)
    .max(65535)
    // About two batches, so one fills while the other commits.
    .default(1000)
    .describe('Unacknowledged votes the broker may push to the consumer'),
  BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(500).describe('Votes applied in one atomic write, at most (not above `PREFETCH`)'),
  BATCH_MAX_WAIT_MS: z.coerce.number().int().min(1).max(10_000).default(50).describe('Longest wait to fill a batch before writing it'),
  DEDUP_PROOF_EXPIRY_SECONDS: z
    .coerce.number()
    .int()
    .min(10)
    .max(3600)
    .default(120)
    .describe("Dedup window: the api's anti-bot proof lifetime (`ANTIBOT_EXPIRY_SECONDS`), or more; a voter's retry comes at most this long after the first copy"),
  DEDUP_RESEND_MS: z
    .coerce.number()
    .int()
    .min(0)
    .max(600_000)
    .default(10_000)
    .describe("Dedup window: longest time from a vote's acceptance to its last publish, at least twice the api's `PUBLISH_TIMEOUT_MS`"),
  DEDUP_MARGIN_MS: z
    .coerce.number()
    .int()
    .min(0)
    .max(86_400_000)
    .default(60_000)
    .describe('Dedup window: added safety, at least twice the largest clock difference between api hosts'),
  PRUNE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000).describe('How often the consumer drops applied vote ids below its low watermark (the ids stay in the archive)'),
  CONSUMER_SLOT: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional()
    .describe('Name of this consumer among several on one queue (each its own, kept across restarts); unset with one consumer per queue'),
  UNICO_SWEEP_AFTER_MS: z
    .coerce.number()
    .int()
    .min(100)
    .max(3_600_000)
    // Well past the api's publish timeout, so the sweeper rarely meets a vote still on its way.
    .default(30_000)
    .describe('A Voto Único claim not counted this long after its acceptance is counted by the sweeper from the claim itself (docs/decisions/0005-voto-unico.md)'),
  UNICO_SWEEP_EVERY_MS: z.coerce.number().int().min(100).max(600_000).default(5_000).describe('How often the sweeper looks for uncounted Voto Único claims'),
});

export type ConsumerConfig = z.infer<typeof consumerEnv>;

export function loadConsumerConfig(env: NodeJS.ProcessEnv = process.env): ConsumerConfig {
  const cfg = parseEnv(consumerEnv, env);
  if (cfg.BATCH_MAX > cfg.PREFETCH) throw new Error(`BATCH_MAX (${cfg.BATCH_MAX}) must not exceed PREFETCH (${cfg.PREFETCH})`);
  return cfg;
}

/** The consumer's prune settings: its key among the store's marks and the watermark's slack. */
export function pruneSettings(cfg: ConsumerConfig): { key: string; slackMs: number; intervalMs: number } {
  return {
    key: cfg.CONSUMER_SLOT ? `${cfg.QUEUE_NAME}/${cfg.CONSUMER_SLOT}` : cfg.QUEUE_NAME,
    slackMs: watermarkSlackMs({ proofExpirySeconds: cfg.DEDUP_PROOF_EXPIRY_SECONDS, resendMs: cfg.DEDUP_RESEND_MS, marginMs: cfg.DEDUP_MARGIN_MS }),
    intervalMs: cfg.PRUNE_INTERVAL_MS,
  };
}
