import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_USER } from '@paredao/testkit/admin';
import { ROOT, startStack, type Stack } from '@paredao/testkit/stack';
import { card, CHROMIUM, confirmAction, haveChromium, launch, login } from '../support/admin-page.js';
import { checkBrowserAnswers } from '../support/record-answers.js';
import { skipWithoutTool } from '../support/require-tool.js';

// The production team runs the week's paredão from admin.html, through nginx, against the
// real api, RabbitMQ, consumer and SQLite; a voter votes from the real vote page in another context.

const TITLE = 'Paredão E2E';
const NAMES = ['Alice Teste', 'Bruno Teste', 'Carla Teste'] as const;
const VOTED = NAMES[1];
const DIST = join(ROOT, 'web/dist');
// The policy web/README.md documents for the built site; the page must work under it before nginx sends it.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "worker-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
// A 1×1 PNG: small enough for the proxy's body limit, real enough for the browser to decode.
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** Serves admin.html with the production CSP and records every violation the browser reports. */
async function enforceCsp(page: Page, violations: string[]): Promise<void> {
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.route(/\/admin\.html(\?.*)?$/, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': CSP } });
  });
}

describe.skipIf(skipWithoutTool({ tool: 'chromium', present: haveChromium, why: `is not at ${CHROMIUM}`, checks: 'tests/e2e/admin.test.ts (the administration page in a real browser)' }))('administration page: a paredão from draft to audited result', () => {
  let stack: Stack;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    for (const page of ['admin.html', 'index.html']) {
      if (!existsSync(join(DIST, page))) throw new Error(`web/dist/${page} is missing: run \`npm run build\` first`);
    }
    // The harness configures the admin user and the hash of ADMIN_PASSWORD.
    stack = await startStack();
    browser = await launch();
    admin = await browser.newContext({ acceptDownloads: true, locale: 'pt-BR', timezoneId: 'America/Sao_Paulo' });
    checkBrowserAnswers(admin);
    page = await admin.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await enforceCsp(page, cspViolations);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('when the password is wrong, then the login form says so and stays', async () => {
    const ctx = await browser.newContext({ locale: 'pt-BR' });
    try {
      const p = await ctx.newPage();
      await login(p, stack.url, 'not-the-password');
      await expect.poll(() => p.getByRole('alert').filter({ hasText: 'Usuário ou senha incorretos' }).isVisible(), { timeout: 5000 }).toBe(true);
      expect(await p.getByRole('heading', { name: 'Paredões' }).isVisible()).toBe(false);
      const session = await p.request.get(`${stack.url}/api/admin/session`);
      expect(session.status()).toBe(401);
    } finally {
      await ctx.close();
    }
  });

  it('when the login came from the panel (?next=/painel.html), then a successful login lands on the panel', async () => {
    const ctx = await browser.newContext({ locale: 'pt-BR' });
    try {
      const p = await ctx.newPage();
      await p.goto(`${stack.url}/admin.html?next=${encodeURIComponent('/painel.html')}`);
      await p.getByLabel('Usuário').fill(ADMIN_USER);
      await p.getByLabel('Senha').fill(ADMIN_PASSWORD);
      await p.getByRole('button', { name: 'Entrar' }).click();
      await p.waitForURL(`${stack.url}/painel.html`);
      // Already logged in: the login page forwards at once; a foreign next= is ignored.
      await p.goto(`${stack.url}/admin.html?next=/painel.html`);
      await p.waitForURL(`${stack.url}/painel.html`);
      await p.goto(`${stack.url}/admin.html?next=${encodeURIComponent('//example.com/')}`);
      await p.getByRole('heading', { name: 'Paredões' }).waitFor();
      expect(new URL(p.url()).pathname).toBe('/admin.html');
    } finally {
      await ctx.close();
    }
  });

  it('when the team creates, opens, follows, closes, exports and audits a paredão, then every step shows the one vote cast', async () => {
    // Log in.
    const res = await login(page, stack.url, ADMIN_PASSWORD);
    expect(res?.headers()['content-security-policy']).toBe(CSP);
    await page.getByRole('heading', { name: 'Paredões' }).waitFor();
    expect(await page.locator('#whoami').textContent()).toContain(`Conectado como ${ADMIN_USER}`);

    // Create a three-participant draft, with an uploaded photo for the first one.
    await page.getByRole('button', { name: 'Novo paredão' }).click();
    await page.getByLabel('Título').fill(TITLE);
    await page.getByRole('button', { name: 'Adicionar participante' }).click();
    const nameInputs = page.getByLabel('Nome', { exact: true });
    expect(await nameInputs.count()).toBe(3);
    for (const [i, name] of NAMES.entries()) await nameInputs.nth(i).fill(name);
    await page.getByLabel('Ou enviar arquivo').first().setInputFiles({ name: 'alice.png', mimeType: 'image/png', buffer: PNG_1X1 });
    await expect.poll(() => page.getByText('Foto enviada.').isVisible()).toBe(true);
    const photoUrl = await page.getByLabel('Foto (endereço)').first().inputValue();
    expect(photoUrl).toMatch(/^\/api\/images\/[0-9a-f]{24}$/);
    await expect.poll(() => page.getByRole('img', { name: `Foto de ${NAMES[0]}` }).evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(1);
    await page.getByRole('button', { name: 'Salvar rascunho' }).click();

    const ours = card(page, TITLE);
    await ours.waitFor();
    expect(await ours.locator('.adm-badge').textContent()).toBe('Rascunho');
    expect(await ours.textContent()).toContain(NAMES.join(' · '));

    // The store starts with the seed paredão open: opening ours must be refused with the 409 message.
    const seeded = page.getByRole('listitem').filter({ has: page.locator('.adm-badge', { hasText: 'Aberto' }) });
    expect(await seeded.count()).toBe(1);
    await confirmAction(page, ours, 'Abrir votação');
    await expect.poll(() => ours.getByRole('status').textContent()).toMatch(/^Já existe um paredão aberto/);

    await confirmAction(page, seeded, 'Encerrar votação');
    await expect.poll(() => page.locator('.adm-badge', { hasText: 'Aberto' }).count()).toBe(0);
    await confirmAction(page, ours, 'Abrir votação');
    await expect.poll(() => ours.locator('.adm-badge').textContent()).toBe('Aberto');
    const paredao = (await (await page.request.get(`${stack.url}/api/paredao`)).json()) as { title: string; candidates: { id: string; name: string }[] };
    expect(paredao.title).toBe(TITLE);
    expect(paredao.candidates.map((c) => c.name)).toEqual([...NAMES]);

    // A voter, in a context of their own, votes for participant 2.
    await vote(browser, stack, VOTED);

    // Live results: the page polls every 2 s until the vote shows up.
    await ours.getByRole('button', { name: 'Ver resultado' }).click();
    await expect.poll(() => page.locator('#results-kind').textContent()).toMatch(/^Parcial/);
    await expect.poll(() => page.locator('#results-total').textContent(), { timeout: 15_000 }).toBe('1');
    await page.getByRole('button', { name: 'Voltar à lista' }).click();

    // Close it; the final result has the one vote, 100 % for participant 2.
    await confirmAction(page, ours, 'Encerrar votação');
    await expect.poll(() => ours.locator('.adm-badge').textContent()).toBe('Encerrado');
    await ours.getByRole('button', { name: 'Ver resultado' }).click();
    await expect.poll(() => page.locator('#results-kind').textContent()).toMatch(/^Resultado final/);
    await expect.poll(() => page.locator('#results-total').textContent()).toBe('1');
    const rows = page.locator('#results-candidates li');
    expect(await rows.count()).toBe(3);
    const row = async (i: number) => [
      await rows.nth(i).locator('.result-name').textContent(),
      await rows.nth(i).locator('.result-pct').textContent(),
      await rows.nth(i).locator('.result-votes').textContent(),
    ];
    expect(await row(0)).toEqual([NAMES[0], '0,0%', '0 votos']);
    expect(await row(1)).toEqual([VOTED, '100,0%', '1 voto']);
    expect(await row(2)).toEqual([NAMES[2], '0,0%', '0 votos']);
    const hourRows = page.locator('#results-hourly tbody tr');
    expect(await hourRows.count()).toBe(1);
    expect(await hourRows.first().locator('td').allTextContents()).toEqual(['0', '1', '0', '1']);
    expect(await hourRows.first().locator('th').textContent()).toMatch(/^\d{2}\/\d{2} \d{2}:00–\d{2}:00$/);
    await page.getByRole('button', { name: 'Voltar à lista' }).click();

    // Export CSV: a real download with the three participants and the counts.
    const [download] = await Promise.all([page.waitForEvent('download'), ours.getByRole('link', { name: 'Exportar CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^paredao-.+\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    for (const c of paredao.candidates) {
      expect(csv).toMatch(new RegExp(`^${c.id},"${c.name}",${c.name === VOTED ? '1,100.0' : '0,0.0'}$`, 'm'));
    }
    expect(csv).toMatch(/^total,,1,/m);
    const json = ours.getByRole('link', { name: 'Exportar JSON' });
    expect(await json.getAttribute('download')).toMatch(/\.json$/);

    // Audit: the tally matches the vote-by-vote recount.
    await ours.getByRole('button', { name: 'Auditoria' }).click();
    await expect.poll(() => ours.getByRole('status').textContent()).toMatch(/^Confere\. A contagem \(1 voto\)/);

    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});

/** A voter, in a browser context of their own, votes on the real vote page and sees the confirmation. */
async function vote(browser: Browser, stack: Stack, name: string): Promise<void> {
  const ctx = await browser.newContext({ locale: 'pt-BR' });
  try {
    const voter = await ctx.newPage();
    await voter.goto(`${stack.url}/`);
    await expect.poll(() => voter.locator('#antibot-status').getAttribute('data-state'), { timeout: 30_000 }).toBe('verified');
    await voter.getByRole('radio', { name }).check();
    await voter.getByRole('button', { name: 'Votar' }).click();
    await voter.waitForURL(/\/resultado\.html/);
    await voter.getByRole('heading', { name: new RegExp(`^Seu voto para ${name} foi confirmado`) }).waitFor();
  } finally {
    await ctx.close();
  }
}
