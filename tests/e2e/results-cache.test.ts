import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../support/metrics.js';
import { startStack, type Stack } from '@paredao/testkit/stack';

/** GET /api/results answered by the api itself (one worker here: its /metrics counts every one). */
async function upstreamReads(stack: Stack): Promise<number> {
  const text = await (await fetch(`${stack.apiUrl}/metrics`)).text();
  return sample(text, 'http_requests_total', { method: 'GET', route: '/api/results', status_code: '200' }) ?? 0;
}

describe('the results URL behind nginx: a 1 s micro-cache', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('when 300 readers ask within about a second, then the api answers a handful of them and every reader gets the results', async () => {
    const before = await upstreamReads(stack);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, (i % 30) * 30)); // spread over ~0.9 s
        const res = await fetch(`${stack.url}/api/results`);
        return { status: res.status, body: (await res.json()) as { paredaoId?: string; total?: number }, requestId: res.headers.get('x-request-id') };
      }),
    );
    const elapsedS = (Date.now() - started) / 1000;
    expect(answers.every((a) => a.status === 200 && a.body.paredaoId === 'bbb26-paredao-1' && typeof a.body.total === 'number')).toBe(true);
    // A cached copy does not carry another reader's request id.
    expect(answers.every((a) => a.requestId === null)).toBe(true);
    const upstream = (await upstreamReads(stack)) - before;
    // About one per second (plus a background refresh at the edges), not 300.
    expect(upstream).toBeGreaterThanOrEqual(1);
    expect(upstream).toBeLessThanOrEqual(Math.ceil(elapsedS) + 3);
  });
});
