import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '@paredao/testkit/stack';
import { startCpfProvider, type CpfProvider } from '../support/cpf-provider.js';
import { checkBrowserAnswers } from '../support/record-answers.js';
import { skipWithoutTool } from '../support/require-tool.js';
import { CHROMIUM, haveChromium } from '../support/browser.js';
import { waitFor } from '@paredao/testkit/ports';
import { openParedaoWithRules } from '@paredao/testkit/admin';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const CPF = '529.982.247-25';
const MASKED = '•••.982.247-••';

interface Device {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

/** WCAG 2.1 A/AA violations axe-core finds in the page as it is now, one line each. */
async function axeViolations(page: Page): Promise<string[]> {
  // Runtime.evaluate: not subject to the page's CSP, which allows no injected <script>.
  await page.evaluate(AXE);
  return page.evaluate(`axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((r) => r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`) as Promise<string[]>;
}

describe.skipIf(skipWithoutTool({ tool: 'chromium', present: haveChromium, why: `is not at ${CHROMIUM}`, checks: 'tests/e2e/voters.test.ts (Voto Único accounts with passkeys)' }))(
  'Voto Único accounts in Chromium with a virtual authenticator, through nginx, against a local CPF provider',
  () => {
    let stack: Stack;
    let provider: CpfProvider;
    let browser: Browser;
    let site = '';
    let a: Device;
    let b: Device;
    const pageErrors: string[] = [];

    /**
     * A device: a browser context of its own (cookies, storage) with its own platform authenticator
     * (CDP WebAuthn domain: CTAP2, internal transport, resident keys, user verification that passes).
     */
    async function device(): Promise<Device> {
      const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'pt-BR' });
      checkBrowserAnswers(context);
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      });
      return { context, page, cdp, authenticatorId };
    }

    const open = async (d: Device) => {
      await d.page.goto(`${site}/`);
      await d.page.locator('#unico[data-state]').waitFor();
    };
    const state = (d: Device) => d.page.locator('#unico').getAttribute('data-state');
    const credentials = async (d: Device) => (await d.cdp.send('WebAuthn.getCredentials', { authenticatorId: d.authenticatorId })).credentials;

    async function signUp(d: Device, cpf: string): Promise<void> {
      const form = d.page.locator('#unico-cadastro');
      if (await form.isHidden()) await d.page.getByRole('button', { name: 'Criar conta', exact: true }).click();
      await d.page.getByLabel('CPF').fill(cpf);
      await d.page.getByRole('button', { name: 'Criar conta com passkey' }).click();
    }
    const waitForAlert = (d: Device, re: RegExp) => d.page.locator('#unico-alerta.is-visible', { hasText: re }).waitFor({ timeout: 30_000 });

    beforeAll(async () => {
      provider = await startCpfProvider();
      stack = await startStack({ env: { CPF_VERIFIER_URL: provider.url, VOTER_SIGNUPS_PER_IP: '100' } });
      // Browsers take no IP address as a WebAuthn RP id: the page is opened by name (one of PUBLIC_ORIGINS).
      site = stack.url.replace('127.0.0.1', 'localhost');
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
      a = await device();
      b = await device();
    });

    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
      await provider?.stop();
    });

    it('when the paredão has only Torcida, then the vote page shows no account path', async () => {
      const plain = await device();
      try {
        await plain.page.goto(`${site}/`);
        await plain.page.getByRole('radio', { name: 'Participante 1' }).waitFor();
        expect(await plain.page.locator('#unico').isHidden()).toBe(true);
      } finally {
        await plain.context.close();
      }
    });

    it('when Único is on, then both ways in are offered, in pt-BR, with no axe violation', async () => {
      // The team closes the Torcida-only paredão and opens one with both modes, as admin.html does.
      await openParedaoWithRules(stack.url, {
        title: 'Paredão com Voto Único',
        candidates: ['Participante 1', 'Participante 2'],
        voting: { modes: ['torcida', 'unico'], weights: { unico: 70, torcida: 30 }, showPartials: true },
      });
      await open(a);
      expect(await state(a)).toBe('signed-out');
      await a.page.getByRole('button', { name: 'Entrar com passkey' }).waitFor();
      await a.page.getByRole('button', { name: 'Criar conta', exact: true }).click();
      expect(await a.page.getByRole('button', { name: 'Criar conta', exact: true }).getAttribute('aria-expanded')).toBe('true');
      expect(await axeViolations(a.page)).toEqual([]);
      // Wrong check digits: refused on the page, before any request.
      await a.page.getByLabel('CPF').fill('52998224724');
      expect(await a.page.getByLabel('CPF').inputValue()).toBe('529.982.247-24');
      await a.page.getByRole('button', { name: 'Criar conta com passkey' }).click();
      await a.page.getByText('CPF inválido: confira os 11 números.').waitFor();
      expect(await a.page.getByLabel('CPF').getAttribute('aria-invalid')).toBe('true');
      expect(await axeViolations(a.page)).toEqual([]);
    });

    it('when a person creates an account, then the passkey lives on the device and the page says who is signed in, masked', async () => {
      const asked = provider.asked.length;
      await signUp(a, CPF);
      await a.page.locator('#unico[data-state="signed-in"]').waitFor({ timeout: 30_000 });
      expect(await a.page.locator('#unico-dentro').textContent()).toContain(`Conectado como ${MASKED}`);
      expect(provider.asked.slice(asked)).toEqual(['52998224725']);
      const creds = await credentials(a);
      expect(creds).toHaveLength(1);
      expect(creds[0]!.isResidentCredential).toBe(true);
      expect(creds[0]!.rpId).toBe('localhost');
      // The CPF is gone from the page once used; the cookie is the session's, HttpOnly and SameSite=Strict.
      expect(await a.page.locator('body').textContent()).not.toContain('529.982.247-25');
      const cookie = (await a.context.cookies()).find((c) => c.name === 'paredao_voter');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      expect(await axeViolations(a.page)).toEqual([]);
      // Still signed in after a reload: the session is the server's.
      await open(a);
      expect(await state(a)).toBe('signed-in');
    });

    it('when the person signs out, then the session ends, and the same device signs in again with its passkey', async () => {
      await a.page.getByRole('button', { name: 'Sair' }).click();
      await a.page.locator('#unico[data-state="signed-out"]').waitFor();
      expect((await a.page.request.get(`${site}/api/voters/me`)).status()).toBe(401);
      await a.page.getByRole('button', { name: 'Entrar com passkey' }).click();
      await a.page.locator('#unico[data-state="signed-in"]').waitFor({ timeout: 30_000 });
      expect(await a.page.locator('#unico-cpf-mascara').textContent()).toBe(MASKED);
      expect((await credentials(a))[0]!.signCount).toBeGreaterThan(0);
    });

    it('when a second device without the passkey tries to sign in, then it cannot', async () => {
      await open(b);
      expect(await credentials(b)).toHaveLength(0);
      await b.page.getByRole('button', { name: 'Entrar com passkey' }).click();
      await waitForAlert(b, /Nenhuma passkey deste site/);
      expect(await state(b)).toBe('signed-out');
      expect((await b.page.request.get(`${site}/api/voters/me`)).status()).toBe(401);
      expect(await axeViolations(b.page)).toEqual([]);
    });

    /** Picks a candidate in the Único form, confirms, and returns the api's answer to the vote. */
    async function voteUnico(d: Device, name: string) {
      await d.page.locator('#unico-voto').getByRole('radio', { name }).check();
      await d.page.getByRole('button', { name: 'Fazer meu Voto Único' }).click();
      const answer = d.page.waitForResponse((r) => r.url().endsWith('/api/voters/vote'));
      await d.page.getByRole('button', { name: `Confirmar voto em ${name}` }).click();
      return answer;
    }
    const doneText = (d: Device) => d.page.locator('#unico-feito').textContent();

    it('when the signed-in person picks and confirms, then the page says the Único vote is registered, and the results count it as Único', async () => {
      expect(await axeViolations(a.page)).toEqual([]);
      const answer = await voteUnico(a, 'Participante 1');
      expect(answer.status()).toBe(202);
      await a.page.locator('#unico-feito:not([hidden])').waitFor();
      expect(await doneText(a)).toBe('Seu voto único foi registrado: Participante 1.');
      expect(await axeViolations(a.page)).toEqual([]);
      const results = await waitFor('the Único vote in the public results', async () => {
        const r = (await (await fetch(`${stack.url}/api/results`)).json()) as { modes?: { unico?: { total: number; candidates: { name: string; votes: number }[] } } };
        return r.modes?.unico?.total === 1 ? r.modes.unico : undefined;
      });
      expect(results.candidates.find((c) => c.name === 'Participante 1')?.votes).toBe(1);
    });

    it('when the same person tries again, on this device after a reload or on a second device with the passkey synced, then 409 and the page says whom they voted for', async () => {
      await open(a);
      expect((await voteUnico(a, 'Participante 2')).status()).toBe(409);
      await a.page.locator('#unico-feito:not([hidden])').waitFor();
      expect(await doneText(a)).toBe('Você já votou em Participante 1.');
      // A second device holding the same passkey (as a synced passkey is): signs in, is refused.
      const second = await device();
      try {
        const [cred] = await credentials(a);
        await second.cdp.send('WebAuthn.addCredential', { authenticatorId: second.authenticatorId, credential: cred! });
        await open(second);
        await second.page.getByRole('button', { name: 'Entrar com passkey' }).click();
        await second.page.locator('#unico[data-state="signed-in"]').waitFor({ timeout: 30_000 });
        expect((await voteUnico(second, 'Participante 2')).status()).toBe(409);
        await second.page.locator('#unico-feito:not([hidden])').waitFor();
        expect(await doneText(second)).toBe('Você já votou em Participante 1.');
        expect(await axeViolations(second.page)).toEqual([]);
      } finally {
        await second.context.close();
      }
      const results = (await (await fetch(`${stack.url}/api/results`)).json()) as { modes: { unico: { total: number } } };
      expect(results.modes.unico.total).toBe(1);
    });

    it('when the CPF already has an account, then a second sign-up with it is refused, and its new passkey signs nobody in', async () => {
      const answer = b.page.waitForResponse((r) => r.url().endsWith('/api/voters/register/verify'));
      await signUp(b, CPF);
      expect((await answer).status()).toBe(409);
      await waitForAlert(b, /Este CPF já tem uma conta/);
      expect(await state(b)).toBe('signed-out');
      // The authenticator made a passkey before the api said no; the api never stored it.
      expect(await credentials(b)).toHaveLength(1);
      await b.page.getByRole('button', { name: 'Entrar com passkey' }).click();
      await waitForAlert(b, /A passkey não foi aceita/);
      expect(await state(b)).toBe('signed-out');
    });

    it('when the CPF provider refuses the CPF, then the sign-up is refused before any passkey is made', async () => {
      provider.refuse('11144477735');
      const before = (await credentials(b)).length;
      const answer = b.page.waitForResponse((r) => r.url().endsWith('/api/voters/register/options'));
      await signUp(b, '111.444.777-35');
      expect((await answer).status()).toBe(422);
      await waitForAlert(b, /não pôde ser confirmado/);
      expect(await credentials(b)).toHaveLength(before);
    });

    it('when the CPF provider is down, then the sign-up gets a clear 503 JSON error and the page says to try later', async () => {
      provider.failing = true;
      try {
        const answer = b.page.waitForResponse((r) => r.url().endsWith('/api/voters/register/options'));
        await signUp(b, '123.456.789-09');
        const res = await answer;
        expect(res.status()).toBe(503);
        expect(res.headers()['content-type']).toMatch(/^application\/json/);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('verifier_unavailable');
        await waitForAlert(b, /indisponível/);
        expect(await axeViolations(b.page)).toEqual([]);
      } finally {
        provider.failing = false;
      }
    });

    it('when the owner deletes the account, then it is gone: signed out, the passkey no longer works, and the CPF may sign up again, though not vote again in this paredão', async () => {
      await a.page.getByRole('button', { name: 'Excluir minha conta' }).click();
      await a.page.getByRole('button', { name: 'Sim, excluir minha conta' }).waitFor();
      expect(await axeViolations(a.page)).toEqual([]);
      await a.page.getByRole('button', { name: 'Sim, excluir minha conta' }).click();
      await a.page.locator('#unico[data-state="signed-out"]').waitFor();
      expect(await a.page.locator('#unico-status').textContent()).toMatch(/Sua conta foi excluída/);
      expect((await a.page.request.get(`${site}/api/voters/me`)).status()).toBe(401);
      await a.page.getByRole('button', { name: 'Entrar com passkey' }).click();
      await waitForAlert(a, /A passkey não foi aceita/);
      await signUp(a, CPF);
      await a.page.locator('#unico[data-state="signed-in"]').waitFor({ timeout: 30_000 });
      // A new account, the same CPF: the paredão is still open, so the vote the deleted account cast stands for it.
      expect((await voteUnico(a, 'Participante 2')).status()).toBe(409);
      await a.page.locator('#unico-feito:not([hidden])').waitFor();
      expect(await doneText(a)).toBe('Você já votou em Participante 1.');
      expect(pageErrors).toEqual([]);
    });
  },
);
