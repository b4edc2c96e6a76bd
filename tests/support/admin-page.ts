// admin.html as the browser tests drive it: the browser, the login, a paredão's card, the confirm dialog.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page, type Response } from 'playwright-core';
import { expect } from 'vitest';
import { ADMIN_USER } from '@paredao/testkit/admin';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

export async function launch(): Promise<Browser> {
  // launch() gives the browser a fresh temporary --user-data-dir of its own and removes it on close.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function login(page: Page, base: string, password: string): Promise<Response | null> {
  const res = await page.goto(`${base}/admin.html`);
  await page.getByLabel('Usuário').fill(ADMIN_USER);
  await page.getByLabel('Senha').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
  return res;
}

/** The card of a paredão in the list, by its title. */
export function card(page: Page, title: string): Locator {
  return page.getByRole('listitem', { name: title, exact: true });
}

export async function confirmAction(page: Page, card: Locator, action: 'Abrir votação' | 'Encerrar votação'): Promise<void> {
  await card.getByRole('button', { name: action }).click();
  const dialog = page.getByRole('dialog', { name: action });
  await expect.poll(() => dialog.isVisible()).toBe(true);
  await dialog.getByRole('button', { name: action }).click();
}
