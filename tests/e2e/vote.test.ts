import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHourRange, utcHourStart } from '@paredao/web/format';
import { adminCookie } from '@paredao/testkit/admin';
import { CHROMIUM, haveChromium, openBrowser, type TestBrowser } from '../support/browser.js';
import { waitFor } from '@paredao/testkit/ports';
import { startStack, type Stack } from '@paredao/testkit/stack';
import { skipWithoutTool } from '../support/require-tool.js';

// Records when the ALTCHA widget reports success; the event does not bubble, so listen in the capture phase.
const RECORD_VERIFIED = `window.addEventListener('verified', () => { window.__verifiedAt ??= performance.now(); }, true);`;

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}

/** Opens the vote page, waits for the proof, picks `name` and taps Votar. */
async function castVote(p: Page, url: string, name: string): Promise<void> {
  await p.goto(`${url}/`);
  await p.locator('#form-voto[data-antibot="verified"]').waitFor({ timeout: 60_000 });
  await p.getByRole('radio', { name }).check();
  await p.locator('#votar:not([disabled])').waitFor();
  await p.getByRole('button', { name: 'Votar' }).click();
}

describe.skipIf(skipWithoutTool({ tool: 'chromium', present: haveChromium, why: `is not at ${CHROMIUM}`, checks: 'tests/e2e/vote.test.ts (a person votes in a real browser)' }))('a person votes in a real browser, through nginx, against the real pipeline', () => {
  let stack: Stack;
  let browser: TestBrowser | undefined;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    browser = await openBrowser({
      viewport: { width: 360, height: 740 },
      locale: 'pt-BR',
      // Far from Brasília on purpose: the pages must show hours in America/Sao_Paulo whatever the device says.
      timezoneId: 'Asia/Tokyo',
    });
    ({ context, page } = browser);
    await context.addInitScript(RECORD_VERIFIED);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('when a person picks participant 1 and votes, then the results page confirms it and the stream shows the vote', async () => {
    await page.goto(`${stack.url}/`);
    await page.getByRole('radio', { name: 'Participante 1' }).waitFor();

    // The proof of work starts on load and really runs in Chromium's workers.
    await page.locator('#form-voto[data-antibot="verified"]').waitFor({ timeout: 60_000 });
    const verifiedAt = Number(await page.evaluate('window.__verifiedAt'));
    const loadEnd = Number(await page.evaluate('performance.getEntriesByType("navigation")[0].loadEventEnd'));
    console.log(
      `anti-bot widget verified ${Math.round(verifiedAt)} ms after navigation start, ` +
        `${Math.round(verifiedAt - loadEnd)} ms after the load event (measured, not asserted)`,
    );
    expect(verifiedAt).toBeGreaterThan(0);

    const votar = page.getByRole('button', { name: 'Votar' });
    expect(await votar.isDisabled()).toBe(true);
    await page.getByRole('radio', { name: 'Participante 1' }).check();
    await page.locator('#votar:not([disabled])').waitFor();
    await votar.click();

    await page.waitForURL(/\/resultado\.html\?voto=participante-1$/u, { timeout: 15_000 });
    await page.getByRole('heading', { name: 'Seu voto para Participante 1 foi confirmado!' }).waitFor();

    // A fresh store: once the consumer has applied the vote, the stream pushes 1 vote, all of it for participant 1.
    await waitFor('the results page to show 1 voto', async () => (await text(page, '#total')) === '1 voto', 20_000, 200);
    expect(await text(page, 'li[data-candidate="participante-1"] .result-pct')).toBe('100,0%');
    expect(await text(page, 'li[data-candidate="participante-2"] .result-pct')).toBe('0,0%');
    expect(await text(page, 'li[data-candidate="participante-1"] .result-badge')).toBe('Seu voto');
    // Delivered by Server-Sent Events through nginx, not by the polling fallback.
    expect(await page.locator('#ao-vivo').getAttribute('data-mode')).toBe('live');
    // The results URL through nginx is micro-cached for 1 s: it shows the vote within about that.
    await waitFor('the results URL to count the vote', async () => (await stack.results()).total >= 1, 5000, 100);
    expect(pageErrors).toEqual([]);
  });

  it('when someone without a session opens the production panel, then they are sent to the login', async () => {
    await page.goto(`${stack.url}/painel.html`);
    await page.waitForURL(/\/admin\.html\?next=\/painel\.html$/);
    const direct = await fetch(`${stack.url}/painel`, { redirect: 'manual' });
    expect(direct.status).toBe(302);
  });

  it('when the production panel opens, then it shows the total and the hour of the vote in Brasília time', async () => {
    const [name, value] = (await adminCookie(stack.url)).split('=') as [string, string];
    await context.addCookies([{ name, value, url: stack.url }]);
    await waitFor('the results URL to count the vote', async () => (await stack.results()).total >= 1, 5000, 100);
    const results = await stack.results();
    const voteHour = results.hourly[0]?.hour;
    expect(voteHour).toBeDefined();
    const hourKey = new Date(voteHour!).toISOString();

    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${stack.url}/painel.html`);
    await waitFor('the panel total', async () => (await text(page, '#total-geral')) === String(results.total), 15_000, 200);

    const row = page.locator(`#tabela-horas tr[data-hour="${hourKey}"]`);
    await row.waitFor();
    expect(await text(page, `#tabela-horas tr[data-hour="${hourKey}"] th`)).toContain(formatHourRange(hourKey));
    expect(await text(page, `#tabela-horas tr[data-hour="${hourKey}"] td:last-child`)).toBe('1');
    // The hour on air is always listed (with zero votes if it has none yet).
    await page.locator(`#tabela-horas tr[data-hour="${utcHourStart(new Date())}"]`).waitFor();
    expect(await page.locator('#grafico svg rect.seg').count()).toBeGreaterThanOrEqual(1);
    expect(await text(page, '#tabela-participantes tbody tr[data-candidate="participante-1"] td:last-child')).toBe('100,0%');
    expect(pageErrors).toEqual([]);
  });

  it('when the person goes back and votes again, then the page solves the challenge that came with the 202: no GET /api/challenge', async () => {
    const challengeRequests: string[] = [];
    const onRequest = (r: { url: () => string }) => {
      if (r.url().includes('/api/challenge')) challengeRequests.push(r.url());
    };
    page.on('request', onRequest);
    try {
      const before = (await stack.results()).total;
      await castVote(page, stack.url, 'Participante 2');
      await page.waitForURL(/\/resultado\.html\?voto=participante-2$/u, { timeout: 15_000 });
      await waitFor('the second vote counted', async () => (await stack.results()).total === before + 1, 20_000, 200);
      expect(challengeRequests).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      page.off('request', onRequest);
    }
  });

  it('when the first GET /api/challenge fails on the network, then the page says the check failed, tries again by itself, and the check is ticked once solved', async () => {
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (err) => errors.push(err.message));
    let failed = 0;
    // The first challenge request fails as a dropped connection does; the rest reach the api.
    await tab.route('**/api/challenge', (route) => (failed++ === 0 ? route.abort('connectionreset') : route.continue()));
    try {
      await tab.goto(`${stack.url}/`);
      await tab.locator('#antibot-status[data-state="error"]').waitFor({ timeout: 30_000 });
      await tab.getByRole('alert').filter({ hasText: 'Não conseguimos concluir a verificação anti-robô' }).waitFor();
      expect(await tab.locator('#antibot-feito').isChecked()).toBe(false);
      await tab.locator('#form-voto[data-antibot="verified"]').waitFor({ timeout: 60_000 });
      expect(failed).toBe(2);
      expect(await tab.locator('#antibot-feito').isChecked()).toBe(true);
      expect(await text(tab, '#antibot-status')).toBe('Verificação concluída. Você já pode votar.');
      expect(await text(tab, '#alerta')).toBe('');
      expect(errors).toEqual([]);
    } finally {
      await tab.close();
    }
  });

  it('when the api takes a vote but its answer is lost, then the page resends the same proof, is told it was used, and confirms the vote: counted once', async () => {
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (err) => errors.push(err.message));
    const sent: unknown[] = [];
    const answers: number[] = [];
    // Every vote reaches the real api through nginx. The first one's answer (its 202) is replaced on the
    // way back by a 503, as a connection lost after the api took the vote would leave the page guessing.
    await tab.route('**/api/votes', async (route) => {
      sent.push(route.request().postDataJSON());
      const res = await route.fetch();
      answers.push(res.status());
      if (sent.length > 1) return route.fulfill({ response: res });
      return route.fulfill({ status: 503, headers: { 'content-type': 'application/json', 'retry-after': '1' }, body: JSON.stringify({ error: { code: 'broker_unavailable', message: 'answer lost' } }) });
    });
    try {
      const before = (await stack.results()).total;
      await castVote(tab, stack.url, 'Participante 1');
      await tab.waitForURL(/\/resultado\.html\?voto=participante-1$/u, { timeout: 30_000 });
      await tab.getByRole('heading', { name: 'Seu voto para Participante 1 foi confirmado!' }).waitFor();
      // The retry carried the same proof for the same choice, and the api refused it as used.
      expect(sent).toHaveLength(2);
      expect(sent[1]).toEqual(sent[0]);
      expect(answers).toEqual([202, 403]);
      await waitFor('the vote counted', async () => (await stack.results()).total === before + 1, 20_000, 200);
      expect(errors).toEqual([]);
    } finally {
      await tab.close();
    }
  });

  it('when the production team closes voting and opens a new paredão, then the open vote page follows live', async () => {
    const cookie = await adminCookie(stack.url);
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${stack.url}${path}`, { method, headers: { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    await page.goto(`${stack.url}/`);
    await page.locator('#form-voto[data-antibot="verified"]').waitFor({ timeout: 30_000 });
    await page.evaluate(() => ((globalThis as unknown as { __sameDocument: boolean }).__sameDocument = true));

    const current = (await (await fetch(`${stack.url}/api/paredao`)).json()) as { id: string };
    expect((await admin('POST', `/api/admin/paredoes/${current.id}/close`)).status).toBe(200);
    await page.getByText('Votação encerrada').first().waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

    const created = (await (await admin('POST', '/api/admin/paredoes', { title: 'Paredão seguinte', candidates: [{ name: 'Dora' }, { name: 'Edu' }, { name: 'Fabi' }] })).json()) as { id: string };
    expect((await admin('POST', `/api/admin/paredoes/${created.id}/open`)).status).toBe(200);
    await page.getByText('Paredão seguinte').first().waitFor({ timeout: 15_000 });
    await page.getByText('Fabi').first().waitFor();
    expect(pageErrors).toEqual([]);
  });
});
