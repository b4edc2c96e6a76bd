import { EventEmitter, once } from 'node:events';
import { assertTopology, backoffDelay, redactUrl, sleep } from '@paredao/core';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import { brokerUnavailable } from './errors.js';
import type { ApiMetrics } from './metrics.js';

export interface PublisherOptions {
  url: string;
  queue: string;
  /** A publish that has no confirm by then fails with 503 (the vote may still arrive; see docs/RELIABILITY.md). */
  timeoutMs: number;
  log: Logger;
  metrics: ApiMetrics;
}

/**
 * Publishes votes on a confirm channel and resolves only once the broker has confirmed each one. Many
 * publishes are in flight at once (no serial waitForConfirms). When the channel's write buffer is full,
 * further publishes wait for 'drain' (back-pressure). Without a channel it fails at once with 503 and
 * keeps reconnecting in the background.
 */
export class Publisher extends EventEmitter {
  private conn: ChannelModel | null = null;
  private ch: ConfirmChannel | null = null;
  private draining: Promise<unknown> | null = null;
  private inFlight = 0;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(private readonly opts: PublisherOptions) {
    super();
  }

  get ready(): boolean {
    return this.ch !== null;
  }

  /** Starts the connect loop; resolves once the first connection attempt has finished either way. */
  async start(): Promise<void> {
    let first!: () => void;
    const firstAttempt = new Promise<void>((r) => (first = r));
    this.loop = this.run(first);
    await firstAttempt;
  }

  private async run(firstAttemptDone: () => void): Promise<void> {
    const { log } = this.opts;
    let attempt = 0;
    while (!this.stopping.signal.aborted) {
      try {
        const conn = await amqp.connect(this.opts.url, { clientProperties: { connection_name: `paredao-api-${process.pid}` } });
        const ch = await conn.createConfirmChannel();
        await assertTopology(ch, this.opts.queue);
        const closed = new Promise<void>((resolve) => {
          conn.on('close', () => resolve());
          conn.on('error', (err: Error) => log.error({ err }, 'broker connection error'));
          ch.on('error', (err: Error) => log.error({ err }, 'broker channel error'));
          ch.on('close', () => resolve());
        });
        this.conn = conn;
        this.ch = ch;
        this.opts.metrics.brokerConnected.set(1);
        log.info({ amqpUrl: redactUrl(this.opts.url), queue: this.opts.queue, attempt }, 'broker connected');
        attempt = 0;
        firstAttemptDone();
        await closed;
        this.ch = null;
        this.conn = null;
        this.draining = null;
        this.opts.metrics.brokerConnected.set(0);
        if (!this.stopping.signal.aborted) log.error('broker connection lost; reconnecting');
      } catch (err) {
        this.opts.metrics.brokerConnected.set(0);
        const delay = backoffDelay(attempt++, 250, 5000);
        log.error({ err, attempt, retryInMs: delay }, 'broker unreachable');
        firstAttemptDone();
        await sleep(delay, this.stopping.signal);
      }
    }
  }

  /** Resolves when the broker has confirmed the message; rejects with a 503 AppError otherwise. */
  async publish(body: Buffer, messageId: string): Promise<void> {
    if (this.draining) await this.draining;
    const ch = this.ch;
    if (!ch) throw brokerUnavailable();
    const started = process.hrtime.bigint();
    this.inFlight++;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(brokerUnavailable()), this.opts.timeoutMs);
        let ok: boolean;
        try {
          ok = ch.sendToQueue(this.opts.queue, body, { persistent: true, contentType: 'application/json', messageId }, (err) => {
            clearTimeout(timer);
            // A nack or a channel closed before the confirm: the vote is not safe, so the client retries.
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
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.emit('idle');
    }
  }

  /** Waits (up to the deadline) for in-flight confirms, then closes the connection. */
  async stop(deadline: number): Promise<void> {
    this.stopping.abort();
    if (this.inFlight > 0) await Promise.race([once(this, 'idle'), sleep(Math.max(0, deadline - Date.now()))]);
    try {
      await this.conn?.close();
    } catch {
      // already closed
    }
    await this.loop;
  }
}
