// pino transport (runs in pino's worker thread) that ships every record to Graylog as GELF 1.1.
// Logging must never crash or block the service: every network failure is counted, reported on
// stderr at most every few seconds, and the in-memory backlog is bounded (oldest records go first).
//
// Hand-written rather than pino-socket, which sends pino's multi-line writes as one datagram each
// (docs/decisions/0001-gelf-transport.md). GELF over UDP needs one message per datagram, chunked past
// 8,192 bytes; this file is that, plus GELF TCP (NUL-framed) with a bounded backlog. The encoding
// itself is in gelf.ts.
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import build from 'pino-abstract-transport';
import { backoffDelay } from '@paredao/contract';
import { chunkGelf, parseGelfUrl, toGelf, type GelfMessage, type GelfTarget } from './gelf.js';

export interface GelfTransportOptions {
  /** `udp://host:port` or `tcp://host:port` (see parseGelfUrl for the query options). */
  url: string;
  /** How long closing the logger may wait for the backlog to reach Graylog. */
  flushTimeoutMs?: number;
  /** TCP reconnect backoff bounds. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

interface Sender {
  send(message: GelfMessage): void;
  close(deadline: number): Promise<void>;
}

const WARN_EVERY_MS = 10_000;
const TCP_BATCH_BYTES = 64 * 1024;
const DNS_REFRESH_MS = 30_000;
const CONNECT_TIMEOUT_MS = 5_000;

/** Counts dropped records and says so on stderr, without flooding it. */
class DropReporter {
  private total = 0;
  private unreported = 0;
  private lastWarn = 0;
  private lastReason = '';

  constructor(private readonly url: string) {}

  drop(reason: string, count = 1): void {
    this.total += count;
    this.unreported += count;
    this.lastReason = reason;
    const now = Date.now();
    if (now - this.lastWarn >= WARN_EVERY_MS) this.report(now);
  }

  report(now = Date.now()): void {
    if (this.unreported === 0) return;
    process.stderr.write(
      `${JSON.stringify({
        level: 40,
        time: now,
        msg: 'gelf transport dropped log records',
        gelfUrl: this.url,
        dropped: this.unreported,
        droppedTotal: this.total,
        reason: this.lastReason,
      })}\n`,
    );
    this.unreported = 0;
    this.lastWarn = now;
  }
}

/** Fixed-capacity FIFO that drops its oldest entry when full. */
class Ring<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  length = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  /** Returns true when the oldest entry had to be dropped. */
  push(item: T): boolean {
    if (this.length === this.capacity) {
      this.items[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
      return true;
    }
    this.items[(this.head + this.length) % this.capacity] = item;
    this.length++;
    return false;
  }

  peek(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.length--;
    return item;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

async function waitUntil(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(10);
  }
  return true;
}

/**
 * GELF TCP: uncompressed JSON, each message followed by a NUL byte. Records queue in a bounded ring
 * while disconnected or while the socket asks us to wait for 'drain'; reconnects with exponential
 * backoff. GELF TCP has no acknowledgements, so what was in flight when a connection died is lost.
 */
class TcpSender implements Sender {
  private readonly queue: Ring<Buffer>;
  private socket: net.Socket | undefined;
  private connected = false;
  private closing = false;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;

  constructor(
    private readonly target: GelfTarget,
    private readonly drops: DropReporter,
    private readonly minBackoff: number,
    private readonly maxBackoff: number,
  ) {
    this.queue = new Ring(target.maxBufferedRecords);
    this.connect();
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    const socket = net.connect({ host: this.target.host, port: this.target.port });
    this.socket = socket;
    socket.setKeepAlive(true, 10_000);
    // A host that drops SYNs would otherwise hold one attempt for the kernel's ~2 minutes.
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy());
    socket.on('connect', () => {
      socket.setTimeout(0);
      this.connected = true;
      this.attempts = 0;
      this.pump();
    });
    socket.on('drain', () => this.pump());
    // 'close' follows every 'error'; reconnecting happens there.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.connected = false;
      if (this.socket === socket) this.socket = undefined;
      if (!this.closing) this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => this.connect(), backoffDelay(this.attempts++, this.minBackoff, this.maxBackoff));
    this.reconnectTimer.unref();
  }

  send(message: GelfMessage): void {
    if (this.queue.push(Buffer.from(`${JSON.stringify(message)}\0`))) {
      this.drops.drop(this.connected ? 'buffer full: Graylog too slow' : 'buffer full: Graylog unreachable');
    }
    // Batch whatever arrives in the same turn into one write.
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }

  private pump(): void {
    const socket = this.socket;
    while (this.connected && socket && !socket.writableNeedDrain && this.queue.length > 0) {
      const batch: Buffer[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && bytes < TCP_BATCH_BYTES) {
        const next = this.queue.shift() as Buffer;
        batch.push(next);
        bytes += next.length;
      }
      socket.write(batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, bytes));
    }
  }

  async close(deadline: number): Promise<void> {
    // Keep reconnecting until the backlog is out or the deadline passes.
    await waitUntil(() => this.queue.length === 0 && (!this.socket || this.socket.writableLength === 0), deadline);
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.queue.length > 0) this.drops.drop('logger closed before Graylog took the backlog', this.queue.length);
    const socket = this.socket;
    if (socket) {
      // 'finish' = everything handed to the kernel, which still delivers it after we close the fd.
      // Waiting for the peer's FIN instead would hang when the peer is slow (or in this process).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        socket.once('finish', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.end();
      });
      socket.destroy();
    }
  }
}

/**
 * GELF UDP: one message per datagram, chunked above 8192 bytes, optionally gzipped. The host name is
 * resolved once and refreshed every 30 s (a restarted Graylog container may get a new address),
 * instead of a DNS lookup per datagram.
 */
class UdpSender implements Sender {
  private socket: dgram.Socket | undefined;
  private socketType: 'udp4' | 'udp6' = 'udp4';
  private address: string | undefined;
  private resolvedAt = 0;
  private resolving = false;
  private inFlight = 0;
  private readonly pending: Ring<Buffer[]>;

  constructor(
    private readonly target: GelfTarget,
    private readonly drops: DropReporter,
  ) {
    this.pending = new Ring(target.maxBufferedRecords);
    void this.resolve();
  }

  private async resolve(): Promise<void> {
    if (this.resolving) return;
    this.resolving = true;
    try {
      const { address, family } = await lookup(this.target.host);
      const type = family === 6 ? 'udp6' : 'udp4';
      if (!this.socket || this.socketType !== type) {
        this.socket?.close();
        const socket = dgram.createSocket(type);
        this.socketType = type;
        socket.on('error', () => this.drops.drop('udp socket error'));
        socket.unref();
        this.socket = socket;
      }
      this.address = address;
      this.resolvedAt = Date.now();
      let datagrams: Buffer[] | undefined;
      while ((datagrams = this.pending.shift())) this.transmit(datagrams);
    } catch {
      // Records wait in `pending` (bounded) meanwhile; overflow is reported as drops.
      setTimeout(() => void this.resolve(), 1_000).unref();
    } finally {
      this.resolving = false;
    }
  }

  send(message: GelfMessage): void {
    const json = Buffer.from(JSON.stringify(message));
    const payload = this.target.compress ? gzipSync(json) : json;
    const datagrams = chunkGelf(payload);
    if (!datagrams) {
      this.drops.drop(`record of ${payload.length} bytes needs more than 128 GELF chunks`);
      return;
    }
    if (Date.now() - this.resolvedAt > DNS_REFRESH_MS) void this.resolve();
    if (!this.address) {
      if (this.pending.push(datagrams)) this.drops.drop('buffer full: Graylog address not resolved');
      return;
    }
    this.transmit(datagrams);
  }

  private transmit(datagrams: Buffer[]): void {
    const { socket, address } = this;
    if (!socket || !address) return;
    if (this.inFlight >= this.target.maxBufferedRecords) {
      this.drops.drop('too many datagrams waiting for the network');
      return;
    }
    for (const datagram of datagrams) {
      this.inFlight++;
      socket.send(datagram, this.target.port, address, (err) => {
        this.inFlight--;
        if (err) this.drops.drop(`udp send failed: ${err.message}`);
      });
    }
  }

  async close(deadline: number): Promise<void> {
    await waitUntil(() => this.pending.length === 0 && this.inFlight === 0, deadline);
    if (this.pending.length > 0) this.drops.drop('logger closed before Graylog resolved', this.pending.length);
    this.socket?.close();
  }
}

export default async function gelfTransport(options: GelfTransportOptions) {
  const target = parseGelfUrl(options.url);
  const drops = new DropReporter(options.url);
  const sender: Sender =
    target.protocol === 'udp'
      ? new UdpSender(target, drops)
      : new TcpSender(target, drops, options.reconnectMinMs ?? 100, options.reconnectMaxMs ?? 10_000);
  const host = os.hostname();
  const flushTimeoutMs = options.flushTimeoutMs ?? 5_000;

  return build(
    async (source) => {
      for await (const record of source as AsyncIterable<Record<string, unknown>>) {
        try {
          sender.send(toGelf(record, host));
        } catch {
          drops.drop('record could not be encoded as GELF');
        }
      }
    },
    {
      async close() {
        await sender.close(Date.now() + flushTimeoutMs);
        drops.report();
      },
    },
  );
}
