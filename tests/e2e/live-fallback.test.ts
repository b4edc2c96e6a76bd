import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBrowserAnswers } from '../support/record-answers.js';
import { startStack, type Stack } from '@paredao/testkit/stack';
import { skipWithoutTool } from '../support/require-tool.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

/**
 * Live results streams are capped (nginx per address and in total, the api per process).
 * A refused stream must not leave the page blank: it polls /api/results instead. Here the api's cap is
 * 0, so every stream gets 503 stream_full, as at the peak of a big night.
 */
describe.skipIf(skipWithoutTool({ tool: 'chromium', present: haveChromium, why: `is not at ${CHROMIUM}`, checks: 'tests/e2e/live-fallback.test.ts (the results page when the live stream is refused)' }))('the results page when the live stream is refused', () => {
  let stack: Stack;
  let context: BrowserContext;
  let page: Page;
  let userDataDir = '';
  const streamStatuses: number[] = [];

  beforeAll(async () => {
    stack = await startStack({ env: { RESULTS_STREAM_MAX: '0' } });
    userDataDir = mkdtempSync(join(tmpdir(), 'paredao-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    checkBrowserAnswers(context);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('response', (res) => {
      if (res.url().endsWith('/api/results/stream')) streamStatuses.push(res.status());
    });
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
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
