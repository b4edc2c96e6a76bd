import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpVerifier } from './verifier.js';

describe('httpVerifier', () => {
  let url: string;
  const seen: { body: string; reqId: string | undefined }[] = [];
  let answer: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ body, reqId: req.headers['x-request-id'] as string | undefined });
      answer(req, res);
    });
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/check`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const reply = (status: number, body: string) => (_req: IncomingMessage, res: ServerResponse) => res.writeHead(status, { 'content-type': 'application/json' }).end(body);

  it('when the provider says valid or not, then that is the answer, and it got the bare CPF', async () => {
    answer = reply(200, '{"valid":true}');
    expect(await httpVerifier(url, 1000).accepts('52998224725', 'req-1')).toBe(true);
    expect(seen.at(-1)).toEqual({ body: '{"cpf":"52998224725"}', reqId: 'req-1' });
    answer = reply(200, '{"valid":false}');
    expect(await httpVerifier(url, 1000).accepts('52998224725', 'req-2')).toBe(false);
  });

  it('when the provider answers anything else, is slow, or is down, then it is 503 verifier_unavailable', async () => {
    for (const a of [reply(500, '{"valid":true}'), reply(200, 'valid'), reply(200, '{"valid":"yes"}'), reply(302, '{}')]) {
      answer = a;
      await expect(httpVerifier(url, 1000).accepts('52998224725', 'r')).rejects.toMatchObject({ status: 503, code: 'verifier_unavailable' });
    }
    answer = () => {}; // never answers
    await expect(httpVerifier(url, 200).accepts('52998224725', 'r')).rejects.toMatchObject({ code: 'verifier_unavailable' });
    await expect(httpVerifier('http://127.0.0.1:1/check', 1000).accepts('52998224725', 'r')).rejects.toMatchObject({ code: 'verifier_unavailable' });
  });
});
