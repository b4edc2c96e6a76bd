import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, haveChromium, openBrowser, type TestBrowser } from '../support/browser.js';
import { startStack, type Stack } from '@paredao/testkit/stack';
import { skipWithoutTool } from '../support/require-tool.js';

/**
 * Live results streams are capped (nginx per address and in total, the api per process).
 * A refused stream must not leave the page blank: it polls /api/results instead. Here the api's cap is
 * 0, so every stream gets 503 stream_full, as at the peak of a big night.
 */
describe.skipIf(skipWithoutTool({ tool: 'chromium', present: haveChromium, why: `is not at ${CHROMIUM}`, checks: 'tests/e2e/live-fallback.test.ts (the results page when the live stream is refused)' }))('the results page when the live stream is refused', () => {
  let stack: Stack;
  let browser: TestBrowser | undefined;
  let page: Page;
  const streamStatuses: number[] = [];

  beforeAll(async () => {
    stack = await startStack({ env: { RESULTS_STREAM_MAX: '0' } });
    browser = await openBrowser();
    page = browser.page;
    page.on('response', (res) => {
      if (res.url().endsWith('/api/results/stream')) streamStatuses.push(res.status());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('when the stream is refused with 503, then the page says it is updating periodically and still shows new votes', async () => {
    await page.goto(`${stack.url}/resultado.html`);
    await page.locator('#ao-vivo[data-mode="polling"]').waitFor({ timeout: 20_000 });
    expect(streamStatuses[0]).toBe(503);
    await page.locator('#totais:not([hidden])').waitFor();
    const before = (await stack.results()).total;
    expect((await stack.vote('participante-1')).status).toBe(202);
    await stack.waitForTotal(before + 1);
    // Polling (every 2 s) picks the new total up without a stream.
    await page.locator('#total', { hasText: new RegExp(`^${before + 1} `) }).waitFor({ timeout: 15_000 });
    expect(await page.locator('#ao-vivo').getAttribute('data-mode')).toBe('polling');
  });
});
