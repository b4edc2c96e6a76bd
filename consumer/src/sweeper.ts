import type { ApplyOutcome, Store, VoteMessage } from '@paredao/core';
import type { Logger } from 'pino';
import type { ConsumerMetrics } from './metrics.js';

export interface SweeperDeps {
  store: Pick<Store, 'uncountedClaims' | 'applyBatch' | 'dropSettledTombstones'>;
  /** UNICO_SWEEP_AFTER_MS: a claim younger than this may still be on its way through the broker. */
  afterMs: number;
  /** UNICO_SWEEP_EVERY_MS */
  everyMs: number;
  /** Claims counted per pass, at most (one atomic write). */
  batchMax: number;
  log: Logger;
  metrics: ConsumerMetrics;
  now?: () => number;
}

/**
 * The Voto Único sweeper (docs/decisions/0005-voto-unico.md): a claim is the vote's outbox, so a claim
 * not counted some time after the api accepted it (the api died between claim and publish, or the
 * broker refused the publish and the voter saw 503) is counted from the claim itself, with the same
 * applyBatch the queue's votes go through. That write flips the claim's `counted`, so a copy still in
 * the queue, a second sweeper or a redelivery counts nothing: running it on every consumer is safe.
 * It also drops the CPF tombstones of deleted accounts once their paredão has closed.
 */
export class ClaimSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: SweeperDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    const loop = () => {
      this.timer = setTimeout(() => {
        this.running = this.pass().finally(() => {
          this.running = null;
          if (this.timer) loop();
        });
      }, this.deps.everyMs);
    };
    loop();
  }

  /** Stops the timer and waits for a pass under way (its write is one transaction). */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass; errors are logged and the next pass tries again. Returns how many claims it counted. */
  async pass(): Promise<number> {
    const { store, log, metrics } = this.deps;
    try {
      const now = this.now();
      const dropped = await store.dropSettledTombstones(now);
      if (dropped > 0) log.info({ dropped }, 'CPF tombstones of deleted voter accounts dropped: their paredão closed');
      const claims = await store.uncountedClaims(now - this.deps.afterMs, this.deps.batchMax);
      if (claims.length === 0) return 0;
      const votes: VoteMessage[] = claims.map((c) => ({ v: 1, voteId: c.voteId, paredaoId: c.paredaoId, candidateId: c.candidateId, acceptedAt: c.acceptedAt, mode: 'unico' }));
      const outcome = await store.applyBatch(votes, this.now());
      metrics.claimsSwept.inc(outcome.applied);
      metrics.applied.inc({ mode: 'unico' }, outcome.applied);
      reportVoidClaims(outcome, log, metrics);
      // Vote ids only: a claim's voter key is an account id and is never logged. Void ones were just reported.
      const voided = new Set(outcome.voided);
      const rest = votes.filter((v) => !voided.has(v.voteId));
      if (rest.length > 0) {
        log.warn(
          { found: claims.length, counted: outcome.applied, alreadyCounted: outcome.duplicates, voteIds: rest.slice(0, 20).map((v) => v.voteId) },
          'uncounted Voto Único claims counted by the sweeper',
        );
      }
      return outcome.applied;
    } catch (err) {
      log.error({ err }, 'Voto Único sweeper pass failed; the next pass tries again');
      return 0;
    }
  }
}

/**
 * Único claims an applyBatch settled as void (outside their paredão's window, so never countable): the
 * one time each is reported, whether the sweeper or a queued copy met it first. Vote ids only.
 */
export function reportVoidClaims(outcome: Pick<ApplyOutcome, 'voided'>, log: Logger, metrics: Pick<ConsumerMetrics, 'claimsVoid'>): void {
  if (!outcome.voided) return;
  metrics.claimsVoid.inc(outcome.voided.length);
  log.error({ voided: outcome.voided.length, voteIds: outcome.voided }, 'Voto Único claims accepted outside their paredão voting window: void, never counted');
}
