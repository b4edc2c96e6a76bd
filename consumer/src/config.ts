import { parseEnv, port, serviceEnv } from '@paredao/core';
import { z } from 'zod';

const schema = z.object({
  ...serviceEnv,
  CONSUMER_HOST: z.string().default('127.0.0.1'),
  CONSUMER_PORT: port(3001),
  /** Unacked messages the broker may push to us; about two batches, so one fills while the other commits. */
  PREFETCH: z.coerce.number().int().min(1).max(65535).default(1000),
  BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(500),
  BATCH_MAX_WAIT_MS: z.coerce.number().int().min(1).max(10_000).default(50),
});

export type ConsumerConfig = z.infer<typeof schema>;

export function loadConsumerConfig(env: NodeJS.ProcessEnv = process.env): ConsumerConfig {
  const cfg = parseEnv(schema, env);
  if (cfg.BATCH_MAX > cfg.PREFETCH) throw new Error(`BATCH_MAX (${cfg.BATCH_MAX}) must not exceed PREFETCH (${cfg.PREFETCH})`);
  return cfg;
}
