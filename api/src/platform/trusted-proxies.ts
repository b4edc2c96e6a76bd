import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * Which peers may tell the api who the client is (`X-Forwarded-For`, `X-Forwarded-Proto`,
 * `X-Forwarded-Host`): the proxy's own addresses, not a hop count. A hop count trusts whoever is the
 * nearest peer, and on compose's networks that includes Grafana, the exporters and Graylog, each of
 * which could then pick its own rate-limit bucket and log address.
 *
 * Entries: an address, a CIDR, `loopback` (127.0.0.0/8 and ::1) or `unix` (a peer on the api's Unix
 * socket, API_SOCKET, which has no address: only processes of this machine that may open the file).
 */
export type TrustedProxies = readonly string[];

/** The predicate Express's `trust proxy` takes, `(address, hop) => boolean`; hot-path.ts applies the same one. */
export function compileTrust(entries: TrustedProxies): (addr: string | undefined) => boolean {
  const list = new BlockList();
  let unix = false;
  for (const e of entries) {
    if (e === 'unix') unix = true;
    else if (e === 'loopback') {
      list.addSubnet('127.0.0.0', 8, 'ipv4');
      list.addAddress('::1', 'ipv6');
    } else {
      const [addr, bits] = e.split('/') as [string, string | undefined];
      const type = isIP(addr) === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) list.addAddress(addr, type);
      else list.addSubnet(addr, Number(bits), type);
    }
  }
  return (addr) => {
    // A Unix socket peer has no address (node reports undefined; proxy-addr, '').
    if (!addr) return unix;
    const family = isIP(addr);
    return family !== 0 && list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * The client address as Express computes it with `trust proxy` set to `trust` (proxy-addr): the
 * socket's peer, then X-Forwarded-For from right to left, stopping at the first address that is not a
 * trusted proxy. An untrusted peer's X-Forwarded-For is never read.
 */
export function clientAddress(req: IncomingMessage, trust: (addr: string | undefined) => boolean): string {
  const peer = req.socket.remoteAddress;
  const xff = req.headers['x-forwarded-for'];
  if (!trust(peer) || typeof xff !== 'string') return peer ?? '';
  const hops = xff.split(',').map((h) => h.trim()).filter((h) => h !== '');
  let addr = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trust(addr)) break;
    addr = hops[i];
  }
  return addr ?? '';
}
