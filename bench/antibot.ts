/**
 * Anti-bot figures, printed as a markdown table and appended to docs/BENCHMARKS.md:
 *   1. how long a person's Chromium takes to solve the proof at a difficulty (the real widget, the real page);
 *   2. how many proofs a bot solves per second on one core (a tight native SHA-256 loop, the best case for it),
 *      and how many hashes those proofs really took against the stated mean;
 *   3. what the server spends per vote to verify a proof, and to create a challenge.
 *
 *   npx tsx bench/antibot.ts [--difficulty=50] [--runs=5] [--no-docs]
 */
import { appendFileSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Antibot } from '@paredao/api/votes/antibot';
import { presolve } from '@paredao/testkit/load';
import { startStack } from '@paredao/testkit/stack';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const difficulty = Number(args.get('difficulty') ?? 50);
const runs = Number(args.get('runs') ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const stack = await startStack({ difficulty });
try {
  // 1. The page in Chromium: from navigation start to the widget's "verified".
  const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'paredao-chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const browserMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage();
    await page.addInitScript(`window.addEventListener('verified', () => { window.__verifiedAt ??= performance.now(); }, true);`);
    await page.goto(`${stack.url}/`);
    await page.locator('#form-voto[data-antibot="verified"]').waitFor({ timeout: 120_000 });
    browserMs.push(await page.evaluate(() => (window as unknown as { __verifiedAt: number }).__verifiedAt));
    await page.close();
  }
  await browser.close();

  // 2. A bot on one core: the load driver's solver (native SHA-256 with a precomputed midstate) in one worker.
  // It scans from 0, as the widget does: with the counter uniform over [0, 2 × mean) no other order of
  // trying counters does better, so its hashes per proof are the work a vote really costs a bot.
  const botN = 100;
  const t0 = performance.now();
  const botProofs = await presolve(stack.url, botN, { workers: 1, concurrency: 4, batch: 10 });
  const botPerSec = botN / ((performance.now() - t0) / 1000);
  const counters = botProofs.map((p) => (JSON.parse(Buffer.from(p, 'base64').toString('utf8')) as { solution: { counter: number } }).solution.counter);
  const mean = difficulty * 1000;
  const hashesPerProof = counters.reduce((a, c) => a + c + 1, 0) / botN;
  const belowHalf = counters.filter((c) => c < mean / 2).length;

  // 3. The server: challenge creation and verification, in this process, the api's own code.
  const antibot = new Antibot({ secret: 'x'.repeat(48), difficulty: 1, expirySeconds: 600 });
  const n = 2000;
  let t = performance.now();
  const challenges = [];
  for (let i = 0; i < n; i++) challenges.push(await antibot.challenge());
  const createUs = ((performance.now() - t) * 1000) / n;
  const local = await startStack({ difficulty: 1 });
  let payloads: string[];
  try {
    payloads = await presolve(local.url, n, {});
  } finally {
    await local.stop();
  }
  const verifier = new Antibot({ secret: local.env.ANTIBOT_SECRET!, difficulty: 1, expirySeconds: 600 });
  t = performance.now();
  let ok = 0;
  for (const p of payloads) if (await verifier.verify(p)) ok++;
  const verifyUs = ((performance.now() - t) * 1000) / n;
  if (ok !== n) throw new Error(`only ${ok} of ${n} proofs verified`);

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const table = [
    `### Anti-bot, ${new Date().toISOString().slice(0, 10)} (\`npx tsx bench/antibot.ts --difficulty=${difficulty}\`, ${cpus().length} × ${cpu})`,
    '',
    '| figure | value |',
    '|---|---|',
    `| Chromium ${'(headless, this machine)'}: page open → proof solved, ANTIBOT_DIFFICULTY=${difficulty}, median of ${runs} | ${Math.round(median(browserMs))} ms (all: ${browserMs.map((x) => Math.round(x)).join(', ')}) |`,
    `| a bot on one core, native SHA-256 loop, ANTIBOT_DIFFICULTY=${difficulty} | ${botPerSec.toFixed(1)} proofs/s (≈ ${Math.round(botPerSec * 60)} votes/min per core) |`,
    `| hashes per proof the bot did, ${botN} proofs (stated mean ${mean}) | ${Math.round(hashesPerProof)} (min ${Math.min(...counters) + 1}, max ${Math.max(...counters) + 1}) |`,
    `| proofs whose counter is below half the mean (a scan from there would miss them) | ${belowHalf} of ${botN} |`,
    `| phone (this machine's headless Chromium) against a bot core, per vote | ${((median(browserMs) / 1000) * botPerSec).toFixed(0)} × |`,
    `| server: create a challenge (one SHA-256 and two HMACs) | ${createUs.toFixed(1)} µs |`,
    `| server: verify a proof (two HMACs; independent of the difficulty) | ${verifyUs.toFixed(1)} µs |`,
    '',
  ].join('\n');
  console.log(table);
  if (!args.has('no-docs')) appendFileSync(join(import.meta.dirname, '../docs/BENCHMARKS.md'), `\n${table}`);
} finally {
  await stack.stop();
}
