import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface PlainResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface PlainRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /**
   * Source address on the loopback (127.0.0.2, …): another client as nginx sees it, so a test can be
   * a trusted front hop, or a client with its own rate-limit key.
   */
  localAddress?: string;
  /** CA to trust for https (a test's self-signed certificate). */
  ca?: string | Buffer;
}

/** One request with what fetch cannot set: the source address and a private CA. Never follows redirects. */
export function plainRequest(url: string, { method = 'GET', headers = {}, body, localAddress, ca }: PlainRequest = {}): Promise<PlainResponse> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      u,
      { method, headers: { ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }), ...headers }, localAddress, ca, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
