import { EventEmitter, once } from 'node:events';
import { BrokerLink, setupTopology, encodeBatch, encodeBatchEntry, sleep, type VoteMessage } from '@paredao/core';
import type { ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import { AppError, brokerUnavailable } from './errors.js';
import type { ApiMetrics } from './metrics.js';

export interface PublisherOptions {
  /** One broker, or every node of a cluster: the publisher connects to one and moves on when it goes. */
  urls: readonly string[];
  queue: string;
  /** A publish that has no confirm by then fails with 503 (the vote may still arrive; see docs/RELIABILITY.md). */
  timeoutMs: number;
  /** Group commit bounds: votes and bytes per message, and the longest a vote waits for the previous confirm. */
  batch: { maxVotes: number; maxBytes: number; maxWaitMs: number };
  /** AMQP_DECLARE_TOPOLOGY: false = only check the queues exist (a broker user without configure). */
  declareTopology?: boolean;
  log: Logger;
  metrics: ApiMetrics;
}

interface Waiting {
  entry: string;
  voteId: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Publishes votes on a confirm channel, many per message (group commit, see publish()), and answers each
 * vote only once the broker has confirmed its message. When the channel's write buffer is full, further
 * messages wait for 'drain' (back-pressure). Without a channel a vote fails at once with 503 and the
 * BrokerLink (core/src/amqp.ts) reconnects, to the next broker address, in the background.
 */
export class Publisher extends EventEmitter {
  private ch: ConfirmChannel | null = null;
  private draining: Promise<unknown> | null = null;
  /** Votes handed to publish() and not yet answered (pending or in a message awaiting its confirm). */
  private inFlight = 0;
  private pending: Waiting[] = [];
  private pendingBytes = 0;
  private messagesInFlight = 0;
  private flushSoon: NodeJS.Immediate | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly link: BrokerLink<ConfirmChannel>;

  constructor(private readonly opts: PublisherOptions) {
    super();
    this.link = new BrokerLink<ConfirmChannel>({
      urls: opts.urls,
      connectionName: `paredao-api-${process.pid}`,
      log: opts.log,
      setup: async (conn, watch) => {
        const ch = watch(await conn.createConfirmChannel());
        await setupTopology(ch, opts.queue, opts.declareTopology ?? true);
        return ch;
      },
      onUp: (ch) => {
        this.ch = ch;
        opts.metrics.brokerConnected.set(1);
      },
      onDown: () => {
        this.ch = null;
        this.draining = null;
        opts.metrics.brokerConnected.set(0);
      },
      onAttemptFailed: () => opts.metrics.brokerConnected.set(0),
    });
  }

  get ready(): boolean {
    return this.ch !== null;
  }

  /** Starts connecting; resolves once the first connection attempt has finished either way. */
  async start(): Promise<void> {
    await this.link.start();
  }

  /**
   * Resolves once the broker has confirmed the message holding this vote; rejects with a 503 AppError
   * otherwise (nack, timeout, channel lost: every vote of that message gets the same answer).
   *
   * Group commit: a vote accepted while no message awaits a confirm goes out at the end of this event
   * loop turn (with whatever else arrived in it); votes accepted while one does wait for that confirm
   * and then go out together as one message, bounded by `batch.maxVotes`, `batch.maxBytes` and
   * `batch.maxWaitMs`. One publish, confirm, delivery and ack then carry many votes: RabbitMQ's cost
   * was per message (docs/BENCHMARKS.md).
   */
  publish(vote: Omit<VoteMessage, 'v'>): Promise<void> {
    if (!this.ch) return Promise.reject(brokerUnavailable());
    const entry = encodeBatchEntry(vote);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ entry, voteId: vote.voteId, resolve, reject });
      this.pendingBytes += entry.length + 1;
      this.inFlight++;
      const { maxVotes, maxBytes, maxWaitMs } = this.opts.batch;
      if (this.pending.length >= maxVotes || this.pendingBytes >= maxBytes) this.flush();
      else if (this.messagesInFlight === 0) this.flushSoon ??= setImmediate(() => this.flush());
      else this.flushTimer ??= setTimeout(() => this.flush(), maxWaitMs);
    });
  }

  private flush(): void {
    if (this.flushSoon) clearImmediate(this.flushSoon);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushSoon = null;
    this.flushTimer = null;
    if (this.pending.length === 0) return;
    const group = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    void this.send(group);
  }

  private async send(group: Waiting[]): Promise<void> {
    this.messagesInFlight++;
    const started = process.hrtime.bigint();
    try {
      if (this.draining) await this.draining;
      const ch = this.ch;
      if (!ch) throw brokerUnavailable();
      const body = encodeBatch(group.map((w) => w.entry));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(brokerUnavailable()), this.opts.timeoutMs);
        let ok: boolean;
        try {
          // messageId: the first vote's id, so a dead-lettered message can be traced to its voters.
          ok = ch.sendToQueue(this.opts.queue, body, { persistent: true, contentType: 'application/json', messageId: group[0]!.voteId }, (err) => {
            clearTimeout(timer);
            // A nack or a channel closed before the confirm: the votes are not safe, so the clients retry.
            if (err) reject(brokerUnavailable());
            else resolve();
          });
        } catch {
          clearTimeout(timer);
          return reject(brokerUnavailable()); // channel closed under us
        }
        if (!ok && !this.draining) {
          this.draining = Promise.race([once(ch, 'drain'), once(ch, 'close')]).finally(() => (this.draining = null));
        }
      });
      this.opts.metrics.publishConfirm.observe(Number(process.hrtime.bigint() - started) / 1e9);
      this.opts.metrics.publishBatchSize.observe(group.length);
      for (const w of group) w.resolve();
    } catch (err) {
      const e = err instanceof AppError ? err : brokerUnavailable();
      for (const w of group) w.reject(e);
    } finally {
      this.messagesInFlight--;
      this.inFlight -= group.length;
      // The confirm the waiting votes were held for has come (or failed): they go now.
      if (this.messagesInFlight === 0 && this.pending.length > 0) this.flush();
      if (this.inFlight === 0) this.emit('idle');
    }
  }

  /** Waits (up to the deadline) for in-flight confirms, then closes the connection. */
  async stop(deadline: number): Promise<void> {
    this.flush();
    if (this.inFlight > 0) await Promise.race([once(this, 'idle'), sleep(Math.max(0, deadline - Date.now()))]);
    await this.link.stop();
  }
}
