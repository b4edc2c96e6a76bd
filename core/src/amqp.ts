/**
 * One connect-and-reconnect loop for api and consumer, over one or several broker addresses.
 *
 * Why not amqp-connection-manager: its ChannelWrapper queues publishes in memory while no broker is
 * connected and replays them after reconnecting. The api must do the opposite: refuse a vote at once
 * (503, the page retries with a new proof) when no channel can confirm it, and never hold a vote the
 * broker has not confirmed. What is left for a library to do here — rotate addresses, back off, rebuild
 * channels and topology, tell the owner when the session comes and goes — is this small file.
 *
 * Failover: `AMQP_URL` lists every node of a cluster (comma-separated). A process starts at a random
 * address, so replicas spread over the nodes, and on a lost connection or a failed attempt moves to the
 * next one. The delay before the next attempt is `backoffDelay` (contract/src/backoff.ts), the one formula
 * the services use; after a lost connection the first attempt on the next node is immediate, so a
 * node's death costs one TCP connect plus the session's setup.
 */
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import { backoffDelay, sleep } from '@paredao/contract';
import { redactUrl } from './env.js';

export interface BrokerLinkOptions<S> {
  urls: readonly string[];
  /** Shown in the broker's connection list (`rabbitmqctl list_connections client_properties`). */
  connectionName: string;
  log: Logger;
  /**
   * Opens channels and declares the topology on a fresh connection, and returns the session the owner
   * works with. Every channel must go through `watch`: its close (or error) ends the session, the
   * connection is closed and the loop connects again. A throw also ends this attempt.
   */
  setup: (conn: ChannelModel, watch: <C extends Channel | ConfirmChannel>(ch: C) => C) => Promise<S>;
  /** The session is usable. */
  onUp?: (session: S, url: string) => void;
  /** The session is gone (its connection or one of its channels closed); called before reconnecting. */
  onDown?: (session: S) => void;
  /**
   * An attempt failed; `everyAddressFailed` once each address has failed since the last session (the
   * broker is unreachable, not just one node).
   */
  onAttemptFailed?: (err: unknown, everyAddressFailed: boolean) => void;
  backoff?: { baseMs: number; maxMs: number };
  /** Where in `urls` to start; random by default (replicas spread over the nodes). */
  firstIndex?: number;
  /** How long one TCP connect may take before the next address is tried. */
  connectTimeoutMs?: number;
}

/**
 * Keeps one AMQP connection (and the session built on it by `setup`) alive across broker failures,
 * moving between the addresses of `urls`.
 */
export class BrokerLink<S> {
  private current: { conn: ChannelModel; session: S } | null = null;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  private index: number;

  constructor(private readonly opts: BrokerLinkOptions<S>) {
    if (opts.urls.length === 0) throw new RangeError('BrokerLink needs at least one URL');
    this.index = opts.firstIndex ?? Math.floor(Math.random() * opts.urls.length);
  }

  /** The live session, or null between connections. */
  get session(): S | null {
    return this.current?.session ?? null;
  }

  /** Starts the loop; resolves once the first attempt (on the first address) has finished either way. */
  async start(): Promise<void> {
    let first!: () => void;
    const firstAttempt = new Promise<void>((r) => (first = r));
    this.loop = this.run(first);
    await firstAttempt;
  }

  private nextUrl(): string {
    const url = this.opts.urls[this.index % this.opts.urls.length]!;
    this.index = (this.index + 1) % this.opts.urls.length;
    return url;
  }

  private async run(firstAttemptDone: () => void): Promise<void> {
    const { log, backoff = { baseMs: 250, maxMs: 5000 } } = this.opts;
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      const url = this.nextUrl();
      let conn: ChannelModel | null = null;
      try {
        // noDelay: amqplib leaves Nagle's algorithm on, so a publish waited for the ACK of the one
        // before it: measured at 3000 votes/s, confirms took 28 ms on average with it and 5 ms without
        // (docs/BENCHMARKS.md). RabbitMQ's own side sets nodelay by default.
        conn = await amqp.connect(url, {
          clientProperties: { connection_name: this.opts.connectionName },
          timeout: this.opts.connectTimeoutMs ?? 5000,
          noDelay: true,
        });
        const lost = this.watchConnection(conn);
        const session = await this.opts.setup(conn, lost.watch);
        if (this.stopping.signal.aborted) {
          await closeQuietly(conn);
          break;
        }
        this.current = { conn, session };
        log.info({ amqpUrl: redactUrl(url), afterFailedAttempts: failures }, 'broker connected');
        failures = 0;
        this.opts.onUp?.(session, url);
        firstAttemptDone();
        await lost.closed;
        this.current = null;
        this.opts.onDown?.(session);
        // A channel may have closed alone: close its connection too, or every such loss leaks one.
        await closeQuietly(conn);
        if (!this.stopping.signal.aborted) log.error({ amqpUrl: redactUrl(url) }, 'broker connection lost; reconnecting');
      } catch (err) {
        if (conn) await closeQuietly(conn);
        this.opts.onAttemptFailed?.(err, failures + 1 >= this.opts.urls.length);
        firstAttemptDone();
        if (this.stopping.signal.aborted) break;
        const delay = backoffDelay(failures++, backoff.baseMs, backoff.maxMs);
        log.error({ err, amqpUrl: redactUrl(url), attempt: failures, retryInMs: delay }, 'broker unreachable');
        await sleep(delay, this.stopping.signal);
      }
    }
  }

  /** `closed` settles when the connection or any watched channel closes; errors are logged, not thrown. */
  private watchConnection(conn: ChannelModel) {
    const { log } = this.opts;
    let done!: () => void;
    const closed = new Promise<void>((r) => (done = r));
    conn.on('error', (err: Error) => log.error({ err }, 'broker connection error'));
    conn.on('close', () => done());
    const watch = <C extends Channel | ConfirmChannel>(ch: C): C => {
      ch.on('error', (err: Error) => log.error({ err }, 'broker channel error'));
      ch.on('close', () => done());
      return ch;
    };
    return { closed, watch };
  }

  /** Stops reconnecting and closes the connection; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopping.abort();
    const conn = this.current?.conn;
    if (conn) await closeQuietly(conn);
    await this.loop;
  }
}

/**
 * Closes a connection, waiting at most `ms` for the broker's close-ok: a node that stopped answering
 * (frozen, or gone without a FIN) would otherwise hold a shutdown forever.
 */
async function closeQuietly(conn: ChannelModel, ms = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  const closed = conn.close().then(
    () => 'closed' as const,
    () => 'closed' as const, // already closed
  );
  if ((await Promise.race([closed, timeout])) === 'timeout') {
    (conn.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
  }
  clearTimeout(timer);
}
