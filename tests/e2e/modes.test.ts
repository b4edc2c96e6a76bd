import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@paredao/core';
import { ADMIN_PASSWORD, ADMIN_USER } from '@paredao/testkit/admin';
import { waitFor } from '@paredao/testkit/ports';
import { ROOT, startStack, type Stack } from '@paredao/testkit/stack';
import { signedInVoter } from '@paredao/testkit/voters';
import { card, CHROMIUM, confirmAction, haveChromium, launch, login } from '../support/admin-page.js';
import { checkBrowserAnswers } from '../support/record-answers.js';
import { skipWithoutTool } from '../support/require-tool.js';

// The BBB26 setting, end to end through nginx: the team sets Voto Único 70 % + Voto da Torcida 30 %
// with partials hidden in admin.html and opens voting; a voter votes (Torcida) on the real page; Único
// votes go through their endpoint; voters see totals only, the panel everything,
// and the rules can no longer change. After closing, everyone sees the weighted result.

const TITLE = 'Paredão BBB26 E2E';
const NAMES = ['Ana Modos', 'Bia Modos'] as const;
const DIST = join(ROOT, 'web/dist');

/**
 * Único votes of new people through the real endpoint and nginx (POST /api/voters/vote, decision 0005):
 * each a voter account and session written to the stack's store (the passkey ceremony is
 * tests/e2e/voters.test.ts's), then one vote each.
 */
async function voteUnico(stack: Stack, candidateIds: string[]): Promise<void> {
  const store = await openStore(stack.env.STORE_URL!);
  try {
    for (const candidateId of candidateIds) {
      const { cookie } = await signedInVoter(store, stack.env.ADMIN_SESSION_SECRET!);
      const res = await fetch(`${stack.url}/api/voters/vote`, { method: 'POST', headers: { cookie, origin: stack.url, 'content-type': 'application/json' }, body: JSON.stringify({ candidateId }) });
      expect(res.status, await res.clone().text()).toBe(202);
    }
  } finally {
    await store.close();
  }
}

describe.skipIf(skipWithoutTool({ tool: 'chromium', present: haveChromium, why: `is not at ${CHROMIUM}`, checks: 'tests/e2e/modes.test.ts (vote modes and hidden partials in a real browser)' }))(
  'vote modes: 70/30 with partials hidden, from admin.html to the public results and the panel',
  () => {
    let stack: Stack;
    let browser: Browser;
    let admin: BrowserContext;
    let page: Page;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      for (const f of ['admin.html', 'index.html', 'resultado.html', 'painel.html']) {
        if (!existsSync(join(DIST, f))) throw new Error(`web/dist/${f} is missing: run \`npm run build\` first`);
      }
      stack = await startStack();
      browser = await launch();
      admin = await browser.newContext({ locale: 'pt-BR', timezoneId: 'America/Sao_Paulo' });
      checkBrowserAnswers(admin);
      page = await admin.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));
    });

    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
    });

    it('when the team sets 70/30 with partials hidden and voting opens, then voters see totals only, the panel sees everything, the rules are locked, and after closing all see the weighted result', async () => {
      await login(page, stack.url, ADMIN_PASSWORD);
      await page.getByRole('heading', { name: 'Paredões' }).waitFor();

      // The draft, with its rules: both modes, Único 70 (Torcida follows to 30), partials hidden.
      await page.getByRole('button', { name: 'Novo paredão' }).click();
      await page.getByLabel('Título').fill(TITLE);
      const names = page.getByLabel('Nome', { exact: true });
      for (const [i, name] of NAMES.entries()) await names.nth(i).fill(name);
      expect(await page.getByLabel(/^Voto da Torcida/).isChecked()).toBe(true);
      expect(await page.getByLabel('Mostrar as parciais aos eleitores durante a votação').isChecked()).toBe(true);
      await page.getByLabel(/^Voto Único/).check();
      await page.getByLabel('Peso do Voto Único (%)').fill('70');
      expect(await page.getByLabel('Peso do Voto da Torcida (%)').inputValue()).toBe('30');
      await page.getByLabel('Mostrar as parciais aos eleitores durante a votação').uncheck();
      await page.getByRole('button', { name: 'Salvar rascunho' }).click();
      const ours = card(page, TITLE);
      await ours.waitFor();
      expect(await ours.locator('.adm-voting').textContent()).toBe('Modos: Voto Único 70 % + Voto da Torcida 30 %; parciais ocultas durante a votação');

      // The audit of the rules: who set them, and when.
      const listed = (await (await page.request.get(`${stack.url}/api/admin/paredoes`)).json()) as { id: string; title: string; votingChanges?: { by: string; at: string }[] }[];
      const stored = listed.find((p) => p.title === TITLE)!;
      expect(stored.votingChanges?.map((c) => c.by)).toEqual([ADMIN_USER]);

      // Open ours (the seed paredão is open: close it first).
      const seeded = page.getByRole('listitem').filter({ has: page.locator('.adm-badge', { hasText: 'Aberto' }) });
      await confirmAction(page, seeded, 'Encerrar votação');
      await expect.poll(() => page.locator('.adm-badge', { hasText: 'Aberto' }).count()).toBe(0);
      await confirmAction(page, ours, 'Abrir votação');
      await expect.poll(() => ours.locator('.adm-badge').textContent()).toBe('Aberto');

      // Locked: the page offers no editing and says the rules are fixed; the api refuses a change.
      expect(await ours.getByRole('button', { name: 'Editar' }).count()).toBe(0);
      expect(await ours.locator('.adm-voting').textContent()).toMatch(/\(fixos desde a abertura\)$/);
      const change = await page.request.put(`${stack.url}/api/admin/paredoes/${stored.id}/voting`, {
        headers: { origin: stack.url },
        data: { modes: ['torcida', 'unico'], weights: { unico: 50, torcida: 50 }, showPartials: true },
      });
      expect(change.status()).toBe(409);
      expect(((await change.json()) as { error: { code: string } }).error.code).toBe('voting_locked');

      // A voter votes for Ana three times on the real page (Voto da Torcida), and sees no partial.
      const voterCtx = await browser.newContext({ locale: 'pt-BR' });
      checkBrowserAnswers(voterCtx);
      const voter = await voterCtx.newPage();
      voter.on('pageerror', (e) => pageErrors.push(e.message));
      for (let i = 0; i < 3; i++) {
        await voter.goto(`${stack.url}/`);
        await expect.poll(() => voter.locator('#antibot-status').getAttribute('data-state'), { timeout: 30_000 }).toBe('verified');
        await voter.getByRole('radio', { name: NAMES[0] }).check();
        await voter.getByRole('button', { name: 'Votar' }).click();
        await voter.waitForURL(/\/resultado\.html/);
      }
      // Único: 1 for Ana, 3 for Bia. So Único is Ana 25 / Bia 75, Torcida Ana 100 / Bia 0:
      // final Ana 0.7 × 25 + 0.3 × 100 = 47.5, Bia 52.5.
      await voteUnico(stack, ['ana-modos', 'bia-modos', 'bia-modos', 'bia-modos']);

      await expect.poll(() => voter.locator('#total').textContent(), { timeout: 15_000 }).toBe('7 votos');
      expect(await voter.locator('#parciais-ocultas').isVisible()).toBe(true);
      expect(await voter.locator('#resultados .result-pct').allTextContents()).toEqual(['', '']);
      expect(await voter.locator('#resultados .bar').first().isVisible()).toBe(false);
      expect(await voter.locator('#modos').textContent()).toBe('Voto Único: 4 votos · Voto da Torcida: 3 votos');
      expect(await voter.locator('#resultados').textContent()).not.toMatch(/%|\d voto/);

      // The public URL through nginx: totals only, in every field (its micro-cache may be a second behind the stream).
      const pub = await waitFor('the public results at 7 votes', async () => {
        const r = (await (await fetch(`${stack.url}/api/results`)).json()) as Record<string, unknown>;
        return r.total === 7 ? r : undefined;
      });
      expect(pub.partialsHidden).toBe(true);
      expect(JSON.stringify(pub)).not.toMatch(/"(votes|percent|byCandidate)"/);

      // The panel, behind the login: everything, both modes and the weighted result.
      const panel = await admin.newPage();
      panel.on('pageerror', (e) => pageErrors.push(e.message));
      await panel.goto(`${stack.url}/painel.html`);
      const anaRow = panel.locator('#tabela-participantes tbody tr[data-candidate="ana-modos"]');
      await expect.poll(() => anaRow.locator('td').allTextContents(), { timeout: 15_000 }).toEqual(['4', '47,5%', '1', '25,0%', '3', '100,0%']);
      expect(await panel.locator('#tabela-participantes thead th').allTextContents()).toEqual([
        'Participante',
        'Votos',
        'Resultado',
        'Voto Único: votos',
        'Voto Único: %',
        'Voto da Torcida: votos',
        'Voto da Torcida: %',
      ]);
      expect(await panel.locator('#ponderacao').textContent()).toBe('Resultado ponderado: Voto Único 70 % + Voto da Torcida 30 %.');
      expect(await panel.locator('#total-geral').textContent()).toBe('7');
      await panel.close();

      // Closed: voters see the weighted result.
      await confirmAction(page, ours, 'Encerrar votação');
      await expect.poll(() => ours.locator('.adm-badge').textContent()).toBe('Encerrado');
      await expect.poll(() => voter.locator('#resultados .result-pct').allTextContents(), { timeout: 15_000 }).toEqual(['47,5%', '52,5%']);
      expect(await voter.locator('#parciais-ocultas').isVisible()).toBe(false);
      expect(await voter.locator('#resultados .result-modes').first().textContent()).toBe('Voto Único 25,0% (1 voto) · Voto da Torcida 100,0% (3 votos)');
      await voterCtx.close();

      expect(pageErrors).toEqual([]);
    });
  },
);
