/**
 * The voter's wait on a modest phone: the real stack (testkit/src/stack.ts: nginx, api, RabbitMQ,
 * consumer) and the real vote page in Chromium, its CPU slowed `--throttle` times. By default the whole
 * browser runs in a CPU cgroup (testkit/src/cpu-cgroup.ts) whose quota is calibrated so that a fixed JS
 * loop runs that much slower than in an unconfined Chromium, in a page and in a Web Worker alike: the
 * widget's proof of work runs in workers, which the DevTools protocol's `Emulation.setCPUThrottlingRate`
 * does not slow. Where no cgroup can be made, it says so loudly and falls back to that protocol call
 * (pages only; the report then adds an extrapolated row). Times come from the pages' own clocks and DOM
 * state, no sleeps:
 *   - page load → proof ready (the form's data-antibot="verified"), first vote, a fresh context each,
 *     with where the time went (HTML, scripts, the check starting, the challenge, the hashing);
 *   - tap "Votar" → the confirmation shown on resultado.html, over repeat votes in the page's own flow
 *     (resultado.html's "Votar novamente" back to the vote page, which solves the carried challenge);
 *   - the same challenges solved by altcha's own SHA-256 worker and by ours, in a phone page;
 *   - the same stack's proof on one desktop core (a native SHA-256 loop, as a bot would).
 *
 *   npm run bench:phone                      writes bench/results/phone-<date>.json (commit it) and
 *                                            regenerates the `phone` sections of the docs from it
 *   options: --votes=20 --throttle=6 --loads=20 --difficulty=N (default: the api's) --bot-proofs=40
 *            --solver-proofs=6 (challenges solved by altcha's SHA worker and ours, in a phone page)
 *            --emulation=cgroup|cdp (cdp: the DevTools protocol only, as when no cgroup can be made);
 *            any other value than the defaults writes to bench/results/scratch/ and leaves the docs
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { apiEnv } from '@paredao/api/platform/config';
import { presolve } from '@paredao/testkit/load';
import { ROOT, startStack, type Stack } from '@paredao/testkit/stack';
import { writeGeneratedDocs } from '@paredao/testkit/docs';
import { createCpuCgroup, type CpuCgroup } from '@paredao/testkit/cpu-cgroup';
import { phoneTargets, renderPhone, type FirstLoad, type PhoneOutput, type RepeatVote } from '@paredao/testkit/phone-report';

const DEFAULTS = { votes: '20', throttle: '6', loads: '20', 'bot-proofs': '40', 'solver-proofs': '6', emulation: 'cgroup' };
const { values: args } = parseArgs({
  options: {
    votes: { type: 'string', default: DEFAULTS.votes },
    throttle: { type: 'string', default: DEFAULTS.throttle },
    loads: { type: 'string', default: DEFAULTS.loads },
    difficulty: { type: 'string' },
    'bot-proofs': { type: 'string', default: DEFAULTS['bot-proofs'] },
    emulation: { type: 'string', default: DEFAULTS.emulation },
    'solver-proofs': { type: 'string', default: DEFAULTS['solver-proofs'] },
  },
  strict: true,
});
// What production runs when nothing is set: the figures justify these defaults.
const defaultDifficulty = apiEnv.shape.ANTIBOT_DIFFICULTY.parse(undefined);
const defaultRateLimit = apiEnv.shape.RATE_LIMIT_PER_IP.parse(undefined);
const votes = Number(args.votes);
const throttle = Number(args.throttle);
const loads = Number(args.loads);
const botProofs = Number(args['bot-proofs']);
const solverProofs = Number(args['solver-proofs']);
const difficulty = Number(args.difficulty ?? defaultDifficulty);
if (args.emulation !== 'cgroup' && args.emulation !== 'cdp') throw new Error(`--emulation=${args.emulation}: cgroup or cdp`);
const fullRun = Object.entries(DEFAULTS).every(([k, v]) => args[k as keyof typeof DEFAULTS] === v) && difficulty === defaultDifficulty;

const CHROMIUM = '/usr/bin/chromium';
const CANDIDATES = ['Participante 1', 'Participante 2'];
const DEVICE = { width: 360, height: 740, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
/** Generous: a throttled page on a loaded machine is slow, but a stuck one must fail the run, not hang it. */
const STEP_TIMEOUT_MS = 120_000;

/**
 * In every page, before its scripts: the check's events, touches on the two buttons a voter taps, and
 * the first frame in which resultado.html shows the confirmation. Touch times go to sessionStorage
 * (the tab's, kept across the navigation they cause); Date.now() so that two documents compare.
 */
const PROBE = `(() => {
  const b = (window.__bench = { verifyingAt: 0, verifiedAt: 0, verifiedEpoch: 0, confirmedEpoch: 0, htmlAt: 0, scriptsAt: 0, challengeAt: 0, hashingMs: 0 });
  window.addEventListener('statechange', (e) => { if (e.detail && e.detail.state === 'verifying') b.verifyingAt = performance.now(); }, true);
  window.addEventListener('verified', (e) => {
    if (b.verifiedAt) return;
    b.verifiedAt = performance.now();
    b.verifiedEpoch = Date.now();
    const nav = performance.getEntriesByType('navigation')[0];
    b.htmlAt = nav ? nav.responseEnd : 0;
    b.scriptsAt = nav ? nav.domContentLoadedEventEnd : 0;
    const ch = performance.getEntriesByType('resource').filter((r) => r.name.endsWith('/api/challenge')).pop();
    b.challengeAt = ch ? ch.responseEnd : 0;
    // The winning worker's own clock, from the work message to the key (the check's payload carries it).
    try { b.hashingMs = JSON.parse(atob(e.detail.payload)).solution.time; } catch { b.hashingMs = -1; }
  }, true);
  document.addEventListener('pointerdown', (e) => {
    const el = e.target instanceof Element ? e.target : null;
    if (el && el.closest('#votar')) sessionStorage.setItem('bench:tapAt', String(Date.now()));
    if (el && el.closest('.cta a[href="/"]')) sessionStorage.setItem('bench:againAt', String(Date.now()));
  }, true);
  if (location.pathname === '/resultado.html') {
    const check = () => {
      const el = document.getElementById('confirmacao');
      if (el && !el.hidden && el.getClientRects().length > 0) b.confirmedEpoch = Date.now();
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }
})();`;

interface Probe {
  verifyingAt: number;
  verifiedAt: number;
  verifiedEpoch: number;
  confirmedEpoch: number;
  htmlAt: number;
  scriptsAt: number;
  challengeAt: number;
  hashingMs: number;
}
const probe = (page: Page) => page.evaluate(() => (window as unknown as { __bench: Probe }).__bench);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const loopRatio = (l: Loops) => (median(l.page.throttled) + median(l.worker.throttled)) / (median(l.page.unthrottled) + median(l.worker.unthrottled));

function log(msg: string) {
  process.stderr.write(`[phone ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/**
 * Throttles the page's main thread, and asks for the same on each dedicated worker it starts (the
 * widget's proof of work). Chromium 156 refuses the latter; the answer is kept so the report says which.
 */
async function throttlePage(context: BrowserContext, page: Page, rate: number, workerAnswers: string[]): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  // Non-flat auto-attach: the worker's protocol messages travel through this page session.
  cdp.on('Target.receivedMessageFromTarget', (ev) => {
    const m = JSON.parse(ev.message) as { id?: number; error?: { message: string } };
    if (m.id === 1) workerAnswers.push(m.error ? m.error.message : 'applied');
  });
  cdp.on('Target.attachedToTarget', (ev) => {
    const message = JSON.stringify({ id: 1, method: 'Emulation.setCPUThrottlingRate', params: { rate } });
    void cdp.send('Target.sendMessageToTarget', { sessionId: ev.sessionId, message }).catch((err: unknown) => workerAnswers.push(String(err)));
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
}

/** A fresh phone: its own context in the slowed browser, and the DevTools throttling when that is the emulation. */
async function newPhone(browser: Browser, rate: number, workerAnswers: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const { width, height, ...rest } = DEVICE;
  const context = await browser.newContext({ viewport: { width, height }, ...rest, locale: 'pt-BR' });
  await context.addInitScript(PROBE);
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  if (cdpRate(rate) > 1) await throttlePage(context, page, rate, workerAnswers);
  return { context, page };
}

/** The DevTools throttling rate: none when the cgroup slows the whole browser. */
let cdpRate = (rate: number) => rate;

const verified = (page: Page) => page.locator('#form-voto[data-antibot="verified"]').waitFor();

async function firstLoad(browser: Browser, url: string, workerAnswers: string[]): Promise<FirstLoad> {
  const { context, page } = await newPhone(browser, throttle, workerAnswers);
  try {
    await page.goto(`${url}/`);
    await verified(page);
    const p = await probe(page);
    return {
      readyMs: p.verifiedAt,
      solvingMs: p.verifiedAt - p.verifyingAt,
      phases: { htmlMs: p.htmlAt, scriptsMs: p.scriptsAt, verifyingMs: p.verifyingAt, challengeMs: p.challengeAt, hashingMs: p.hashingMs },
    };
  } finally {
    await context.close();
  }
}

/** Picks a participant, taps "Votar" once the proof is ready, waits for the confirmation frame. */
async function vote(page: Page, name: string): Promise<{ tapToConfirmationMs: number; solvingMs: number }> {
  await page.getByRole('radio', { name }).check();
  await page.locator('#votar:not([disabled])').waitFor();
  const before = await probe(page);
  await page.locator('#votar').tap();
  await page.waitForURL(/\/resultado\.html\?voto=/u);
  await page.waitForFunction(() => (window as unknown as { __bench: Probe }).__bench.confirmedEpoch > 0, undefined, { polling: 50 });
  const tapAt = Number(await page.evaluate(() => sessionStorage.getItem('bench:tapAt')));
  const { confirmedEpoch } = await probe(page);
  return { tapToConfirmationMs: confirmedEpoch - tapAt, solvingMs: before.verifiedAt - before.verifyingAt };
}

/** The repeat votes, then whether the last page is still throttled: the same busy loop on it and on an unthrottled page. */
async function repeatVotes(browser: Browser, url: string, workerAnswers: string[]): Promise<RepeatVote[]> {
  const { context, page } = await newPhone(browser, throttle, workerAnswers);
  try {
    await page.goto(`${url}/`);
    await verified(page);
    // The session's first vote: its proof came with the page (the first-load figures); not a sample.
    await vote(page, CANDIDATES[0]!);
    const samples: RepeatVote[] = [];
    for (let i = 1; i <= votes; i++) {
      await page.locator('.cta a[href="/"]').tap();
      await page.waitForURL((u) => u.pathname === '/');
      await verified(page);
      const againAt = Number(await page.evaluate(() => sessionStorage.getItem('bench:againAt')));
      const { verifiedEpoch } = await probe(page);
      const v = await vote(page, CANDIDATES[i % CANDIDATES.length]!);
      samples.push({ ...v, againToReadyMs: verifiedEpoch - againAt });
      log(`repeat vote ${i}/${votes}: tap → confirmation ${v.tapToConfirmationMs} ms, "Votar novamente" → proof ready ${verifiedEpoch - againAt} ms`);
    }
    return samples;
  } finally {
    await context.close();
  }
}

const busyLoop = (page: Page) =>
  page.evaluate(() => {
    const t = performance.now();
    let x = 0;
    for (let j = 0; j < 1e7; j++) x = (x + j) | 0;
    return performance.now() - t + (x === 0.5 ? 1 : 0);
  });

/** The same loop in a dedicated worker of the page, timed by the worker's own clock. */
const workerLoop = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const code = 'const t = performance.now(); let x = 0; for (let j = 0; j < 1e7; j++) x = (x + j) | 0; postMessage(performance.now() - t + (x === 0.5 ? 1 : 0));';
        const w = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
        w.onmessage = (e: MessageEvent<number>) => {
          resolve(e.data);
          w.terminate();
        };
        w.onerror = (e) => reject(new Error(e.message));
      }),
  );

type Loops = PhoneOutput['throttling']['loops'];

/**
 * The fixed loop on a phone page (slowed as the vote pages are) and on a page of the unconfined browser,
 * in the page and in a worker, interleaved so the machine's load falls on both alike. On about:blank:
 * the site's CSP rightly allows no blob: worker.
 */
async function measureLoops(slow: Browser, plain: Browser, rounds: number, workerAnswers: string[]): Promise<Loops> {
  const phone = await newPhone(slow, throttle, workerAnswers);
  const other = await plain.newPage();
  const loops: Loops = { page: { throttled: [], unthrottled: [] }, worker: { throttled: [], unthrottled: [] } };
  try {
    for (let i = 0; i < rounds; i++) {
      loops.page.throttled.push(await busyLoop(phone.page));
      loops.page.unthrottled.push(await busyLoop(other));
      loops.worker.throttled.push(await workerLoop(phone.page));
      loops.worker.unthrottled.push(await workerLoop(other));
    }
  } finally {
    await phone.context.close();
    await other.close();
  }
  return loops;
}

/**
 * Sets the cgroup's quota so that the loop, in a page and in a worker together, runs `throttle` times
 * slower than unconfined: the whole browser shares the quota (its compiler and GC threads too), so one
 * sixth of a core slows a single script more than six times. Up to five rounds, until one is within 10 %;
 * after five, the mean of their estimates.
 */
async function calibrate(group: CpuCgroup, slow: Browser, plain: Browser): Promise<NonNullable<PhoneOutput['throttling']['cgroup']>['calibration']> {
  const rounds: NonNullable<PhoneOutput['throttling']['cgroup']>['calibration'] = [];
  for (let round = 0; round < 5; round++) {
    const l = await measureLoops(slow, plain, 5, []);
    const ratio = loopRatio(l);
    rounds.push({ quotaUs: group.quotaUs, ratio });
    log(`calibration: quota ${group.quotaUs} µs per ${group.periodUs} µs → the loop ${ratio.toFixed(2)}× slower (page ${median(l.page.throttled).toFixed(0)} vs ${median(l.page.unthrottled).toFixed(0)} ms, worker ${median(l.worker.throttled).toFixed(0)} vs ${median(l.worker.unthrottled).toFixed(0)} ms)`);
    if (Math.abs(ratio / throttle - 1) <= 0.1) break;
    // Each round estimates the quota that gives `throttle` (time ∝ 1 / quota); the machine's load makes
    // one round noisy, so the next quota is the geometric mean of every round's estimate.
    const estimates = rounds.map((r) => Math.log((r.quotaUs * r.ratio) / throttle));
    group.setQuota(Math.min(group.periodUs * cpus().length, Math.exp(estimates.reduce((a, b) => a + b, 0) / estimates.length)));
  }
  return rounds;
}

/**
 * Two SHA-256 workers on the same api challenges, in a phone page, one worker each: the `altcha`
 * package's (an await of crypto.subtle.digest per counter; the page no longer ships it, so the run
 * serves it from node_modules at a same-origin URL) and ours (web/src/antibot-worker.ts). Both try the
 * counters from 0 one by one, so a proof costs both counter + 1 hashes; each time is the worker's own.
 */
async function solverAB(browser: Browser, url: string, n: number, workerAnswers: string[]): Promise<PhoneOutput['solvers']> {
  const assets = readdirSync(join(ROOT, 'web/dist/assets'));
  const file = (re: RegExp) => {
    const f = assets.find((a) => re.test(a));
    if (!f) throw new Error(`no ${re} in web/dist/assets: build the web first`);
    return `/assets/${f}`;
  };
  const scripts = { altcha: '/bench/altcha-sha-worker.js', ours: file(/^antibot-worker-[\w-]+\.js$/) };
  const { context, page } = await newPhone(browser, throttle, workerAnswers);
  const altchaWorker = join(ROOT, 'node_modules/altcha/dist/workers/sha.js');
  await context.route(`**${scripts.altcha}`, (route) => route.fulfill({ path: altchaWorker, contentType: 'text/javascript' }));
  const samples: PhoneOutput['solvers'] = [];
  try {
    await page.goto(`${url}/resultado.html`);
    for (let i = 0; i < n; i++) {
      const challenge = (await (await fetch(`${url}/api/challenge`)).json()) as object;
      const run = (script: string) =>
        page.evaluate(
          ({ script, challenge }) =>
            new Promise<{ counter: number; time: number }>((resolve, reject) => {
              const w = new Worker(script);
              w.onmessage = (e: MessageEvent<{ counter: number; time: number } | null>) => {
                w.terminate();
                if (e.data && typeof e.data.counter === 'number') resolve(e.data);
                else reject(new Error(`worker ${script}: ${JSON.stringify(e.data)}`));
              };
              w.postMessage({ type: 'work', challenge, counterStart: 0, counterStep: 1, counterMode: 'uint32', timeout: 600_000 });
            }),
          { script, challenge },
        );
      // Alternated, so the machine's load falls on both alike.
      const [a, o] = i % 2 === 0 ? [await run(scripts.altcha), await run(scripts.ours)] : [undefined, await run(scripts.ours)];
      const altcha = a ?? (await run(scripts.altcha));
      if (altcha.counter !== o.counter) throw new Error(`the workers disagree: counter ${altcha.counter} against ${o.counter}`);
      samples.push({ hashes: o.counter + 1, altchaMs: altcha.time, oursMs: o.time });
      log(`solver A/B ${i + 1}/${n}: ${o.counter + 1} hashes, altcha's worker ${altcha.time} ms, ours ${o.time} ms`);
    }
  } finally {
    await context.close();
  }
  return samples;
}

/** The same stack's challenges, solved by the load driver's native loop in one worker thread. */
async function botOnOneCore(url: string): Promise<PhoneOutput['bot']> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const proofs = await presolve(url, botProofs, { workers: 1, concurrency: 8, batch: botProofs });
  const wallMs = performance.now() - t;
  const used = process.cpuUsage(cpu);
  const hashes = proofs.reduce((n, p) => n + (JSON.parse(Buffer.from(p, 'base64').toString('utf8')) as { solution: { counter: number } }).solution.counter + 1, 0);
  return { proofs: botProofs, hashes, cpuMs: (used.user + used.system) / 1000, wallMs };
}

function sh(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
}

async function main() {
  const loadAvgBefore = loadavg();
  const date = new Date().toISOString();
  log(`load average ${loadAvgBefore.map((l) => l.toFixed(2)).join(' ')}; ANTIBOT_DIFFICULTY=${difficulty}, throttle ${throttle}×`);
  const apiWorkers = 2;
  const stack: Stack = await startStack({ difficulty, apiWorkers, rateLimitPerIp: defaultRateLimit, env: { LOG_LEVEL: 'info' } });
  const workerAnswers: string[] = [];
  // The whole browser in a cpu cgroup, its quota calibrated below; the DevTools protocol only if that fails.
  const made = args.emulation === 'cgroup' ? createCpuCgroup(1 / throttle) : 'asked for --emulation=cdp';
  const group = typeof made === 'string' ? null : made;
  const noGroup = typeof made === 'string' ? made : '';
  if (group) cdpRate = () => 1;
  else {
    const line = '!'.repeat(100);
    log(`${line}\nFALLING BACK to Emulation.setCPUThrottlingRate (pages only, the widget's workers run at full speed): ${noGroup}\n${line}`);
  }
  let browser: Browser | undefined;
  let plain: Browser | undefined;
  let out: PhoneOutput;
  try {
    const launch = (executablePath: string) =>
      chromium.launch({
        executablePath,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    plain = await launch(CHROMIUM);
    browser = await launch(group ? group.wrap(CHROMIUM) : CHROMIUM);
    const calibration = group ? await calibrate(group, browser, plain) : [];
    const first: FirstLoad[] = [];
    for (let i = 0; i < loads; i++) {
      first.push(await firstLoad(browser, stack.url, workerAnswers));
      log(`first load ${i + 1}/${loads}: proof ready ${Math.round(first.at(-1)!.readyMs)} ms (solving ${Math.round(first.at(-1)!.solvingMs)} ms)`);
    }
    const repeat = await repeatVotes(browser, stack.url, workerAnswers);
    const solvers = await solverAB(browser, stack.url, solverProofs, workerAnswers);
    const loops = await measureLoops(browser, plain, 5, workerAnswers);
    log(`the loop ${loopRatio(loops).toFixed(2)}× slower on a phone page than unconfined (page ${median(loops.page.throttled).toFixed(0)} vs ${median(loops.page.unthrottled).toFixed(0)} ms, worker ${median(loops.worker.throttled).toFixed(0)} vs ${median(loops.worker.unthrottled).toFixed(0)} ms)`);
    const expected = votes + 1;
    const counted = (await stack.waitForTotal(expected, 30_000).catch(() => stack.results(stack.apiUrl))).total;
    log(`counted ${counted} of ${expected}; a bot on one core…`);
    const bot = await botOnOneCore(stack.url);
    const applied = group !== null || (workerAnswers.length > 0 && workerAnswers.every((a) => a === 'applied'));
    const stat = group?.stat();
    out = {
      machine: {
        cpuModel: /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        node: process.version,
        chromium: browser.version(),
        kernel: sh('uname', ['-r']),
        date,
        command: `npm run bench:phone${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
        gitCommit: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
        loadAvgBefore,
        loadAvgAfter: loadavg(),
      },
      settings: { throttle, votes, loads, difficulty, apiWorkers, rateLimitPerIp: defaultRateLimit, botProofs, device: DEVICE },
      throttling: {
        method: group ? group.controller : 'cdp',
        cgroup: group
          ? { quotaUs: group.quotaUs, periodUs: group.periodUs, calibration, periods: stat?.nr_periods ?? 0, throttledPeriods: stat?.nr_throttled ?? 0 }
          : null,
        fallback: group ? '' : noGroup,
        workers: {
          applied,
          answer: group ? `in the browser's ${group.controller} cpu cgroup` : applied ? 'applied' : [...new Set(workerAnswers.filter((a) => a !== 'applied'))].join('; ') || 'no worker attached',
        },
        loops,
      },
      firstLoads: first,
      repeatVotes: repeat,
      counted: { expected, counted },
      solvers,
      bot,
    };
  } finally {
    await browser?.close();
    await plain?.close();
    group?.remove();
    await stack.stop();
  }
  const stamp = date.slice(0, 16).replace(':', '-');
  const file = join(ROOT, fullRun ? 'bench/results' : 'bench/results/scratch', `phone-${fullRun ? '' : 'custom-'}${stamp}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  log(`wrote ${file}`);
  const source = file.slice(ROOT.length + 1);
  process.stdout.write(`${renderPhone(out, source)}\n`);
  for (const t of phoneTargets(out)) log(`${t.met ? 'met' : 'MISSED'}: ${t.target} (${t.measured})`);
  if (fullRun) for (const doc of writeGeneratedDocs({ phone: source })) log(`regenerated ${doc}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
