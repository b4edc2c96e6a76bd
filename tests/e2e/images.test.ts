import { randomBytes } from 'node:crypto';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCookie } from '@paredao/testkit/admin';
import { plainRequest } from '../support/http.js';
import { startStack, type Stack } from '@paredao/testkit/stack';

/** GET /api/images/:id answered by the api itself, whatever the status (one worker: its /metrics counts every one). */
async function imageReads(stack: Stack): Promise<number> {
  const text = await (await fetch(`${stack.apiUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('http_requests_total{') && l.includes('route="/api/images/:id"') && l.includes('method="GET"'))
    .reduce((sum, l) => sum + Number(l.split(/\s+/).at(-1)), 0);
}

function photo(): Buffer {
  const png = new PNG({ width: 32, height: 32 });
  png.data = randomBytes(32 * 32 * 4);
  return PNG.sync.write(png);
}

describe('participant photos behind nginx: cached at the edge, misses limited per address', () => {
  let stack: Stack;
  let imageUrl: string;
  let stored: Buffer;

  beforeAll(async () => {
    stack = await startStack();
    const cookie = await adminCookie(stack.url);
    const res = await fetch(`${stack.url}/api/admin/images`, { method: 'POST', headers: { cookie, 'content-type': 'image/png' }, body: photo() });
    expect(res.status).toBe(201);
    imageUrl = ((await res.json()) as { imageUrl: string }).imageUrl;
    // What the api serves (encoded again at upload), read once past nginx.
    stored = Buffer.from(await (await fetch(`${stack.apiUrl}${imageUrl}`)).arrayBuffer());
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('when 60 readers ask for one photo at once, then the api reads it once and every reader gets it, with one nosniff and a sandbox CSP', async () => {
    const before = await imageReads(stack);
    const answers = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        // A query string must not turn a hit into a miss.
        const res = await fetch(`${stack.url}${imageUrl}${i % 2 ? `?bust=${i}` : ''}`);
        return { res, body: Buffer.from(await res.arrayBuffer()) };
      }),
    );
    expect((await imageReads(stack)) - before).toBe(1);
    for (const { res, body } of answers) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(Buffer.compare(body, stored)).toBe(0);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
      expect(res.headers.get('x-request-id')).toBeNull();
    }

    // Later readers: still the copy at the edge.
    for (let i = 0; i < 5; i++) expect((await fetch(`${stack.url}${imageUrl}`)).status).toBe(200);
    expect((await imageReads(stack)) - before).toBe(1);
  });

  it('when one address reads a photo the edge holds far more often than the miss limit allows, then every read is 200 and the api is not asked', async () => {
    expect((await fetch(`${stack.url}${imageUrl}`)).status).toBe(200);
    const before = await imageReads(stack);
    // Many voters behind one address (carrier NAT) loading the page at once: 400 hits, past a burst of 150.
    const answers = await Promise.all(Array.from({ length: 400 }, () => plainRequest(`${stack.url}${imageUrl}`, { localAddress: '127.0.0.33' })));
    expect(answers.filter((a) => a.status !== 200).map((a) => a.status)).toEqual([]);
    expect((await imageReads(stack)) - before).toBe(0);
  });

  it('when one address asks for hundreds of made-up photo ids, then past the burst it gets 429 and the api sees a bounded number; another address still gets its photo', async () => {
    const flooder = '127.0.0.31';
    const before = await imageReads(stack);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 400 }, () => plainRequest(`${stack.url}/api/images/${randomBytes(12).toString('hex')}`, { localAddress: flooder })),
    );
    const seconds = (Date.now() - started) / 1000;
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 404 || s === 429)).toBe(true);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(100);
    expect(JSON.parse(limited[0]!.body)).toMatchObject({ error: { code: 'rate_limited' } });
    expect(limited[0]!.headers['retry-after']).toBe('2');
    // Burst 150, then 30 a second. The refusal comes from the default server, through the site's.
    const reached = (await imageReads(stack)) - before;
    expect(reached).toBe(statuses.filter((s) => s === 404).length);
    expect(reached).toBeLessThanOrEqual(150 + Math.ceil(30 * seconds) + 1);

    const other = await plainRequest(`${stack.url}${imageUrl}`, { localAddress: '127.0.0.32' });
    expect(other.status).toBe(200);

    // The limited address cannot reach the miss path itself, with an address of its choosing.
    const u = new URL(`${stack.url}/api/images/${randomBytes(12).toString('hex')}`);
    const forgedHeaders: Record<string, string>[] = [
      { host: 'paredao-image-miss.internal', 'x-forwarded-for': '203.0.113.9' },
      { host: 'paredao-image-miss.internal', 'x-forwarded-for': '203.0.113.9', 'x-paredao-image-miss': 'guess' },
    ];
    for (const headers of forgedHeaders) {
      for (const localAddress of [flooder, '127.0.0.1']) {
        const forged = await plainRequest(u.href, { localAddress, headers });
        expect(forged.status, `${localAddress} ${JSON.stringify(headers)}`).toBe(421);
      }
    }
  });
});
