import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '@paredao/testkit/stack';
import { checkBrowserAnswers } from '../support/record-answers.js';
import { skipWithoutTool } from '../support/require-tool.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

// The api overloaded by configuration (VOTE_MAX_IN_FLIGHT=0: every vote is refused with 503
// overloaded), through nginx, and the real vote page in Chromium: it must tell the voter, wait out
// Retry-After before sending again, and send the same choice. (That a refused vote's proof is accepted
// later is tests/component/overload.test.ts.)
describe.skipIf(skipWithoutTool({ tool: 'chromium', present: haveChromium, why: `is not at ${CHROMIUM}`, checks: 'tests/e2e/overload-retry.test.ts (the page honours Retry-After)' }))(
  'the vote page when the api refuses votes as overloaded',
  () => {
    let stack: Stack;
    let context: BrowserContext;
    let page: Page;
    let userDataDir = '';

    beforeAll(async () => {
      stack = await startStack({ env: { VOTE_MAX_IN_FLIGHT: '0', VOTE_RETRY_AFTER_SECONDS: '2' } });
      userDataDir = mkdtempSync(join(tmpdir(), 'paredao-chromium-'));
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        viewport: { width: 360, height: 740 },
        locale: 'pt-BR',
      });
      checkBrowserAnswers(context);
      page = context.pages()[0] ?? (await context.newPage());
    });

    afterAll(async () => {
      await context?.close();
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
      await stack?.stop();
    });

    it('when a vote is refused with 503 and Retry-After, then the page says so and sends the same choice again, each time no sooner than Retry-After', async () => {
      // Times from the browser's own clock (resource timing): when each vote was sent and when its
      // answer began to arrive.
      const votes: { sentAt: number; at: number; status: number; retryAfter: number | null; body: unknown }[] = [];
      page.on('response', (res) => {
        if (!res.url().endsWith('/api/votes') || res.request().method() !== 'POST') return;
        const header = res.headers()['retry-after'];
        const t = res.request().timing();
        votes.push({ sentAt: t.startTime, at: t.startTime + t.responseStart, status: res.status(), retryAfter: header === undefined ? null : Number(header), body: res.request().postDataJSON() });
      });

      await page.goto(`${stack.url}/`);
      await page.getByRole('radio', { name: 'Participante 2' }).check();
      await page.locator('#votar:not([disabled])').waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Votar' }).click();

      // Refused: the voter is told, with a countdown, and the page waits.
      await page.getByRole('alert').filter({ hasText: 'Muita gente votando agora' }).waitFor();
      expect(await page.locator('#contagem').textContent()).toMatch(/^Tentando de novo em \d segundos?…$/u);
      await expect.poll(() => votes.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
      const [first] = votes;
      // nginx passed the api's refusal through with its Retry-After (2 to 4 s).
      expect(first!.status).toBe(503);
      expect(first!.retryAfter).toBeGreaterThanOrEqual(2);
      expect(first!.retryAfter).toBeLessThanOrEqual(4);
      // The second attempt went out no sooner than Retry-After after the first answer.
      expect(votes[1]!.sentAt - first!.at).toBeGreaterThanOrEqual(first!.retryAfter! * 1000);

      // A third attempt, again no sooner than its Retry-After, with the same choice and the same proof.
      await expect.poll(() => votes.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < votes.length; i++) {
        const answer = votes[i - 1]!;
        expect(answer.status).toBe(503);
        expect(votes[i]!.sentAt - answer.at, `attempt ${i + 1}`).toBeGreaterThanOrEqual(answer.retryAfter! * 1000);
        expect(votes[i]!.body).toEqual(first!.body);
      }
      expect(first!.body).toMatchObject({ candidateId: 'participante-2' });
      expect(await page.getByRole('radio', { name: 'Participante 2' }).isChecked()).toBe(true);
    });
  },
);
