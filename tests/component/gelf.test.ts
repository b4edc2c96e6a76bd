// The logger against real GELF listeners (a dgram socket and a net server in this process, on random
// ports): what Graylog's GELF inputs would receive, byte for byte.
import dgram from 'node:dgram';
import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLogger, createLogger } from '@paredao/core/log/logger';
import { freePort, waitFor } from '@paredao/testkit/ports';

type Gelf = Record<string, unknown>;

/** GELF 1.1 as Graylog's GelfCodec validates it, plus our own rules on additional fields. */
function expectValidGelf(message: Gelf): void {
  expect(message.version).toBe('1.1');
  expect(typeof message.host).toBe('string');
  expect((message.host as string).length).toBeGreaterThan(0);
  expect(typeof message.short_message).toBe('string');
  expect((message.short_message as string).length).toBeGreaterThan(0);
  expect(typeof message.timestamp).toBe('number');
  expect(Math.abs((message.timestamp as number) - Date.now() / 1000)).toBeLessThan(120);
  expect(Number.isInteger(message.level)).toBe(true);
  expect(message.level).toBeGreaterThanOrEqual(0);
  expect(message.level).toBeLessThanOrEqual(7);
  if ('full_message' in message) expect(typeof message.full_message).toBe('string');
  expect(message).not.toHaveProperty('_id');
  const standard = new Set(['version', 'host', 'short_message', 'full_message', 'timestamp', 'level']);
  for (const [key, value] of Object.entries(message)) {
    if (standard.has(key)) continue;
    expect(key).toMatch(/^_[\w.-]*$/);
    expect(['string', 'number']).toContain(typeof value);
  }
}

/** A GELF UDP input: plain, gzipped and chunked datagrams, chunks reassembled by message id. */
class UdpListener {
  readonly socket = dgram.createSocket('udp4');
  readonly messages: Gelf[] = [];
  readonly raw: string[] = [];
  chunkedMessages = 0;
  private readonly partial = new Map<string, { count: number; parts: Map<number, Buffer> }>();

  async start(): Promise<number> {
    this.socket.on('message', (datagram) => this.receive(datagram));
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this.socket.address().port;
  }

  private receive(datagram: Buffer): void {
    if (datagram[0] === 0x1e && datagram[1] === 0x0f) {
      const id = datagram.subarray(2, 10).toString('hex');
      const seq = datagram[10] as number;
      const count = datagram[11] as number;
      const entry = this.partial.get(id) ?? { count, parts: new Map<number, Buffer>() };
      entry.parts.set(seq, datagram.subarray(12));
      this.partial.set(id, entry);
      if (entry.parts.size < entry.count) return;
      this.partial.delete(id);
      this.chunkedMessages++;
      const ordered = Array.from({ length: entry.count }, (_, i) => entry.parts.get(i) as Buffer);
      this.decode(Buffer.concat(ordered));
      return;
    }
    this.decode(datagram);
  }

  private decode(payload: Buffer): void {
    const json = payload[0] === 0x1f && payload[1] === 0x8b ? gunzipSync(payload) : payload;
    const text = json.toString('utf8');
    this.raw.push(text);
    this.messages.push(JSON.parse(text) as Gelf);
  }

  find(shortMessage: string): Gelf | undefined {
    return this.messages.find((m) => m.short_message === shortMessage);
  }

  close(): void {
    this.socket.close();
  }
}

/** A GELF TCP input: NUL-terminated JSON frames. */
class TcpListener {
  private readonly sockets = new Set<net.Socket>();
  readonly server = net.createServer((socket) => {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      pending += data;
      let end: number;
      while ((end = pending.indexOf('\0')) >= 0) {
        this.messages.push(JSON.parse(pending.slice(0, end)) as Gelf);
        pending = pending.slice(end + 1);
      }
    });
    socket.on('error', () => {});
  });
  readonly messages: Gelf[] = [];

  async start(port = 0): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Stops as a Graylog going away would, with a FIN to each client: resolves once every client has
   * closed its side too, that is once the logger has seen the outage.
   */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.end();
    await closed;
  }
}

/**
 * A TCP GELF logger whose JSON lines also go to a file: the worker thread that sends to Graylog writes
 * that file too, so a test sees when the worker has taken its records.
 */
function tcpLogger(port: number, query = '') {
  const dir = mkdtempSync(join(tmpdir(), 'paredao-gelf-'));
  const file = join(dir, 'log.jsonl');
  const log = createLogger({ service: 'api', level: 'info', gelfUrl: `tcp://127.0.0.1:${port}${query}`, destination: file });
  const taken = () => {
    try {
      return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0; // not created yet
    }
  };
  return {
    log,
    /** Logs `n` records and resolves once the worker has taken them all. */
    async logAndWait(n: number, msg: string): Promise<void> {
      const before = taken();
      for (let seq = 0; seq < n; seq++) log.info({ seq }, msg);
      await waitFor(`the logger's worker to take ${n} records`, async () => taken() >= before + n, 10_000, 20);
    },
    async close(): Promise<void> {
      await closeLogger(log);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const seqs = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('GELF over UDP from createLogger', () => {
  const listener = new UdpListener();
  let log: ReturnType<typeof createLogger>;

  beforeAll(async () => {
    const port = await listener.start();
    log = createLogger({ service: 'api', level: 'debug', gelfUrl: `udp://127.0.0.1:${port}`, destination: '/dev/null' });
  });

  afterAll(async () => {
    await closeLogger(log);
    listener.close();
  });

  it('when the api logs at each level, then each arrives as valid GELF 1.1 with the syslog level', async () => {
    const cases = [
      ['debug', 7],
      ['info', 6],
      ['warn', 4],
      ['error', 3],
      ['fatal', 2],
    ] as const;
    for (const [level] of cases) log[level]({ reqId: `req-${level}`, voteId: `vote-${level}` }, `level check ${level}`);
    for (const [level, syslog] of cases) {
      const message = await waitFor(`the ${level} record`, async () => listener.find(`level check ${level}`), 10_000, 20);
      expectValidGelf(message);
      expect(message.level).toBe(syslog);
      expect(message._reqId).toBe(`req-${level}`);
      expect(message._voteId).toBe(`vote-${level}`);
      expect(message._service).toBe('api');
      expect(message._pid).toBe(process.pid);
    }
  });

  it('when an error is logged, then its stack is the full message and its type an additional field', async () => {
    log.error({ err: new TypeError('store unreachable'), candidateId: 'ana' }, 'apply failed');
    const message = await waitFor('the error record', async () => listener.find('apply failed'), 10_000, 20);
    expectValidGelf(message);
    expect(message.full_message).toMatch(/^TypeError: store unreachable\n\s+at /);
    expect(message._err_type).toBe('TypeError');
    expect(message._err_message).toBe('store unreachable');
    expect(message._candidateId).toBe('ana');
  });

  it('when a record carries credentials, then no secret leaves the process', async () => {
    log.info(
      {
        req: { method: 'POST', headers: { authorization: 'Bearer top-secret-token', cookie: 'sid=top-secret-cookie' } },
        res: { headers: { 'set-cookie': 'sid=top-secret-set-cookie' } },
        password: 'top-secret-password',
        user: { password: 'top-secret-nested' },
        config: { antibotSecret: 'top-secret-antibot', amqpUrl: 'amqp://guest:top-secret-amqp@rabbit:5672', storeUrl: 'mongodb://u:top-secret-mongo@mongo/db' },
        env: { ANTIBOT_SECRET: 'top-secret-env', AMQP_URL: 'amqp://guest:top-secret-env-amqp@rabbit:5672' },
      },
      'secrets check',
    );
    const message = await waitFor('the secrets record', async () => listener.find('secrets check'), 10_000, 20);
    expectValidGelf(message);
    const raw = listener.raw.find((text) => text.includes('secrets check')) as string;
    expect(raw).not.toMatch(/top-secret/);
    expect(message._req_method).toBe('POST');
    expect(message._req_headers_authorization).toBe('[Redacted]');
    expect(message._config_amqpUrl).toBe('amqp://guest:***@rabbit:5672');
    expect(message._config_storeUrl).toBe('mongodb://u:***@mongo/db');
    expect(message._env_AMQP_URL).toBe('amqp://guest:***@rabbit:5672');
    expect(message._env_ANTIBOT_SECRET).toBe('[Redacted]');
  });

  it('when a record is larger than 8192 bytes, then it arrives whole through GELF chunks', async () => {
    const chunkedBefore = listener.chunkedMessages;
    const fields = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`part${i}`, `${i}`.repeat(9_000)]));
    log.warn({ big: fields }, 'large record');
    const message = await waitFor('the large record', async () => listener.find('large record'), 10_000, 20);
    expectValidGelf(message);
    expect(listener.chunkedMessages).toBeGreaterThan(chunkedBefore);
    for (let i = 0; i < 4; i++) expect(message[`_big_part${i}`]).toBe(`${i}`.repeat(9_000));
  });
});

describe('GELF over TCP from createLogger', () => {
  it('when 10,000 records are logged, then all 10,000 arrive exactly once', async () => {
    const listener = new TcpListener();
    const port = await listener.start();
    const log = createLogger({ service: 'consumer', level: 'info', gelfUrl: `tcp://127.0.0.1:${port}`, destination: '/dev/null' });
    try {
      for (let seq = 0; seq < 10_000; seq++) log.info({ seq, voteId: `v${seq}` }, 'bulk');
      // Shipping runs continuously; closing is not what delivers them.
      await waitFor('10,000 records', async () => listener.messages.length >= 10_000, 20_000, 20);
      await closeLogger(log);
      expect(listener.messages).toHaveLength(10_000);
      const seqs = new Set(listener.messages.map((m) => m._seq));
      expect(seqs.size).toBe(10_000);
      expectValidGelf(listener.messages[9_999] as Gelf);
      expect(listener.messages[0]?._service).toBe('consumer');
    } finally {
      await listener.close();
    }
  });

  // Graylog is down: nothing listens on the port. The worker's first connection attempt, made as it
  // starts, is refused before any record reaches it, so records it has taken wait in its buffer.
  const whileDown = [
    { when: 'Graylog is down at first', then: 'records wait in the buffer and arrive after it comes up', logged: 100, query: '', kept: seqs(0, 100) },
    { when: 'the backlog outgrows the buffer', then: 'the oldest records are dropped and the newest kept', logged: 200, query: '?buffer=50', kept: seqs(150, 50) },
  ];
  for (const { when, then, logged, query, kept } of whileDown) {
    it(`when ${when}, then ${then}`, async () => {
      const port = await freePort();
      const logger = tcpLogger(port, query);
      const listener = new TcpListener();
      try {
        await logger.logAndWait(logged, 'while down');
        await listener.start(port);
        await waitFor('the buffered records', async () => listener.messages.length >= kept.length, 10_000, 20);
        // TCP keeps order: once a record logged after the backlog arrives, no more of the backlog can.
        logger.log.info({ seq: 'marker' }, 'after the backlog');
        await waitFor('the marker record', async () => listener.messages.some((m) => m._seq === 'marker'), 10_000, 20);
        expect(listener.messages.map((m) => m._seq)).toEqual([...kept, 'marker']);
      } finally {
        await logger.close();
        await listener.close();
      }
    });
  }

  it('when Graylog goes away and comes back, then the logger reconnects and later records arrive', async () => {
    const first = new TcpListener();
    const port = await first.start();
    const logger = tcpLogger(port);
    const second = new TcpListener();
    try {
      logger.log.info('before the outage');
      await waitFor('the first record', async () => first.messages.length === 1, 10_000, 20);
      await first.stop();
      await logger.logAndWait(100, 'after the outage');
      await second.start(port);
      await waitFor('the records logged during the outage', async () => second.messages.length >= 100, 10_000, 20);
      expect(second.messages.map((m) => m._seq)).toEqual(seqs(0, 100));
    } finally {
      await logger.close();
      await second.close();
    }
  });
});
