import { connect, type Socket } from 'node:net';

/**
 * A lean HTTP/1.1 keep-alive client over node:net, for the benchmark's load generator (load.ts).
 *
 * Why not undici: the generator shares the 2 cores with the system it measures. Measured with
 * bench/load-client.ts (the same open loop, 256 connections, ~700-byte JSON POSTs to a node:http
 * server in another process; generator CPU per request, user + system, median of 3 × 10 s): undici's
 * Pool 89 µs at 5000 req/s and 107 µs at 3000 req/s; this client 57 µs and 66 µs. Most of what is left
 * is the kernel and node's own cost of one write, one read and one wake-up per request (a bare net
 * socket writing a fixed request and counting answers costs ≈ 40-45 µs here). It does only what the
 * generator needs:
 * - up to `connections` sockets, one request in flight per socket (no pipelining), requests queued
 *   FIFO while every socket is busy, sockets opened when a request needs one (or all at once: warm());
 * - a request is one `socket.write` of a string built from a fixed head; a body is sent as JSON;
 * - answers framed by Content-Length, `Transfer-Encoding: chunked`, or the end of the connection;
 *   1xx interim answers are skipped; `Connection: close` (or HTTP/1.0) closes the socket after it;
 * - response headers are skipped, but for the names asked for in `headers` (retry-after, …);
 * - a request whose socket errors, closes or answers garbage before its response is complete gets an
 *   error (no status), as does one in flight longer than `timeoutMs`; the socket is replaced when needed.
 *   A socket that fails to connect (or takes longer than `timeoutMs`) fails the request waiting longest.
 * Not supported: HEAD (its answer's Content-Length announces no body), Expect, upgrades, TLS.
 */

/**
 * `err` set: no HTTP status (refused, reset, closed early, malformed, timed out). `headers`: the names
 * the client was asked to keep (HttpClientOptions.headers), lower-case, that the response carried.
 */
export type ResponseCallback = (err: Error | null, status: number, body: Buffer, headers: ResponseHeaders) => void;

/** Lower-case name → value; a header sent more than once has its values joined with ", ". */
export type ResponseHeaders = Readonly<Record<string, string>>;

export interface HttpResponse {
  status: number;
  body: Buffer;
  headers: ResponseHeaders;
}

export interface HttpClientOptions {
  /** Most sockets open at once. Default 128. */
  connections?: number;
  /** A request in flight longer than this fails and its socket is closed. Default 30 000 ms. */
  timeoutMs?: number;
  /** Response headers to hand to the callback (any case); the others are not even lower-cased. Default none. */
  headers?: string[];
}

const EMPTY = Buffer.alloc(0);
const NO_HEADERS: ResponseHeaders = Object.freeze({});
/** The framing headers the parser always reads. */
const FRAMING = ['content-length', 'transfer-encoding', 'connection'];
const MAX_HEAD = 64 * 1024;

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

const enum Phase {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailer,
  UntilClose,
}

/**
 * Incremental parser of a stream of HTTP/1.1 responses: push() bytes as they arrive, in any split;
 * every complete final response is handed to onResponse, however many one push holds. The pushed
 * buffer may be reused once push returns: whatever the parser keeps, it copies.
 */
export class ResponseParser {
  private pending: Buffer = EMPTY;
  private phase = Phase.Head;
  private remaining = 0;
  private parts: Buffer[] = [];
  private status = 0;
  private closeAfter = false;
  private headers: Record<string, string> | null = null;
  /** Lower-case names of the headers to keep, and the lengths of every name the parser reads. */
  private readonly keep: ReadonlySet<string>;
  private readonly lengths: ReadonlySet<number>;
  /** Set once the stream can no longer be parsed; nothing more is delivered. */
  error: Error | null = null;

  constructor(
    private readonly onResponse: (status: number, body: Buffer, closeAfter: boolean, headers: ResponseHeaders) => void,
    keepHeaders: readonly string[] = [],
  ) {
    this.keep = new Set(keepHeaders.map((h) => h.toLowerCase()));
    this.lengths = new Set([...FRAMING, ...this.keep].map((h) => h.length));
  }

  /** True between the first byte of a response and its end (or while unparsed bytes wait). */
  get busy(): boolean {
    return this.phase !== Phase.Head || this.pending.length > 0;
  }

  push(chunk: Buffer): void {
    if (this.error) return;
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    for (;;) {
      if (this.phase === Phase.Head) {
        const end = buf.indexOf('\r\n\r\n', pos, 'latin1');
        if (end < 0) {
          if (buf.length - pos > MAX_HEAD) return this.fail('response head over 64 KiB');
          break;
        }
        if (!this.head(buf.toString('latin1', pos, end))) return;
        pos = end + 4;
      } else if (this.phase === Phase.Length || this.phase === Phase.ChunkData) {
        const n = Math.min(this.remaining, buf.length - pos);
        if (n > 0) this.parts.push(Buffer.from(buf.subarray(pos, pos + n)));
        pos += n;
        this.remaining -= n;
        if (this.remaining > 0) break;
        if (this.phase === Phase.Length) this.complete();
        else (this.phase = Phase.ChunkEnd), (this.remaining = 2);
      } else if (this.phase === Phase.ChunkEnd) {
        // The CRLF after a chunk's data.
        const n = Math.min(this.remaining, buf.length - pos);
        for (let i = 0; i < n; i++) if (buf[pos + i] !== (this.remaining - i === 2 ? 13 : 10)) return this.fail('chunk not followed by CRLF');
        pos += n;
        this.remaining -= n;
        if (this.remaining > 0) break;
        this.phase = Phase.ChunkSize;
      } else if (this.phase === Phase.ChunkSize || this.phase === Phase.Trailer) {
        const eol = buf.indexOf('\r\n', pos, 'latin1');
        if (eol < 0) {
          if (buf.length - pos > MAX_HEAD) return this.fail('chunk line over 64 KiB');
          break;
        }
        const line = buf.toString('latin1', pos, eol);
        pos = eol + 2;
        if (this.phase === Phase.Trailer) {
          if (line === '') this.complete(); // else: a trailer field, ignored
        } else {
          const hex = (line.indexOf(';') < 0 ? line : line.slice(0, line.indexOf(';'))).trim();
          const size = /^[0-9a-fA-F]{1,8}$/.test(hex) ? parseInt(hex, 16) : NaN;
          if (Number.isNaN(size)) return this.fail(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`);
          if (size === 0) this.phase = Phase.Trailer;
          else (this.phase = Phase.ChunkData), (this.remaining = size);
        }
      } else {
        // Phase.UntilClose: everything up to the end of the connection is the body.
        if (pos < buf.length) this.parts.push(Buffer.from(buf.subarray(pos)));
        pos = buf.length;
        break;
      }
      if (this.error) return;
    }
    this.pending = pos === buf.length ? EMPTY : Buffer.from(buf.subarray(pos));
  }

  /**
   * The connection ended. A body framed by the end of the connection is complete now; returns false
   * if a response was cut short (or unparsed bytes were left).
   */
  end(): boolean {
    if (this.error) return false;
    if (this.phase === Phase.UntilClose) {
      this.complete();
      return true;
    }
    return !this.busy;
  }

  private fail(msg: string): void {
    this.error = new Error(`malformed HTTP response: ${msg}`);
    this.pending = EMPTY;
    this.parts = [];
  }

  /** Parses a status line and headers (without the final CRLFCRLF); false on a malformed head. */
  private head(text: string): boolean {
    // "HTTP/1.1 202 Accepted" (the reason phrase may be empty or missing)
    const after = text.length > 12 ? text.charCodeAt(12) : 32;
    if (!text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 32 || !isDigit(text, 9) || !isDigit(text, 10) || !isDigit(text, 11) || (after !== 32 && after !== 13) || text.charCodeAt(9) === 48) {
      return (this.fail(`bad status line ${JSON.stringify(text.slice(0, 40))}`), false);
    }
    const status = Number(text.slice(9, 12));
    let length = -1;
    let chunked = false;
    let close = text.charCodeAt(7) === 48; // HTTP/1.0: closes unless it says keep-alive
    let headers: Record<string, string> | null = null;
    let at = text.indexOf('\r\n');
    while (at >= 0) {
      const start = at + 2;
      at = text.indexOf('\r\n', start);
      const line = at < 0 ? text.slice(start) : text.slice(start, at);
      const colon = line.indexOf(':');
      // Only the framing names and those asked for matter; compare lengths first so other headers
      // cost no lower-casing.
      if (this.lengths.has(colon)) {
        const name = line.slice(0, colon).toLowerCase();
        if (this.keep.has(name)) {
          const raw = line.slice(colon + 1).trim();
          headers ??= {};
          headers[name] = headers[name] === undefined ? raw : `${headers[name]}, ${raw}`;
        }
        const value = line.slice(colon + 1).trim().toLowerCase();
        if (name === 'content-length') {
          if (!/^\d{1,15}$/.test(value) || (length >= 0 && Number(value) !== length)) return (this.fail(`bad content-length ${JSON.stringify(value)}`), false);
          length = Number(value);
        } else if (name === 'transfer-encoding') {
          chunked = value.endsWith('chunked');
          if (!chunked) close = true; // framed by the end of the connection
        } else if (name === 'connection') {
          if (/(^|[\s,])close($|[\s,])/.test(value)) close = true;
          else if (/(^|[\s,])keep-alive($|[\s,])/.test(value)) close = false;
        }
      }
    }
    if (status < 200) return true; // 100 Continue, 103 Early Hints: the final answer follows
    this.status = status;
    this.closeAfter = close;
    this.headers = headers;
    this.parts = [];
    if (status === 204 || status === 304) this.complete();
    else if (chunked) this.phase = Phase.ChunkSize;
    else if (length >= 0) {
      this.phase = Phase.Length;
      this.remaining = length;
      if (length === 0) this.complete();
    } else {
      this.phase = Phase.UntilClose;
      this.closeAfter = true;
    }
    return true;
  }

  private complete(): void {
    const parts = this.parts;
    const body = parts.length === 0 ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.parts = [];
    this.phase = Phase.Head;
    this.onResponse(this.status, body, this.closeAfter, this.headers ?? NO_HEADERS);
  }
}

interface Pending {
  head: string;
  body: string | undefined;
  done: ResponseCallback;
  sentAt: number;
}

class Connection {
  readonly socket: Socket;
  readonly parser: ResponseParser;
  req: Pending | null = null;
  readonly openedAt = performance.now();
  connected = false;
  /** The socket is not to be given another request (closing, or its stream can't be trusted). */
  retired = false;
  failure: Error | null = null;
  private finished: HttpResponse | null = null;
  private closeAfter = false;

  constructor(private readonly client: HttpClient, host: string, port: number) {
    this.parser = new ResponseParser((status, body, closeAfter, headers) => {
      // A second response to one request, or one nobody asked for: the stream is out of step.
      if (this.req === null || this.finished) return void (this.retired = true);
      this.finished = { status, body, headers };
      this.closeAfter = closeAfter;
    }, client.keepHeaders);
    // onread: the socket reads into the client's one buffer and calls back directly, skipping the
    // Readable stream's machinery per chunk; the parser copies whatever it keeps.
    const onread = { buffer: client.readBuffer, callback: (n: number) => (this.onData(client.readBuffer.subarray(0, n)), true) };
    this.socket = connect({ host, port, noDelay: true, onread });
    this.socket.on('connect', () => {
      this.connected = true;
      this.client.onConnect(this);
    });
    this.socket.on('end', () => {
      this.retired = true;
      if (this.req && this.parser.end() && this.finished) this.settle();
    });
    this.socket.on('error', (err) => void (this.failure ??= err));
    this.socket.on('close', () => this.client.closed(this));
  }

  send(req: Pending): void {
    this.req = req;
    req.sentAt = performance.now();
    this.socket.write(req.body === undefined ? req.head : req.head + req.body);
  }

  private onData(chunk: Buffer): void {
    if (this.req === null) this.retired = true; // bytes nobody asked for
    else this.parser.push(chunk);
    if (this.parser.error) {
      this.failure ??= this.parser.error;
      this.retired = true;
    }
    if (this.finished) this.settle();
    else if (this.retired) this.socket.destroy();
  }

  /** Hands a complete response to its caller, then the socket back to the client (or closes it). */
  private settle(): void {
    const req = this.req!;
    const { status, body, headers } = this.finished!;
    this.req = null;
    this.finished = null;
    // Bytes beyond the response can only be a response to nothing: the socket can't be reused.
    if (this.closeAfter || this.parser.busy) this.retired = true;
    req.done(null, status, body, headers);
    if (this.retired) this.socket.destroy();
    else this.client.release(this);
  }

  /** The request in flight, taken off the socket (it failed). */
  takeRequest(): Pending | null {
    const req = this.req;
    this.req = null;
    return req;
  }
}

export class HttpClient {
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly max: number;
  private readonly timeoutMs: number;
  readonly keepHeaders: readonly string[];
  private readonly conns = new Set<Connection>();
  /** Every socket reads into this (net's `onread`); its bytes are valid only during the callback. */
  readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  private readonly idle: Connection[] = [];
  /** FIFO of requests waiting for a socket: queue[qHead..] */
  private queue: (Pending | undefined)[] = [];
  private qHead = 0;
  /** Sockets opened and not yet connected. */
  private connecting = 0;
  private sweeper: NodeJS.Timeout | null = null;
  private closing = false;
  private onClosed: (() => void) | null = null;
  private warming: { want: number; resolve: () => void; reject: (e: Error) => void } | null = null;

  /** `origin`: http://host:port (a path is ignored). */
  constructor(origin: string | URL, opts: HttpClientOptions = {}) {
    const url = new URL(origin);
    if (url.protocol !== 'http:') throw new TypeError(`HttpClient speaks plain http only, not ${url.protocol}`);
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port || 80);
    this.hostHeader = url.host;
    this.max = Math.max(1, opts.connections ?? 128);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.keepHeaders = opts.headers ?? [];
  }

  /** Sockets open or opening. */
  get size(): number {
    return this.conns.size;
  }

  /**
   * Sends `method path` (with `body` as JSON, if given) on a free socket, or queues it; `done` is
   * called once with the status and the whole body, or with an error.
   */
  request(method: string, path: string, body: string | undefined, done: ResponseCallback): void {
    if (this.closing) return done(new Error('client closed'), 0, EMPTY, NO_HEADERS);
    const head =
      body === undefined
        ? `${method} ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\n\r\n`
        : `${method} ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const req: Pending = { head, body, done, sentAt: 0 };
    // An idle socket the server has since ended (keep-alive timeout) is skipped; its close removes it.
    let conn = this.idle.pop();
    while (conn?.retired) conn = this.idle.pop();
    if (conn) return conn.send(req);
    this.queue.push(req);
    if (this.queue.length - this.qHead > this.connecting && this.conns.size < this.max) this.open();
  }

  /**
   * request() as a promise, for callers that await each answer (the fault driver, presolve); the
   * load generator's hot path keeps the callback. Rejects when there is no status.
   */
  send(method: string, path: string, body?: string): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      this.request(method, path, body, (err, status, resBody, headers) => (err ? reject(err) : resolve({ status, body: resBody, headers })));
    });
  }

  /** Opens every socket the client may have and resolves once all are connected (rejects if one fails or closes meanwhile). */
  warm(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.warming = { want: this.max, resolve, reject };
      while (this.conns.size < this.max) this.open();
      this.checkWarm();
    });
  }

  /** Closes every socket; a request still in flight or queued fails. */
  close(): Promise<void> {
    this.closing = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    for (let req = this.dequeue(); req; req = this.dequeue()) req.done(new Error('client closed'), 0, EMPTY, NO_HEADERS);
    if (this.conns.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.onClosed = resolve;
      for (const c of this.conns) c.socket.destroy();
    });
  }

  private open(): void {
    this.connecting++;
    this.conns.add(new Connection(this, this.host, this.port));
    if (!this.sweeper && this.timeoutMs > 0) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(10, this.timeoutMs / 4)));
      this.sweeper.unref();
    }
  }

  private dequeue(): Pending | undefined {
    if (this.qHead >= this.queue.length) return undefined;
    const req = this.queue[this.qHead];
    this.queue[this.qHead++] = undefined;
    if (this.qHead === this.queue.length) (this.queue = []), (this.qHead = 0);
    else if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) (this.queue = this.queue.slice(this.qHead)), (this.qHead = 0);
    return req;
  }

  onConnect(conn: Connection): void {
    this.connecting--;
    this.release(conn);
  }

  /** A socket connected or finished a response: it takes the next queued request or waits idle. */
  release(conn: Connection): void {
    if (this.closing) return void conn.socket.destroy();
    const req = this.dequeue();
    if (req) conn.send(req);
    else this.idle.push(conn);
    this.checkWarm();
  }

  closed(conn: Connection): void {
    this.conns.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    const err = conn.failure ?? new Error('socket closed before the response was complete');
    let req = conn.takeRequest();
    // A socket that never connected was opened for the request at the head of the queue: that one fails.
    if (!conn.connected) {
      this.connecting--;
      if (!req && !this.closing) req = this.dequeue() ?? null;
    }
    if (this.warming) {
      const w = this.warming;
      this.warming = null;
      w.reject(err);
    }
    if (req) req.done(err, 0, EMPTY, NO_HEADERS);
    if (this.closing) {
      if (this.conns.size === 0 && this.onClosed) this.onClosed();
      return;
    }
    // Requests still waiting need a socket, and this one is gone (one socket opening per waiting request).
    if (this.queue.length - this.qHead > this.connecting && this.conns.size < this.max) this.open();
  }

  private checkWarm(): void {
    if (!this.warming) return;
    if (this.conns.size - this.connecting >= this.warming.want) {
      const w = this.warming;
      this.warming = null;
      w.resolve();
    }
  }

  private sweep(): void {
    const limit = performance.now() - this.timeoutMs;
    for (const c of this.conns) {
      const late = c.req ? c.req.sentAt < limit : !c.connected && c.openedAt < limit;
      if (late) {
        c.failure = new Error(c.req ? `no complete response within ${this.timeoutMs} ms` : `not connected within ${this.timeoutMs} ms`);
        c.retired = true;
        c.socket.destroy();
      }
    }
  }
}
