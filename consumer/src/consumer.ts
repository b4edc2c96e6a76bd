import { backoffDelay, sleep, VOTE_MODES } from '@paredao/contract';
import { setupTopology, BrokerLink, decodeMessage, LowWatermark, type Store, type VoteMessage } from '@paredao/core';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { Batcher } from './batcher.js';
import type { ConsumerMetrics } from './metrics.js';
import { reportVoidClaims } from './sweeper.js';

export interface VoteConsumerOptions {
  /** One broker, or every node of a cluster: the consumer connects to one and moves on when it goes. */
  amqpUrls: readonly string[];
  queue: string;
  prefetch: number;
  batchMax: number;
  batchMaxWaitMs: number;
  store: Store;
  log: Logger;
  metrics: ConsumerMetrics;
  /** AMQP_DECLARE_TOPOLOGY: false = only check the queues exist (a broker user without configure). */
  declareTopology?: boolean;
  /**
   * Called after a batch is committed and before it is settled: the one moment where a crash leaves
   * the store ahead of the broker. Fault tests kill the process here (tests/component/consumer-crash);
   * main.ts passes none.
   */
  afterCommit?: (votes: readonly VoteMessage[]) => void | Promise<void>;
  /** The bounded dedup window (docs/ARCHITECTURE.md, "Bounded storage"); none: ids are kept for ever. */
  prune?: {
    /** This consumer's name among the store's marks: its queue, or its slot when several share one. */
    key: string;
    /** Proof expiry + the publisher's longest resend + a margin. */
    slackMs: number;
    /** How often the store is asked to prune (after a batch, at most this often). */
    intervalMs: number;
  };
}

interface Delivery {
  msg: ConsumeMessage;
  /** One vote (the single-vote format) or many (a batch message). */
  votes: VoteMessage[];
  /** Entries of this batch message that are not votes: the message is dead-lettered once `votes` are committed. */
  rejected: number;
  /** Votes of it accepted before the store's pruned-through mark, not counted: the message is dead-lettered too. */
  below: number;
  /** Its oldest and newest acceptedAt (the low watermark). */
  oldest: number;
  newest: number;
  ch: Channel;
}

/**
 * Consumes votes in batches: a batch is applied to the store in one atomic write (tallies, hourly rows
 * and applied vote ids together), then acknowledged with one multiple-ack. A crash anywhere before the
 * ack means redelivery, and the store's applied ids make the second apply a no-op: exactly once.
 * Messages that are not votes are rejected to the dead-letter queue at once. A batch message with a
 * malformed entry has its valid votes applied with the batch, and is then rejected to the dead-letter
 * queue whole instead of acked, so the refused entry is kept where an operator finds it (see apply()).
 */
export class VoteConsumer {
  private ch: Channel | null = null;
  private consumerTag: string | null = null;
  private readonly stopping = new AbortController();
  private storeOk = true;
  private readonly batcher: Batcher<Delivery>;
  private readonly link: BrokerLink<Channel>;
  private readonly watermark: LowWatermark | null;
  private lastPrune = Date.now();
  private pruning: Promise<void> | null = null;

  constructor(private readonly opts: VoteConsumerOptions) {
    this.batcher = new Batcher(opts.batchMax, opts.batchMaxWaitMs, (batch) => this.apply(batch));
    opts.metrics.storeUp.set(1);
    this.watermark = opts.prune ? new LowWatermark(opts.prune.slackMs) : null;
    const { log, metrics } = opts;
    this.link = new BrokerLink<Channel>({
      urls: opts.amqpUrls,
      connectionName: `paredao-consumer-${process.pid}`,
      log,
      setup: async (conn, watch) => {
        const ch = watch(await conn.createChannel());
        await setupTopology(ch, opts.queue, opts.declareTopology ?? true);
        await ch.prefetch(opts.prefetch);
        // this.ch before consume: deliveries can arrive before consume() resolves, and apply() checks it.
        this.ch = ch;
        const { consumerTag } = await ch.consume(opts.queue, (msg) => msg && this.onMessage(ch, msg), { noAck: false });
        this.consumerTag = consumerTag;
        return ch;
      },
      onUp: () => {
        metrics.brokerConnected.set(1);
        log.info({ queue: opts.queue, prefetch: opts.prefetch }, 'consuming votes');
      },
      onDown: () => {
        metrics.brokerConnected.set(0);
        this.ch = null;
        this.consumerTag = null;
        // Unacked deliveries of the lost channel come back on the next one.
        this.batcher.discard();
        this.watermark?.lost();
      },
      onAttemptFailed: () => {
        metrics.brokerConnected.set(0);
        this.ch = null;
        this.consumerTag = null;
      },
    });
  }

  /** Null when consuming and the store is usable, else why not. */
  readiness(): string | null {
    if (!this.ch || !this.link.session) return 'not consuming from the broker';
    if (!this.storeOk) return 'store unavailable';
    return null;
  }

  start(): void {
    void this.link.start();
  }

  private onMessage(ch: Channel, msg: ConsumeMessage): void {
    const { log, metrics } = this.opts;
    const decoded = decodeMessage(msg.content);
    const poison = !decoded.ok ? decoded.reason : decoded.votes.length === 0 ? 'no valid vote in the batch' : null;
    if (decoded.ok && decoded.rejected.length > 0) {
      metrics.entriesRejected.inc(decoded.rejected.length);
      log.error(
        { messageId: msg.properties.messageId, rejected: decoded.rejected.slice(0, 10), count: decoded.rejected.length, votes: decoded.votes.length },
        'malformed votes inside a batch message: the others are applied, then the message goes to the dead-letter queue',
      );
    }
    if (poison !== null) {
      metrics.deadLettered.inc();
      log.error({ reason: poison, messageId: msg.properties.messageId, bytes: msg.content.length, redelivered: msg.fields.redelivered }, 'poison message sent to the dead-letter queue');
      try {
        ch.nack(msg, false, false);
      } catch {
        // channel gone: the broker redelivers it and we reject it again
      }
      return;
    }
    if (decoded.ok) {
      let oldest = Infinity;
      let newest = -Infinity;
      for (const v of decoded.votes) {
        if (v.acceptedAt < oldest) oldest = v.acceptedAt;
        if (v.acceptedAt > newest) newest = v.acceptedAt;
      }
      const delivery: Delivery = { msg, votes: decoded.votes, rejected: decoded.rejected.length, below: 0, oldest, newest, ch };
      this.watermark?.delivered(delivery, oldest);
      this.batcher.add(delivery, decoded.votes.length);
    }
  }

  /** Applies one batch, retrying the store with backoff; acks only after the commit. */
  private async apply(batch: Delivery[]): Promise<void> {
    const { store, log, metrics } = this.opts;
    const ch = batch[0]?.ch;
    if (!ch) return;
    const votes = batch.length === 1 ? batch[0]!.votes : batch.flatMap((d) => d.votes);
    for (let attempt = 0; ; attempt++) {
      if (ch !== this.ch) return; // channel lost: these deliveries will be redelivered
      const started = process.hrtime.bigint();
      try {
        const outcome = await store.applyBatch(votes, Date.now());
        const committedAt = Date.now();
        metrics.batchApply.observe(Number(process.hrtime.bigint() - started) / 1e9);
        metrics.batchSize.observe(votes.length);
        for (const mode of VOTE_MODES) if (outcome.appliedByMode[mode] > 0) metrics.applied.inc({ mode }, outcome.appliedByMode[mode]);
        metrics.duplicates.inc(outcome.duplicates);
        metrics.outsideWindow.inc(outcome.outsideWindow);
        // Once per batch, for the oldest vote it counted (the batch's slowest); duplicates not at all.
        if (outcome.oldestAcceptedAt !== null) metrics.voteToCount.observe(Math.max(0, committedAt - outcome.oldestAcceptedAt) / 1000);
        if (!this.storeOk) log.info('store available again; resuming');
        this.storeOk = true;
        metrics.storeUp.set(1);
        log.debug({ size: votes.length, applied: outcome.applied, duplicates: outcome.duplicates }, 'batch applied');
        if (log.isLevelEnabled('trace')) {
          // Per vote, with the request id the api gave it, so one vote can be followed end to end.
          for (const v of votes) log.trace({ reqId: v.reqId, voteId: v.voteId, candidateId: v.candidateId, paredaoId: v.paredaoId }, 'vote in committed batch');
        }
        if (outcome.duplicates > 0) log.warn({ duplicates: outcome.duplicates }, 'redelivered votes skipped (already counted)');
        if (outcome.outsideWindow > 0) log.warn({ outsideWindow: outcome.outsideWindow }, 'votes accepted outside their paredão voting window not counted');
        reportVoidClaims(outcome, log, metrics);
        if (outcome.belowMark) this.markBelow(batch, outcome.belowMark);
        await this.opts.afterCommit?.(votes);
        this.settle(ch, batch);
        this.maybePrune();
        return;
      } catch (err) {
        this.storeOk = false;
        metrics.storeUp.set(0);
        const delay = backoffDelay(attempt, 250, 10_000);
        log.error({ err, size: votes.length, attempt, retryInMs: delay }, 'store write failed; batch not acked, retrying');
        // Keep retrying the same batch even while stopping until the deadline cuts us off: the
        // alternative is dropping the channel, which also loses nothing (redelivery) but is slower.
        await sleep(delay, this.stopping.signal);
        if (this.stopping.signal.aborted) return;
      }
    }
  }

  /**
   * After the commit: a message with malformed entries is rejected to the dead-letter queue whole (the
   * broker moves it there in the same step that settles it, so no crash can lose the refused entry;
   * its valid votes are counted already, and a replay of the dead-letter queue skips them as
   * duplicates); the others get one multiple-ack. The rejects go first: a multiple-ack past a
   * delivery would settle it too, and a reject of a settled delivery closes the channel.
   */
  private settle(ch: Channel, batch: Delivery[]): void {
    const { log, metrics } = this.opts;
    try {
      let last: Delivery | null = null;
      for (const d of batch) {
        if (d.rejected === 0 && d.below === 0) {
          last = d;
          continue;
        }
        ch.nack(d.msg, false, false);
        this.watermark?.dropped(d);
        metrics.deadLettered.inc();
        if (d.rejected > 0) log.error({ messageId: d.msg.properties.messageId, rejected: d.rejected, applied: d.votes.length }, 'batch message with malformed votes sent to the dead-letter queue after its valid votes were committed');
        else log.warn({ messageId: d.msg.properties.messageId, below: d.below, votes: d.votes.length, oldestAcceptedAt: new Date(d.oldest).toISOString() }, 'message with votes accepted before the pruned-through mark sent to the dead-letter queue: their ids can no longer be checked, so they are not counted');
      }
      if (last) {
        ch.ack(last.msg, true);
        if (this.watermark) for (const d of batch) if (d.rejected === 0 && d.below === 0) this.watermark.acked(d, d.newest);
      }
    } catch (err) {
      log.warn({ err }, 'ack failed after commit; the broker will redeliver and the votes will be skipped as duplicates');
    }
  }

  /** Counts the votes the store refused as below its pruned-through mark, per delivery, to dead-letter their messages. */
  private markBelow(batch: Delivery[], ids: readonly string[]): void {
    const below = new Set(ids);
    for (const d of batch) d.below = d.votes.reduce((n, v) => n + (below.has(v.voteId) ? 1 : 0), 0);
    this.opts.metrics.belowWatermark.inc(ids.length);
  }

  /** At most once per interval, in the background (in short store transactions): prune to this consumer's mark. */
  private maybePrune(): void {
    const { prune, store, log, metrics } = this.opts;
    const mark = this.watermark?.mark() ?? null;
    if (!prune || mark === null || this.pruning || Date.now() - this.lastPrune < prune.intervalMs) return;
    this.lastPrune = Date.now();
    const started = process.hrtime.bigint();
    this.pruning = store
      .prune(prune.key, mark)
      .then((r) => {
        metrics.prunedThrough.set(r.prunedThrough / 1000);
        metrics.pruned.inc(r.deleted);
        metrics.pruneSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
        log.info({ mark: new Date(mark).toISOString(), prunedThrough: new Date(r.prunedThrough).toISOString(), deleted: r.deleted, compacted: r.compacted }, 'applied ids pruned below the low watermark');
      })
      .catch((err: unknown) => log.warn({ err }, 'prune failed; retried at the next interval'))
      .finally(() => (this.pruning = null));
  }

  /** Stops consuming, commits and acks what was received, closes the channel (with a deadline). */
  async stop(deadline: number): Promise<void> {
    const ch = this.ch;
    if (ch && this.consumerTag) {
      try {
        await ch.cancel(this.consumerTag);
      } catch {
        // channel already closed
      }
    }
    await Promise.race([this.batcher.drain(), sleep(Math.max(0, deadline - Date.now()))]);
    await Promise.race([this.pruning, sleep(Math.max(0, deadline - Date.now()))]);
    this.stopping.abort();
    await this.link.stop();
  }
}
