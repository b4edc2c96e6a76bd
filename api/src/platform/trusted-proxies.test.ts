import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trustedProxyEntryError } from './config.js';
import { clientAddress, compileTrust } from './trusted-proxies.js';

// Express's own computation of req.ip (proxy-addr, an Express dependency), to hold the lean path to it.
const proxyaddr = createRequire(import.meta.url)('proxy-addr') as (req: IncomingMessage, trust: (addr: string, i: number) => boolean) => string;

const req = (remoteAddress: string | undefined, xff?: string) =>
  ({ socket: { remoteAddress }, connection: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

describe('clientAddress (req.ip with TRUSTED_PROXIES)', () => {
  const nginx = compileTrust(['loopback', 'unix']);

  it('when the trusted proxy (nginx) sends the request, then the address it appended is the client', () => {
    expect(clientAddress(req('127.0.0.1', '198.51.100.7'), nginx)).toBe('198.51.100.7');
    expect(clientAddress(req('::ffff:127.0.0.1', '198.51.100.7'), nginx)).toBe('198.51.100.7');
    expect(clientAddress(req(undefined, '198.51.100.7'), nginx)).toBe('198.51.100.7'); // the Unix socket
  });
  it('when a client forges X-Forwarded-For through nginx, then only the hop nginx added counts', () => {
    expect(clientAddress(req('127.0.0.1', '1.2.3.4, 198.51.100.7'), nginx)).toBe('198.51.100.7');
  });
  it('when a peer that is not a trusted proxy sends X-Forwarded-For (Grafana, an exporter), then the peer itself is the client', () => {
    expect(clientAddress(req('172.30.1.9', '198.51.100.7'), nginx)).toBe('172.30.1.9');
    const composeProxy = compileTrust(['172.30.253.10']);
    expect(clientAddress(req('172.30.253.10', '198.51.100.7'), composeProxy)).toBe('198.51.100.7');
    expect(clientAddress(req('172.30.253.11', '198.51.100.7'), composeProxy)).toBe('172.30.253.11');
    expect(clientAddress(req(undefined, '198.51.100.7'), composeProxy)).toBe('');
  });
  it('when every hop is trusted, then the farthest address is the client', () => {
    expect(clientAddress(req('10.0.0.1', '203.0.113.9 , 10.0.0.2'), compileTrust(['10.0.0.0/8']))).toBe('203.0.113.9');
  });

  it('on any peer and X-Forwarded-For, then it equals what Express computes (proxy-addr) with the same trust', () => {
    const addr = fc.oneof(fc.constantFrom('127.0.0.1', '::1', '10.1.2.3', '172.30.253.10', '::ffff:127.0.0.1', '2001:db8::5', 'junk', ''), fc.ipV4(), fc.ipV6());
    const trust = compileTrust(['loopback', 'unix', '10.0.0.0/8', '172.30.253.10', '2001:db8::/32']);
    fc.assert(
      fc.property(fc.option(addr, { nil: undefined }), fc.option(fc.array(addr, { maxLength: 5 }), { nil: undefined }), fc.constantFrom(',', ', ', ' ,'), (peer, chain, sep) => {
        const r = req(peer, chain?.join(sep));
        expect(clientAddress(r, trust)).toBe(proxyaddr(r, (a) => trust(a)) ?? '');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('TRUSTED_PROXIES entries', () => {
  it('when an entry is an address, a CIDR, loopback or unix, then it is accepted; anything else is named', () => {
    for (const ok of ['loopback', 'unix', '10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']) expect(trustedProxyEntryError(ok), ok).toBeNull();
    for (const bad of ['nginx', '10.0.0.0/33', '::/129', '10.0.0.1/8/1', '*', '10.0.0.0/x']) expect(trustedProxyEntryError(bad), bad).toMatch(new RegExp(bad.replace(/[*/]/g, '\\$&')));
  });
});
