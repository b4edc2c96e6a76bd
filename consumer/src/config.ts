import { parseEnv, port, serviceEnv } from '@paredao/core';
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
