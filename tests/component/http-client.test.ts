import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { runFaultLoad, voteIdOfProof } from '@paredao/testkit/fault-load';
import { HttpClient, ResponseParser, type ResponseCallback, type ResponseHeaders } from '@paredao/testkit/http-client';
import { runLoad } from '@paredao/testkit/load';
import { waitFor } from '@paredao/testkit/ports';
import { skipWithoutTool } from '../support/require-tool.js';

interface Answer {
  err: Error | null;
  status: number;
  body: string;
}

/** client.request as a promise. */
function ask(client: HttpClient, method: string, path: string, body?: string): Promise<Answer> {
  return new Promise((resolve) => {
    const done: ResponseCallback = (err, status, b) => resolve({ err, status, body: b.toString() });
    client.request(method, path, body, done);
  });
}

const servers: (HttpServer | NetServer)[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of servers.splice(0)) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function listen<S extends HttpServer | NetServer>(server: S): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(origin: string, opts: ConstructorParameters<typeof HttpClient>[1] = {}): HttpClient {
  const c = new HttpClient(origin, opts);
  clients.push(c);
  return c;
}

/**
 * A raw TCP server: `answer(socket, n)` is called when the n-th request (0-based, over all sockets)
 * has fully arrived (head, plus Content-Length bytes of body). Counts connections.
 */
function rawServer(answer: (socket: Socket, n: number) => void) {
  const stats = { connections: 0, requests: 0, heads: [] as string[], clientEnded: 0 };
  const server = createNetServer((socket) => {
    stats.connections++;
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.subarray(end + 4 + length);
        stats.heads.push(head);
        answer(socket, stats.requests++);
      }
    });
    socket.on('end', () => stats.clientEnded++);
    socket.on('error', () => {});
  });
  return { server, stats };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ResponseParser: HTTP/1.1 framing', () => {
  const collect = () => {
    const got: { status: number; body: string; close: boolean }[] = [];
    const parser = new ResponseParser((status, body, close) => got.push({ status, body: body.toString(), close }));
    return { got, parser };
  };

  it('when a chunked response with an extension and a trailer arrives one byte at a time, then one response with the joined body comes out at the last byte', () => {
    const { got, parser } = collect();
    const wire = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: y\r\n\r\n');
    for (let i = 0; i < wire.length; i++) {
      expect(got).toHaveLength(0);
      parser.push(wire.subarray(i, i + 1));
    }
    expect(got).toEqual([{ status: 200, body: 'hello, world!!!', close: false }]);
    expect(parser.busy).toBe(false);
  });

  it('when two responses and the head of a third arrive in one chunk, then the two come out in order and the third waits for its body', () => {
    const { got, parser } = collect();
    parser.push(Buffer.from('HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\nHTTP/1.1 503 x\r\nCONTENT-LENGTH: 4\r\n\r\nab'));
    expect(got).toEqual([
      { status: 202, body: '{}', close: false },
      { status: 429, body: '', close: false },
    ]);
    expect(parser.busy).toBe(true);
    parser.push(Buffer.from('cd'));
    expect(got[2]).toEqual({ status: 503, body: 'abcd', close: false });
  });

  it('when 100 Continue precedes the answer, then only the final answer comes out; 204 and 304 carry no body', () => {
    const { got, parser } = collect();
    parser.push(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz'));
    expect(got.map((g) => [g.status, g.body])).toEqual([
      [204, ''],
      [304, ''],
      [200, 'z'],
    ]);
  });

  it('when the answer says Connection: close, or is HTTP/1.0, or has no length, then it is marked close (a body without a length ends with the connection)', () => {
    const { got, parser } = collect();
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 1\r\n\r\na'));
    parser.push(Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nb'));
    parser.push(Buffer.from('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nc'));
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\nuntil'));
    parser.push(Buffer.from(' the end'));
    expect(got).toHaveLength(3);
    expect(parser.end()).toBe(true);
    expect(got.map((g) => [g.body, g.close])).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
      ['until the end', true],
    ]);
  });

  it('when the pushed buffer is overwritten after push (net onread reuses it), then the bodies already parsed or pending keep their bytes', () => {
    const { got, parser } = collect();
    const shared = Buffer.alloc(64);
    const feed = (s: string) => {
      shared.fill(0x21);
      const n = shared.write(s, 'latin1');
      parser.push(shared.subarray(0, n));
      shared.fill(0x21);
    };
    feed('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    feed('defghij');
    feed('HTTP/1.1 201 Created\r\nContent-');
    feed('Length: 3\r\n\r\nxyz');
    expect(got.map((g) => [g.status, g.body])).toEqual([
      [200, 'abcdefghij'],
      [201, 'xyz'],
    ]);
  });

  it('when the stream is not HTTP (bad status line, bad chunk size, conflicting lengths), then the parser fails and delivers nothing', () => {
    for (const wire of [
      'HELLO\r\n\r\n',
      'HTTP/1.1 2000 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc',
    ]) {
      const { got, parser } = collect();
      parser.push(Buffer.from(wire));
      expect(parser.error, wire).toBeInstanceOf(Error);
      expect(got, wire).toEqual([]);
      expect(parser.end()).toBe(false);
    }
  });
});

describe('HttpClient against node:http', () => {
  it('when it POSTs JSON and GETs, then the server sees the method, path, Host, Content-Type and exact body, and statuses and bodies (chunked too) come back', async () => {
    const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const url = await listen(
      createHttpServer((req, res) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => (body += c));
        req.on('end', () => {
          seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
          if (req.url === '/chunked') {
            res.writeHead(200); // no length: node:http sends it chunked
            res.write('part one, ');
            setTimeout(() => res.end('part two'), 20);
          } else if (req.url === '/busy') res.writeHead(429, { 'retry-after': '1' }).end('{"error":"rate_limited"}');
          else if (req.url === '/down') res.writeHead(503).end();
          else res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ voteId: 'v1', echo: body }));
        });
      }),
    );
    const c = client(url, { connections: 2 });
    const body = JSON.stringify({ candidateId: 'participante-1', altcha: 'é'.repeat(300) });
    const post = await ask(c, 'POST', '/api/votes', body);
    expect(post).toEqual({ err: null, status: 202, body: JSON.stringify({ voteId: 'v1', echo: body }) });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/votes', body });
    expect(seen[0]!.headers).toMatchObject({ host: new URL(url).host, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });

    const chunked = await ask(c, 'GET', '/chunked');
    expect(chunked).toEqual({ err: null, status: 200, body: 'part one, part two' });
    expect(seen[1]!.headers['content-length']).toBeUndefined();
    expect(await ask(c, 'GET', '/busy')).toEqual({ err: null, status: 429, body: '{"error":"rate_limited"}' });
    expect(await ask(c, 'GET', '/down')).toEqual({ err: null, status: 503, body: '' });
    // One at a time: every request reused the first socket.
    expect(c.size).toBe(1);
  });

  it('when 12 requests meet a 3-connection client and a slow server, then at most 3 are in flight, on 3 sockets, served in FIFO order', async () => {
    let inFlight = 0;
    let most = 0;
    const order: string[] = [];
    const sockets = new Set<unknown>();
    const url = await listen(
      createHttpServer((req, res) => {
        sockets.add(req.socket);
        order.push(req.url!);
        most = Math.max(most, ++inFlight);
        setTimeout(() => {
          inFlight--;
          res.end(req.url);
        }, 30);
      }),
    );
    const c = client(url, { connections: 3 });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => ask(c, 'GET', `/${i}`)));
    expect(answers.map((a) => a.body)).toEqual(Array.from({ length: 12 }, (_, i) => `/${i}`));
    expect(most).toBe(3);
    expect(sockets.size).toBe(3);
    expect(order).toEqual(Array.from({ length: 12 }, (_, i) => `/${i}`));
  });

  it('when warm() is awaited, then every connection is open before the first request', async () => {
    let connections = 0;
    const server = createHttpServer((_req, res) => res.end(String(connections)));
    server.on('connection', () => connections++);
    const url = await listen(server);
    const c = client(url, { connections: 5 });
    expect(c.size).toBe(0);
    await c.warm();
    expect(c.size).toBe(5);
    expect(await ask(c, 'GET', '/')).toMatchObject({ status: 200, body: '5' });
  });

  it('when the server never answers, then the request fails after the timeout, and the next one gets a fresh socket', async () => {
    let n = 0;
    const url = await listen(createHttpServer((_req, res) => void (n++ > 0 && res.end('late enough'))));
    const c = client(url, { connections: 1, timeoutMs: 200 });
    const t = performance.now();
    const first = await ask(c, 'GET', '/');
    expect(first.err?.message).toMatch(/within 200 ms/);
    expect(first.status).toBe(0);
    expect(performance.now() - t).toBeGreaterThanOrEqual(190);
    expect(await ask(c, 'GET', '/')).toMatchObject({ err: null, status: 200, body: 'late enough' });
  });

});

describe('HttpClient against a raw TCP server', () => {
  it('when nothing listens, then each queued request fails with the refused connection opened for it, and the client ends up with no socket', async () => {
    const server = createNetServer();
    const url = await listen(server);
    await new Promise<void>((r) => server.close(() => r()));
    servers.pop();
    const c = client(url, { connections: 2 });
    const answers = await Promise.all(Array.from({ length: 5 }, () => ask(c, 'GET', '/')));
    expect(answers.map((a) => [a.status, (a.err as NodeJS.ErrnoException | null)?.code])).toEqual(Array.from({ length: 5 }, () => [0, 'ECONNREFUSED']));
    expect(c.size).toBe(0);
  });

  it('when the answer arrives one byte per TCP write, chunked, then the body is whole and the socket is reused', async () => {
    const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n4\r\nslow\r\n6\r\n bytes\r\n0\r\n\r\n';
    const { server, stats } = rawServer(async (socket) => {
      for (const ch of wire) {
        socket.write(ch);
        await tick();
      }
    });
    const c = client(await listen(server), { connections: 1 });
    expect(await ask(c, 'GET', '/a')).toEqual({ err: null, status: 200, body: 'slow bytes' });
    expect(await ask(c, 'GET', '/b')).toEqual({ err: null, status: 200, body: 'slow bytes' });
    expect(stats.connections).toBe(1);
  });

  it('when the server writes two responses to one request, then the first is the answer and the stray one never reaches the next request (new socket)', async () => {
    const { server, stats } = rawServer((socket, n) => {
      if (n === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirstHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray');
      else socket.write('HTTP/1.1 201 Created\r\nContent-Length: 6\r\n\r\nsecond');
    });
    const c = client(await listen(server), { connections: 1 });
    expect(await ask(c, 'GET', '/1')).toEqual({ err: null, status: 200, body: 'first' });
    expect(await ask(c, 'GET', '/2')).toEqual({ err: null, status: 201, body: 'second' });
    expect(stats.connections).toBe(2);
  });

  it('when the answer says Connection: close but the server keeps the socket open, then the client closes it and opens another for the next request', async () => {
    const { server, stats } = rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'));
    const c = client(await listen(server), { connections: 1 });
    expect(await ask(c, 'GET', '/1')).toMatchObject({ err: null, status: 200, body: 'ok' });
    expect(await ask(c, 'GET', '/2')).toMatchObject({ err: null, status: 200, body: 'ok' });
    expect(stats.connections).toBe(2);
    await waitFor('the client to end the kept-open socket', async () => stats.clientEnded >= 1, 5_000, 5);
  });

  it('when the server closes an idle keep-alive socket (its keep-alive timeout), then the next request opens a new one and succeeds', async () => {
    const { server, stats } = rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      setTimeout(() => socket.end(), 20);
    });
    const c = client(await listen(server), { connections: 1 });
    expect((await ask(c, 'GET', '/')).status).toBe(200);
    await waitFor('the client to drop the socket the server closed', async () => c.size === 0, 5_000, 5);
    expect(await ask(c, 'GET', '/')).toEqual({ err: null, status: 200, body: 'ok' });
    expect(stats.connections).toBe(2);
  });

  it('when the body has no length, then it ends with the connection and counts as an answer', async () => {
    const { server } = rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ');
      setTimeout(() => socket.end('close'), 20);
    });
    const c = client(await listen(server), { connections: 1 });
    expect(await ask(c, 'GET', '/')).toEqual({ err: null, status: 200, body: 'until close' });
  });

  it('when the socket is destroyed mid-body, or the server answers garbage, then that request is an error with no status and the next one succeeds', async () => {
    const { server, stats } = rawServer((socket, n) => {
      if (n === 0) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b');
        setTimeout(() => socket.destroy(), 20);
      } else if (n === 1) socket.write('SMTP ready\r\n\r\n');
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine');
    });
    const c = client(await listen(server), { connections: 1 });
    const cut = await ask(c, 'GET', '/');
    expect(cut.err).toBeInstanceOf(Error);
    expect(cut.status).toBe(0);
    const garbage = await ask(c, 'GET', '/');
    expect(garbage.err?.message).toMatch(/malformed/);
    expect(await ask(c, 'GET', '/')).toEqual({ err: null, status: 200, body: 'fine' });
    expect(stats.connections).toBe(3);
  });
});

describe('runLoad over HttpClient', () => {
  it('when the server answers 202 (chunked JSON), 429 and 503 and resets some sockets, then statuses, accepted ids and errors are counted as such', async () => {
    // Request n: 202 with a voteId for n % 4 == 0, 429 for 1, 503 for 2, and for 3 the socket is reset.
    const { server, stats } = rawServer((socket, n) => {
      const kind = n % 4;
      if (kind === 0) {
        const json = JSON.stringify({ voteId: `vote-${n}`, challenge: { salt: 'x'.repeat(200) } });
        socket.write(`HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n${(10).toString(16)}\r\n${json.slice(0, 10)}\r\n`);
        setTimeout(() => socket.write(`${Buffer.byteLength(json.slice(10)).toString(16)}\r\n${json.slice(10)}\r\n0\r\n\r\n`), 5);
      } else if (kind === 1) socket.write('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 2\r\n\r\n{}');
      else if (kind === 2) socket.write('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
      else socket.resetAndDestroy();
    });
    const url = await listen(server);
    const proofs = Array.from({ length: 40 }, (_, i) => `proof-${i}`);
    const run = await runLoad({ url, ratePerSec: 200, durationSec: 0.2, proofs, candidates: ['a'], connections: 1, maxOutstanding: 100 });
    expect(run.sent).toBe(40);
    expect(run.statuses).toEqual({ 202: 10, 429: 10, 503: 10 });
    expect(run.errors).toBe(10);
    expect(run.accepted).toEqual(Array.from({ length: 10 }, (_, i) => `vote-${i * 4}`));
    expect(run.latency.count).toBe(30);
    // Every request reached the server as a vote with its own proof, in order.
    expect(stats.requests).toBe(40);
    expect(stats.heads[0]).toMatch(/^POST \/api\/votes HTTP\/1\.1\r\n/);
  });

  it('when warmConnections is set, then all connections are open before the first request arrives', async () => {
    let connections = 0;
    let openAtFirstRequest = -1;
    const server = createHttpServer((_req, res) => {
      if (openAtFirstRequest < 0) openAtFirstRequest = connections;
      res.end('{}');
    });
    server.on('connection', () => connections++);
    const url = await listen(server);
    const run = await runLoad({ url: `${url}/api/results`, method: 'GET', ratePerSec: 100, durationSec: 0.2, connections: 20, warmConnections: true });
    expect(openAtFirstRequest).toBe(20);
    expect(connections).toBe(20);
    expect(run.statuses).toEqual({ 200: 20 });
  });

  // Going back to a lower nice value needs root (CAP_SYS_NICE), as the benchmarks run here.
  const notRoot = skipWithoutTool({
    tool: 'root (CAP_SYS_NICE, to lower a nice value again)',
    present: process.getuid?.() === 0,
    checks: "tests/component/http-client.test.ts (runLoad's nice, held across overlapping runs)",
    why: 'is not held: the test runs as another user',
  });
  it.skipIf(notRoot)('when nice is set, then the sending thread runs at it while runs overlap, and at its old value once the last ends', async () => {
    const server = createHttpServer((_req, res) => res.end('{}'));
    const url = `${await listen(server)}/api/results`;
    const before = getPriority();
    const seen: number[] = [];
    const long = runLoad({ url, method: 'GET', ratePerSec: 100, durationSec: 0.4, connections: 2, nice: before + 3, onAnswer: () => seen.push(getPriority()) });
    // A shorter run beside it, ending first, must not put the old value back under the longer one.
    const short = await runLoad({ url, method: 'GET', ratePerSec: 100, durationSec: 0.1, connections: 2, nice: before + 3 });
    const afterShort = getPriority();
    const run = await long;
    expect(short.statuses).toEqual({ 200: 10 });
    expect(run.statuses).toEqual({ 200: 40 });
    expect(afterShort).toBe(before + 3);
    expect(new Set(seen)).toEqual(new Set([before + 3]));
    expect(getPriority()).toBe(before);
  });

  it('when warmConnections is set and nothing listens, then runLoad rejects before sending', async () => {
    const server = createNetServer();
    const url = await listen(server);
    await new Promise<void>((r) => server.close(() => r()));
    servers.pop();
    await expect(runLoad({ url, method: 'GET', ratePerSec: 10, durationSec: 0.1, connections: 3, warmConnections: true })).rejects.toThrow(/ECONNREFUSED/);
  });
});

// The response headers the client hands back (the fault driver reads Retry-After through them) and
// send(), its promise form.
const serve = (handler: (req: IncomingMessage, res: ServerResponse) => void) => listen(createHttpServer(handler));

describe('ResponseParser: the headers asked for', () => {
  const parse = (keep: string[], ...chunks: string[]) => {
    const got: { status: number; body: string; headers: ResponseHeaders }[] = [];
    const parser = new ResponseParser((status, body, _close, headers) => got.push({ status, body: body.toString(), headers }), keep);
    for (const c of chunks) parser.push(Buffer.from(c, 'latin1'));
    return got;
  };

  it('when a response carries an asked-for header in another case, twice, among others, then it comes out lower-case, joined, with its value as sent, and nothing else does', () => {
    const got = parse(
      ['Retry-After', 'x-request-id'],
      'HTTP/1.1 503 Service Unavailable\r\nRETRY-AFTER: 2\r\nContent-Type: text/plain\r\nX-Request-Id: Ab\r\nx-request-id: Cd\r\nContent-Length: 4\r\n\r\nbusy',
    );
    expect(got).toEqual([{ status: 503, body: 'busy', headers: { 'retry-after': '2', 'x-request-id': 'Ab, Cd' } }]);
  });

  it('when a 100 Continue with an asked-for header precedes a final answer without it, then the final answer has no headers', () => {
    const got = parse(['retry-after'], 'HTTP/1.1 100 Continue\r\nRetry-After: 9\r\n\r\n', 'HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}');
    expect(got).toEqual([{ status: 202, body: '{}', headers: {} }]);
  });

  it('when an asked-for header has the length of a framing header, then both are read: the body is framed by Content-Length and the header comes out', () => {
    // Names are pre-filtered by length; x-trace-header has content-length's 14 characters.
    const got = parse(['x-trace-header'], 'HTTP/1.1 200 OK\r\nX-Trace-Header: t1\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 204 No Content\r\n\r\n');
    expect(got).toEqual([
      { status: 200, body: 'abc', headers: { 'x-trace-header': 't1' } },
      { status: 204, body: '', headers: {} },
    ]);
  });
});

describe('HttpClient: headers and send()', () => {
  it('when the server answers 503 with Retry-After, then send() resolves with the status, the body and the header asked for, and a client that asked for none gets none', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(503, { 'retry-after': '3', 'x-other': 'y' });
      res.end('later');
    });
    const res = await client(url, { headers: ['retry-after'] }).send('POST', '/api/votes', '{"a":1}');
    expect(res.status).toBe(503);
    expect(res.body.toString()).toBe('later');
    expect(res.headers).toEqual({ 'retry-after': '3' });
    expect((await client(url).send('GET', '/')).headers).toEqual({});
  });

  it('when nothing listens, then send() rejects with the connection error', async () => {
    const url = await serve(() => {});
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    await expect(client(url).send('GET', '/')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('runFaultLoad over HttpClient', () => {
  const proof = (signature: string) => Buffer.from(JSON.stringify({ challenge: { signature } })).toString('base64');

  it('when the first attempt gets 503 with Retry-After: 2, then the vote is retried with the spare proof no sooner than 2 s later, and only the retry counts as accepted', async () => {
    const proofs = [proof('a'.repeat(64)), proof('b'.repeat(64))];
    const seen: { at: number; voteId: string }[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const voteId = voteIdOfProof((JSON.parse(body) as { altcha: string }).altcha);
        seen.push({ at: performance.now(), voteId });
        if (seen.length === 1) res.writeHead(503, { 'retry-after': '2' }).end();
        else res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ voteId }));
      });
    });
    const r = await runFaultLoad({ url, ratePerSec: 10, durationSec: 0.1, proofs, candidates: ['participante-1'] });
    expect(seen.map((s) => s.voteId)).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(r.accepted).toEqual(['b'.repeat(32)]);
    expect(r.unconfirmed).toEqual(['a'.repeat(32)]);
    expect(r.statuses).toEqual({ '503': 1, '202': 1 });
    expect(r.retries).toBe(1);
    expect(r.gaveUp).toBe(0);
  });
});
