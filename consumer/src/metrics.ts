import { VOTE_MODES } from '@paredao/contract';
import { LATENCY_BUCKETS } from '@paredao/core';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function createConsumerMetrics(registry: Registry) {
  const m = {
    applied: new Counter({ name: 'paredao_consumer_votes_applied_total', help: 'Votes counted, by vote mode (torcida, unico).', labelNames: ['mode'] as const, registers: [registry] }),
    duplicates: new Counter({
      name: 'paredao_consumer_duplicates_skipped_total',
      help: 'Votes delivered again (redelivery or replay) and not counted twice.',
      registers: [registry],
    }),
    outsideWindow: new Counter({
      name: 'paredao_consumer_votes_outside_window_total',
      help: 'Votes accepted outside their paredão voting window (after it closed): not counted.',
      registers: [registry],
    }),
    entriesRejected: new Counter({
      name: 'paredao_consumer_batch_entries_rejected_total',
      help: 'Malformed votes inside a batch message: not counted; the rest of the message is applied, then the message goes to the dead-letter queue.',
      registers: [registry],
    }),
    deadLettered: new Counter({ name: 'paredao_consumer_dead_lettered_total', help: 'Messages sent to the dead-letter queue: poison, a batch message with malformed votes, or one with votes below the pruned-through mark (after its other votes were counted).', registers: [registry] }),
    belowWatermark: new Counter({
      name: 'paredao_consumer_below_watermark_total',
      help: "Votes accepted before the store's pruned-through mark: their ids can no longer be checked, so they are not counted and their message goes to the dead-letter queue.",
      registers: [registry],
    }),
    pruned: new Counter({ name: 'paredao_consumer_pruned_ids_total', help: 'Applied vote ids dropped from the hot store below the low watermark (they stay in the archive).', registers: [registry] }),
    prunedThrough: new Gauge({
      name: 'paredao_store_pruned_through_seconds',
      help: "The store's pruned-through mark (Unix time): votes accepted before it are dead-lettered.",
      registers: [registry],
    }),
    pruneSeconds: new Histogram({ name: 'paredao_consumer_prune_seconds', help: 'Time to prune the applied ids and merge the archive, once per interval.', buckets: LATENCY_BUCKETS, registers: [registry] }),
    batchSize: new Histogram({
      name: 'paredao_consumer_batch_size',
      help: 'Votes per applied batch.',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
    batchApply: new Histogram({
      name: 'paredao_consumer_batch_apply_seconds',
      help: 'Time to apply one batch to the store (one atomic write).',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    voteToCount: new Histogram({
      name: 'paredao_vote_to_count_seconds',
      help: 'Per applied batch: time from the api accepting the oldest vote the batch counted to the batch committed (redelivered duplicates not included).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    claimsSwept: new Counter({
      name: 'paredao_consumer_unico_swept_total',
      help: 'Voto Único claims not counted UNICO_SWEEP_AFTER_MS after acceptance (the api died or the broker refused after the claim), counted by the sweeper from the claim.',
      registers: [registry],
    }),
    claimsVoid: new Counter({
      name: 'paredao_consumer_unico_void_total',
      help: 'Voto Único claims settled as void: accepted outside their paredão voting window (by an api with a stale view), so never counted; each once.',
      registers: [registry],
    }),
    brokerConnected: new Gauge({ name: 'paredao_broker_connected', help: '1 when consuming from the broker.', registers: [registry] }),
    storeUp: new Gauge({ name: 'paredao_store_up', help: '1 when the last store operation succeeded.', registers: [registry] }),
  };
  // Both modes from the start, so a rate() over either has a series before its first vote.
  for (const mode of VOTE_MODES) m.applied.inc({ mode }, 0);
  return m;
}

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;
