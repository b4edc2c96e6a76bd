import { connect } from 'node:net';

export interface RawResponse {
  /** null when the server closed (or reset) the connection without a status line. */
  status: number | null;
  headers: Record<string, string>;
  body: string;
  /** How the connection ended when there was no response: 'closed', 'reset' or 'timeout'. */
  ended: string;
}

/**
 * Writes `raw` on a new TCP connection and reads whatever comes back until the server closes (every
 * request says Connection: close). Only the first response is parsed. With `halfClose` the client
 * then sends FIN, as a client that gives up mid-body does (nginx treats that as an abort, 499).
 */
export function rawRequest(port: number, raw: Buffer, { halfClose = false, timeoutMs = 15_000 } = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = connect(port, '127.0.0.1');
    let ended = 'closed';
    const timer = setTimeout(() => {
      ended = 'timeout';
      sock.destroy();
    }, timeoutMs);
    sock.on('connect', () => {
      // A server that refuses early may reset while we still write: that is its answer, not an error.
      sock.write(raw, () => halfClose && sock.end());
    });
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') ended = 'reset';
      else ended = err.code ?? 'error';
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(parse(Buffer.concat(chunks), ended));
    });
  });
}

export function parse(buf: Buffer, ended: string): RawResponse {
  const text = buf.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (!m || headEnd < 0) return { status: null, headers: {}, body: text, ended };
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, headEnd).split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let rest = buf.subarray(Buffer.byteLength(text.slice(0, headEnd + 4), 'latin1'));
  if (headers['transfer-encoding']?.includes('chunked')) {
    const parts: Buffer[] = [];
    for (;;) {
      const nl = rest.indexOf('\r\n');
      const size = nl < 0 ? 0 : parseInt(rest.subarray(0, nl).toString('latin1'), 16);
      if (!size) break;
      parts.push(rest.subarray(nl + 2, nl + 2 + size));
      rest = rest.subarray(nl + 2 + size + 2);
    }
    rest = Buffer.concat(parts);
  } else if (headers['content-length']) {
    rest = rest.subarray(0, Number(headers['content-length']));
  }
  return { status: Number(m[1]), headers, body: rest.toString('utf8'), ended };
}

/**
 * Sends `raw` one byte every `everyMs`: a slowloris client. Resolves with what the server did
 * (a status, or how the connection ended) and how long it held on.
 */
export function slowRequest(port: number, raw: Buffer, everyMs: number, timeoutMs: number): Promise<RawResponse & { ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const sock = connect(port, '127.0.0.1');
    let ended = 'closed';
    let i = 0;
    let ticker: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      ended = 'timeout';
      sock.destroy();
    }, timeoutMs);
    sock.on('connect', () => {
      ticker = setInterval(() => {
        if (i < raw.length && !sock.destroyed) sock.write(raw.subarray(i, ++i));
      }, everyMs);
    });
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      ended = err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : (err.code ?? 'error');
    });
    sock.on('close', () => {
      clearTimeout(timer);
      clearInterval(ticker);
      resolve({ ...parse(Buffer.concat(chunks), ended), ms: Date.now() - started });
    });
  });
}
