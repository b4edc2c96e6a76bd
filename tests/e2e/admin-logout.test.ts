import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_USER } from '@paredao/testkit/admin';
import { ROOT, startStack, type Stack } from '@paredao/testkit/stack';
import { skipWithoutTool } from '../support/require-tool.js';

// "Sair" when the logout does not go through: the page must not say the operator left while the
// session lives on in the store (an operator on a shared machine would walk away logged in).
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

describe.skipIf(skipWithoutTool({ tool: 'chromium', present: haveChromium, why: `is not at ${CHROMIUM}`, checks: 'tests/e2e/admin-logout.test.ts (a failed logout in a real browser)' }))('logging out of admin.html (real nginx, api and store; Chromium)', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'web/dist/admin.html'))) throw new Error('web/dist/admin.html is missing: run `npm run build` first');
    stack = await startStack();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    page = await (await browser.newContext({ locale: 'pt-BR' })).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const flash = () => page.locator('#flash').textContent();
  const loginNotice = () => page.locator('#login-notice');
  const sessionStatus = async () => (await page.request.get(`${stack.url}/api/admin/session`)).status();

  it('when the api cannot be reached, then the page says the logout failed and keeps the panel; once it is back, the session still works and "Sair" ends it', async () => {
    await page.goto(`${stack.url}/admin.html`);
    await page.getByLabel('Usuário').fill(ADMIN_USER);
    await page.getByLabel('Senha').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Paredões' }).isVisible(), { timeout: 10_000 }).toBe(true);

    await stack.signal('api', 'SIGTERM');
    await page.getByRole('button', { name: 'Sair' }).click();
    await expect.poll(flash, { timeout: 10_000 }).toMatch(/Não foi possível sair: .*Sua sessão continua aberta/);
    expect(await loginNotice().isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Sair' }).isVisible()).toBe(true);

    // What the page said is true: the session is still open.
    await stack.startService('api');
    expect(await sessionStatus()).toBe(200);

    await page.getByRole('button', { name: 'Sair' }).click();
    await expect.poll(async () => (await loginNotice().isVisible()) && (await loginNotice().textContent()), { timeout: 10_000 }).toBe('Você saiu da administração.');
    expect(await sessionStatus()).toBe(401);
  });
});
