import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runFaultLoad, voteIdOfProof } from './fault-load.js';
import { HttpClient, ResponseParser, type ResponseHeaders } from './http-client.js';

// The response headers the client hands back (the fault driver reads Retry-After through them) and
// send(), its promise form. Framing, pooling and failures: tests/component/http-client.test.ts.

const servers: Server[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(origin: string, opts: ConstructorParameters<typeof HttpClient>[1] = {}): HttpClient {
  const c = new HttpClient(origin, opts);
  clients.push(c);
  return c;
}

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
