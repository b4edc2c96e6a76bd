import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientIp } from './hot-path.js';

const req = (remoteAddress: string, xff?: string) => ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

describe('clientIp (as Express computes req.ip with trust proxy = hops)', () => {
  it('when one proxy is trusted, then the address nginx appended is the client', () => {
    expect(clientIp(req('127.0.0.1', '198.51.100.7'), 1)).toBe('198.51.100.7');
  });
  it('when a client forges X-Forwarded-For, then only the hop nginx added counts', () => {
    expect(clientIp(req('127.0.0.1', '1.2.3.4, 198.51.100.7'), 1)).toBe('198.51.100.7');
  });
  it('when two proxies are trusted, then the address before them is the client', () => {
    expect(clientIp(req('10.0.0.1', '203.0.113.9 , 10.0.0.2'), 2)).toBe('203.0.113.9');
  });
  it('when no proxy is trusted or there is no header, then the socket peer is the client', () => {
    expect(clientIp(req('127.0.0.1', '198.51.100.7'), 0)).toBe('127.0.0.1');
    expect(clientIp(req('127.0.0.1'), 1)).toBe('127.0.0.1');
  });
  it('when fewer addresses than trusted hops, then the farthest one is the client', () => {
    expect(clientIp(req('127.0.0.1', '198.51.100.7'), 5)).toBe('198.51.100.7');
  });
});
