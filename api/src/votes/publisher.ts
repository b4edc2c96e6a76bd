import { EventEmitter, once } from 'node:events';
import { backoffDelay, sleep } from '@paredao/contract';
import { BrokerLink, entryExchange, setupTopology, encodeBatch, encodeBatchEntry, type VoteMessage } from '@paredao/core';
import type { ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import { AppError, brokerUnavailable } from '../platform/errors.js';
import type { ApiMetrics } from '../platform/metrics.js';

export interface PublisherOptions {
  /** One broker, or every node of a cluster: the publisher connects to one and moves on when it goes. */
  urls: readonly string[];
  queue: string;
  /** A publish that has no confirm by then fails with 503 (the vote may still arrive; see docs/RELIABILITY.md). */
  timeoutMs: number;
  /**
   * Group commit bounds: votes and bytes per message, the longest a vote waits for the previous
   * confirm, and `lingerMs`, the least time the first vote of a message waits for company, whether or
   * not a message awaits its confirm (0: it goes at the end of the event-loop turn, or at the confirm).
   */
  batch: { maxVotes: number; maxBytes: number; maxWaitMs: number; lingerMs?: number };
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
  /** When the first of `pending` arrived (performance.now()). */
  private pendingSince = 0;
  private messagesInFlight = 0;
  private flushSoon: NodeJS.Immediate | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly link: BrokerLink<ConfirmChannel>;
  /** Every broker address failed since the last channel: votes get 503 at once instead of waiting. */
  private unreachable = false;
  /** Message ids the broker returned as unroutable, until their confirm arrives (it comes after the return). */
  private readonly returned = new Set<string>();

  constructor(private readonly opts: PublisherOptions) {
    super();
    this.link = new BrokerLink<ConfirmChannel>({
      urls: opts.urls,
      connectionName: `paredao-api-${process.pid}`,
      log: opts.log,
      setup: async (conn, watch) => {
        const ch = watch(await conn.createConfirmChannel());
        await setupTopology(ch, opts.queue, opts.declareTopology ?? true);
        // Publishes are mandatory: a message that reaches no queue comes back here, before its confirm.
        ch.on('return', (msg: { properties: { messageId?: unknown } }) => {
          if (typeof msg.properties.messageId === 'string') this.returned.add(msg.properties.messageId);
        });
        return ch;
      },
      onUp: (ch) => {
        this.ch = ch;
        this.unreachable = false;
        opts.metrics.brokerConnected.set(1);
        this.emit('up');
      },
      onDown: () => {
        this.ch = null;
        this.draining = null;
        this.returned.clear();
        opts.metrics.brokerConnected.set(0);
      },
      onAttemptFailed: (_err, everyAddressFailed) => {
        opts.metrics.brokerConnected.set(0);
        if (everyAddressFailed && !this.unreachable) {
          this.unreachable = true;
          this.emit('unreachable');
        }
      },
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
   * Group commit: the first vote of a message waits `batch.lingerMs` for company (at 0, until the end
   * of this event-loop turn) and, while a message awaits its confirm, for that confirm too, up to
   * `batch.maxWaitMs`; everything accepted meanwhile goes with it as one message, bounded by
   * `batch.maxVotes` and `batch.maxBytes`. One publish, confirm, delivery and ack then carry many votes:
   * RabbitMQ's and the consumer's cost is per message (docs/BENCHMARKS.md). Under load the confirm wait
   * is the longer and groups the votes; at an ordinary rate confirms come back within a vote or two,
   * and the linger is what spaces the messages, where the latency budget has room for it.
   *
   * The linger counts from `since` (performance.now()), when the vote began waiting for company: a
   * cluster worker spends it before the vote's proof claim (cluster-arbiter.ts), so the votes of one
   * message share that claim's round trip, and the publisher then waits only what is left of it.
   */
  publish(vote: Omit<VoteMessage, 'v'>, since = performance.now()): Promise<void> {
    // Every broker address failed: answer 503 at once. Between a lost channel and that, the publisher
    // is moving to another cluster node, and the vote waits for it (see send()).
    if (!this.ch && this.unreachable) return Promise.reject(brokerUnavailable());
    const entry = encodeBatchEntry(vote);
    return new Promise<void>((resolve, reject) => {
      if (this.pending.length === 0) this.pendingSince = since;
      this.pending.push({ entry, voteId: vote.voteId, resolve, reject });
      this.pendingBytes += entry.length + 1;
      this.inFlight++;
      const { maxVotes, maxBytes, maxWaitMs, lingerMs = 0 } = this.opts.batch;
      const lingerLeft = this.pendingSince + lingerMs - performance.now();
      if (this.pending.length >= maxVotes || this.pendingBytes >= maxBytes) this.flush();
      else if (this.messagesInFlight > 0) this.flushTimer ??= setTimeout(() => this.flush(), Math.max(maxWaitMs, lingerLeft));
      else if (lingerLeft > 0) this.flushTimer ??= setTimeout(() => this.flush(), lingerLeft);
      else this.flushSoon ??= setImmediate(() => this.flush());
    });
  }

  /** Flushes now if the first pending vote has lingered `batch.lingerMs`, else when it will have. */
  private flushAfterLinger(): void {
    const left = this.pendingSince + (this.opts.batch.lingerMs ?? 0) - performance.now();
    if (left <= 0) return this.flush();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => this.flush(), left);
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

  /**
   * Sends one message and waits for its confirm. A nack, or a channel lost before the confirm (its
   * cluster node died), sends the message again on the next channel while time is left: safe, because
   * each vote's id comes from its proof, so a copy that did reach the queue counts once.
   * Only a timeout, no channel within `timeoutMs` or a message no queue took (unroutable) reach the
   * voter, as 503.
   */
  private async send(group: Waiting[]): Promise<void> {
    this.messagesInFlight++;
    const started = process.hrtime.bigint();
    const deadline = Date.now() + this.opts.timeoutMs;
    try {
      const body = encodeBatch(group.map((w) => w.entry));
      for (let attempt = 0; ; attempt++) {
        if (this.draining) await this.draining;
        const ch = this.ch ?? (await this.channelBefore(deadline));
        if (!ch) throw brokerUnavailable();
        const outcome = await this.publishOnce(ch, body, group[0]!.voteId, deadline);
        if (outcome === 'confirmed') break;
        if (outcome === 'unroutable') {
          // The broker confirmed a message it delivered to no queue: the entry exchange has lost its
          // binding. Sending it again would not help; the voter gets 503 and retries later.
          this.opts.log.error({ exchange: entryExchange(this.opts.queue), queue: this.opts.queue, votes: group.length }, 'vote message unroutable: the entry exchange is not bound to the queue');
          throw brokerUnavailable();
        }
        if (outcome === 'timeout' || Date.now() >= deadline) throw brokerUnavailable();
        this.opts.metrics.publishResent.inc();
        await sleep(Math.min(backoffDelay(attempt, 50, 1000), Math.max(0, deadline - Date.now())));
      }
      this.opts.metrics.publishConfirm.observe(Number(process.hrtime.bigint() - started) / 1e9);
      this.opts.metrics.publishBatchSize.observe(group.length);
      for (const w of group) w.resolve();
    } catch (err) {
      const e = err instanceof AppError ? err : brokerUnavailable();
      for (const w of group) w.reject(e);
    } finally {
      this.messagesInFlight--;
      this.inFlight -= group.length;
      // The confirm the waiting votes were held for has come (or failed): they go once their linger is over.
      if (this.messagesInFlight === 0 && this.pending.length > 0) this.flushAfterLinger();
      if (this.inFlight === 0) this.emit('idle');
    }
  }

  /** The next usable channel, or null if none comes up before `deadline` or every address fails. */
  private async channelBefore(deadline: number): Promise<ConfirmChannel | null> {
    const left = deadline - Date.now();
    if (left <= 0 || this.unreachable) return null;
    const wait = new AbortController();
    const event = (name: string) => once(this, name, { signal: wait.signal }).catch(() => {});
    await Promise.race([event('up'), event('unreachable'), sleep(left, wait.signal)]);
    wait.abort();
    return this.ch;
  }

  /**
   * One publish of `body`: confirmed, unroutable (confirmed but returned: no queue took it), failed
   * (nack or channel closed: may be sent again) or timed out.
   */
  private publishOnce(ch: ConfirmChannel, body: Buffer, messageId: string, deadline: number): Promise<'confirmed' | 'unroutable' | 'failed' | 'timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
      let ok: boolean;
      try {
        // messageId: the first vote's id, so a dead-lettered message can be traced to its voters, and
        // a returned one to its publish. mandatory: without it an exchange that lost its binding to
        // the queue confirms the message and drops it, and the voters would get 202 for nothing.
        ok = ch.publish(entryExchange(this.opts.queue), '', body, { persistent: true, contentType: 'application/json', messageId, mandatory: true }, (err) => {
          clearTimeout(timer);
          resolve(err ? 'failed' : this.returned.delete(messageId) ? 'unroutable' : 'confirmed');
        });
      } catch {
        clearTimeout(timer);
        return resolve('failed'); // channel closed under us
      }
      if (!ok && !this.draining) {
        this.draining = Promise.race([once(ch, 'drain'), once(ch, 'close')]).finally(() => (this.draining = null));
      }
    });
  }

  /** Waits (up to the deadline) for in-flight confirms, then closes the connection. */
  async stop(deadline: number): Promise<void> {
    this.flush();
    if (this.inFlight > 0) await Promise.race([once(this, 'idle'), sleep(Math.max(0, deadline - Date.now()))]);
    await this.link.stop();
  }
}
