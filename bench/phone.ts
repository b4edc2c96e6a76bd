/**
 * The voter's wait on a modest phone: the real stack (testkit/src/stack.ts: nginx, api, RabbitMQ,
 * consumer) and the real vote page in Chromium, its CPU slowed `--throttle` times, two ways in the same
 * run, their first loads interleaved:
 *   - devtools (judged): the DevTools protocol's `Emulation.setCPUThrottlingRate` on every page, the
 *     issue's method. Chromium refuses that call on a dedicated worker ("only supported for pages"), and
 *     the check's proof of work runs in workers: each worker starts paused (Target auto-attach with
 *     waitForDebuggerOnStart), its thread is moved into a CPU cgroup of its own (cgroup v1 lets a single
 *     thread in) calibrated so the same loop runs `throttle` times slower in it, then it is resumed. A
 *     phone's workers run on cores of their own, each slow: this is that.
 *   - cgroup (shown beside it, harsher): the whole browser in one CPU cgroup (testkit/src/cpu-cgroup.ts)
 *     whose quota is calibrated so a page loop and a worker loop together run `throttle` times slower:
 *     every process and thread of the browser shares a fraction of ONE core, a one-core phone.
 * Each emulation is checked after the votes with the same load (JSON parsing), in a page of the site and in a worker
 * of it: a page or a worker less than half as slow as asked fails the run. Times come from the pages'
 * own clocks and DOM state, no sleeps:
 *   - page load → proof ready (the form's data-antibot="verified"), first vote, a fresh context each,
 *     with where the time went (HTML, scripts, the check starting, the challenge, the hashing);
 *   - tap "Votar" → the confirmation shown on resultado.html, over repeat votes in the page's own flow
 *     (resultado.html's "Votar novamente" back to the vote page, which solves the carried challenge);
 *   - the same challenges solved by altcha's own SHA-256 worker and by ours, in a (devtools) phone page;
 *   - the same stack's proof on one desktop core (a native SHA-256 loop, as a bot would).
 *
 *   npm run bench:phone                      writes bench/results/phone-<date>.json (commit it) and
 *                                            regenerates the `phone` sections of the docs from it
 *   options: --votes=20 --throttle=6 --loads=20 --difficulty=N (default: the api's) --bot-proofs=40
 *            --solver-proofs=6 (challenges solved by altcha's SHA worker and ours, in a phone page)
 *            --emulation=both|devtools|cgroup (which of the two to run; both by default);
 *            --page-a=DIR (an A/B of the page: DIR is web/dist built from other sources; each first load
 *            of the first emulation is followed by one of DIR's page, both served from their files by the
 *            browser's routing; the A/B goes to the log);
 *            any other value than the defaults writes to bench/results/scratch/ and leaves the docs
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { apiEnv } from '@paredao/api/platform/config';
import { presolve } from '@paredao/testkit/load';
import { ROOT, startStack, type Stack } from '@paredao/testkit/stack';
import { writeGeneratedDocs } from '@paredao/testkit/docs';
import { createCpuCgroup, type CpuCgroup } from '@paredao/testkit/cpu-cgroup';
import {
  loopSlowdown,
  phoneTargets,
  renderPhone,
  throttlingProblems,
  type Calibration,
  type Emulated,
  type FirstLoad,
  type PhoneOutput,
  type RepeatVote,
} from '@paredao/testkit/phone-report';

const DEFAULTS = { votes: '20', throttle: '6', loads: '20', 'bot-proofs': '40', 'solver-proofs': '6', emulation: 'both' };
const { values: args } = parseArgs({
  options: {
    votes: { type: 'string', default: DEFAULTS.votes },
    throttle: { type: 'string', default: DEFAULTS.throttle },
    loads: { type: 'string', default: DEFAULTS.loads },
    difficulty: { type: 'string' },
    'bot-proofs': { type: 'string', default: DEFAULTS['bot-proofs'] },
    emulation: { type: 'string', default: DEFAULTS.emulation },
    'solver-proofs': { type: 'string', default: DEFAULTS['solver-proofs'] },
    'page-a': { type: 'string' },
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
type Mode = 'devtools' | 'cgroup';
const MODES: Record<string, Mode[]> = { both: ['devtools', 'cgroup'], devtools: ['devtools'], cgroup: ['cgroup'] };
if (!(args.emulation in MODES)) throw new Error(`--emulation=${args.emulation}: both, devtools or cgroup`);
const modes = MODES[args.emulation]!;
const fullRun = Object.entries(DEFAULTS).every(([k, v]) => args[k as keyof typeof DEFAULTS] === v) && difficulty === defaultDifficulty && !args['page-a'];

const CHROMIUM = '/usr/bin/chromium';
const CANDIDATES = ['Participante 1', 'Participante 2'];
const DEVICE = { width: 360, height: 740, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
/** Generous: a throttled page on a loaded machine is slow, but a stuck one must fail the run, not hang it. */
const STEP_TIMEOUT_MS = 120_000;
/**
 * The whole-browser cgroup's period: short, so the browser stalls for a few ms at a time once its quota
 * is spent, not for most of 20 ms (the kernel wants a quota of 1000 µs at least, so a quarter of a
 * core needs 4 ms). The worker cgroups' one is as short as their fraction allows (6 ms for a sixth).
 */
const BROWSER_PERIOD_US = 4000;
const WORKER_PERIOD_US = 1000;
/** The self-check's worker, served at a same-origin URL: the site's CSP rightly allows no blob: worker. */
const LOOP_WORKER = '/bench/loop-worker.js';
/**
 * The self-check's load: parsing the same 50 kB of JSON 200 times (tens of ms unconfined). Its time is
 * V8's C++ parser running, not how soon the JIT tiers a JS loop up (which varied tenfold between runs).
 */
const LOOP_BODY =
  "const s = JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ id: i, name: 'participante ' + i, votes: i * 7, on: i % 2 === 0 }))); " +
  'const f = (n) => { let k = 0; for (let i = 0; i < n; i++) k += JSON.parse(s).length; return k; }; f(5); const t = performance.now(); const k = f(200); const ms = performance.now() - t + (k === 0.5 ? 1 : 0);';
const LOOP_CODE = `${LOOP_BODY} postMessage(ms);`;

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
type Loops = PhoneOutput['throttling']['loops'];
const loopRatio = (l: Loops) => (median(l.page.throttled) + median(l.worker.throttled)) / (median(l.page.unthrottled) + median(l.worker.unthrottled));
const workerRatio = (l: Loops) => median(l.worker.throttled) / median(l.worker.unthrottled);

function log(msg: string) {
  process.stderr.write(`[phone ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Every process under `root` (itself included), from /proc's parent links. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/u.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * A slow core for each dedicated worker of one browser: its thread (named "DedicatedWorker" by
 * Chromium) moved into a cpu cgroup of its own, `fraction` of one core. Called while the worker waits
 * for the debugger, before it has run a line; a worker whose thread is not found is counted, and fails
 * the run's check.
 */
class WorkerCores {
  readonly groups: CpuCgroup[] = [];
  attached = 0;
  moved = 0;
  /** How long each worker was held at its start while its thread was found and moved (this process's clock). */
  readonly pausedMs: number[] = [];
  readonly errors: string[] = [];

  constructor(
    private readonly browserPid: number,
    public fraction: number,
  ) {}

  /** Moves every DedicatedWorker thread of the browser not yet in a cgroup of ours; how many it moved. */
  capture(): number {
    let n = 0;
    for (const pid of descendants(this.browserPid)) {
      let tids: string[];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        continue;
      }
      for (const tid of tids) {
        try {
          if (!readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('DedicatedWorker')) continue;
          if (readFileSync(`/proc/${pid}/task/${tid}/cgroup`, 'utf8').includes('paredao-cpu-')) continue;
        } catch {
          continue;
        }
        const group = createCpuCgroup(this.fraction, WORKER_PERIOD_US);
        if (typeof group === 'string') throw new Error(group);
        this.groups.push(group);
        group.addThread(pid, Number(tid));
        n++;
      }
    }
    this.moved += n;
    return n;
  }

  setFraction(fraction: number): void {
    this.fraction = fraction;
    for (const g of this.groups) {
      try {
        g.setFraction(fraction);
      } catch {
        // its worker ended and the cgroup is empty: nothing to slow
      }
    }
  }

  /** The limit as the cgroups have it now (that of a new one). */
  limit(): { quotaUs: number; periodUs: number } {
    const period = Math.max(WORKER_PERIOD_US, Math.ceil(1000 / this.fraction));
    return { quotaUs: Math.max(1000, Math.round(this.fraction * period)), periodUs: period };
  }

  remove(): void {
    for (const g of this.groups) {
      try {
        g.remove();
      } catch (err) {
        log(`cannot remove ${g.dir}: ${String(err)}`);
      }
    }
  }
}

/** One emulated phone browser: how its CPU is slowed. */
interface Phone {
  mode: Mode;
  browser: Browser;
  /** The DevTools rate set on each page (1: none). */
  pageRate: number;
  /** devtools: the workers' own cgroups; cgroup: null. */
  cores: WorkerCores | null;
  /** cgroup: the whole browser's; devtools: null. */
  group: CpuCgroup | null;
  calibration: Calibration[];
  /** Chromium's answers to the DevTools throttling asked of each worker. */
  workerAnswers: string[];
}

/**
 * Throttles the page's main thread with the DevTools protocol; each dedicated worker it starts is
 * paused at its start, asked for the same (Chromium's answer is kept: it refuses), moved onto a slow
 * core of its own, then resumed.
 */
async function throttlePage(context: BrowserContext, page: Page, phone: Phone): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: phone.pageRate });
  // Non-flat auto-attach: the worker's protocol messages travel through this page session.
  cdp.on('Target.receivedMessageFromTarget', (ev) => {
    const m = JSON.parse(ev.message) as { id?: number; error?: { message: string } };
    if (m.id === 1) phone.workerAnswers.push(m.error ? m.error.message : 'applied');
  });
  cdp.on('Target.attachedToTarget', (ev) => {
    const send = (id: number, method: string, params: object = {}) =>
      cdp.send('Target.sendMessageToTarget', { sessionId: ev.sessionId, message: JSON.stringify({ id, method, params }) }).catch((err: unknown) => phone.workerAnswers.push(String(err)));
    void (async () => {
      if (ev.targetInfo.type === 'worker' && phone.cores) {
        const cores = phone.cores;
        const pausedAt = performance.now();
        cores.attached += 1;
        try {
          // Its thread may be found by an earlier worker's scan (two starting at once), or show a moment late.
          for (let tries = 0; cores.capture() === 0 && cores.moved < cores.attached; tries++) {
            if (tries === 20) throw new Error('no DedicatedWorker thread of the browser left to slow');
            await new Promise((r) => setTimeout(r, 10));
          }
        } catch (err) {
          cores.errors.push(`worker ${ev.targetInfo.url}: ${err instanceof Error ? err.message : String(err)}`);
        }
        void send(1, 'Emulation.setCPUThrottlingRate', { rate: phone.pageRate });
        cores.pausedMs.push(performance.now() - pausedAt);
      }
      void send(2, 'Runtime.runIfWaitingForDebugger');
    })();
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: phone.cores !== null, flatten: false });
}

/** A fresh phone page: its own context in the phone's browser, with the DevTools throttling when that is the emulation. */
async function newPhone(phone: Phone): Promise<{ context: BrowserContext; page: Page }> {
  const { width, height, ...rest } = DEVICE;
  const context = await phone.browser.newContext({ viewport: { width, height }, ...rest, locale: 'pt-BR' });
  await context.addInitScript(PROBE);
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') log(`${phone.mode}: page ${m.type()}: ${m.text()}`);
  });
  if (phone.pageRate > 1) await throttlePage(context, page, phone);
  return { context, page };
}

const verified = (page: Page) => page.locator('#form-voto[data-antibot="verified"]').waitFor();

/** Serves the page and its assets from `dist` (a web/dist directory), the api from the stack. */
async function serveDist(context: BrowserContext, url: string, dist: string): Promise<void> {
  const types: Record<string, string> = { js: 'text/javascript', css: 'text/css', html: 'text/html', svg: 'image/svg+xml' };
  await context.route(
    (u) => u.origin === new URL(url).origin && !u.pathname.startsWith('/api/'),
    (route) => {
      const path = new URL(route.request().url()).pathname;
      const file = join(dist, path === '/' ? 'index.html' : path);
      try {
        readFileSync(file);
      } catch {
        return route.continue();
      }
      return route.fulfill({ path: file, contentType: types[file.split('.').pop()!] ?? 'application/octet-stream' });
    },
  );
}

async function firstLoad(phone: Phone, url: string, dist?: string): Promise<FirstLoad> {
  const { context, page } = await newPhone(phone);
  try {
    if (dist) await serveDist(context, url, dist);
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

/** The repeat votes of one session in the page's own flow. */
async function repeatVotes(phone: Phone, url: string): Promise<RepeatVote[]> {
  const { context, page } = await newPhone(phone);
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
      log(`${phone.mode}: repeat vote ${i}/${votes}: tap → confirmation ${v.tapToConfirmationMs} ms, "Votar novamente" → proof ready ${verifiedEpoch - againAt} ms`);
    }
    return samples;
  } finally {
    await context.close();
  }
}

/** The loop (LOOP_CODE's) on the page's main thread; a string, so the bundler's helpers stay out of the page. */
const busyLoop = (page: Page) =>
  page.evaluate<number>(
    `(() => { ${LOOP_BODY} return ms; })()`,
  );

/** The same loop in a dedicated worker of the page, timed by the worker's own clock. */
const workerLoop = (page: Page) =>
  page.evaluate(
    (script) =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(script);
        w.onmessage = (e: MessageEvent<number>) => {
          resolve(e.data);
          w.terminate();
        };
        w.onerror = (e) => reject(new Error(e.message));
      }),
    LOOP_WORKER,
  );

/** A page of the site (resultado.html: no check of its own running) that can start the loop worker. */
async function loopPage(context: BrowserContext, page: Page, url: string): Promise<void> {
  await context.route(`**${LOOP_WORKER}`, (route) => route.fulfill({ body: LOOP_CODE, contentType: 'text/javascript' }));
  await page.goto(`${url}/resultado.html`);
}

/**
 * The fixed loop on a phone page of the site (slowed as the vote pages are) and on one of the unconfined
 * browser, in the page and in a worker, interleaved so the machine's load falls on both alike.
 */
async function measureLoops(phone: Phone, plain: Browser, url: string, rounds: number): Promise<Loops> {
  const slow = await newPhone(phone);
  const other = await plain.newContext();
  const otherPage = await other.newPage();
  const loops: Loops = { page: { throttled: [], unthrottled: [] }, worker: { throttled: [], unthrottled: [] } };
  try {
    await loopPage(slow.context, slow.page, url);
    await loopPage(other, otherPage, url);
    for (let i = 0; i < rounds; i++) {
      loops.page.throttled.push(await busyLoop(slow.page));
      loops.page.unthrottled.push(await busyLoop(otherPage));
      loops.worker.throttled.push(await workerLoop(slow.page));
      loops.worker.unthrottled.push(await workerLoop(otherPage));
    }
  } finally {
    await slow.context.close();
    await other.close();
  }
  return loops;
}

const loopText = (l: Loops) =>
  `page ${median(l.page.throttled).toFixed(0)} vs ${median(l.page.unthrottled).toFixed(0)} ms, worker ${median(l.worker.throttled).toFixed(0)} vs ${median(l.worker.unthrottled).toFixed(0)} ms`;

/**
 * Sets the slowed cgroup(s) so the loop runs `throttle` times slower than unconfined: for the whole
 * browser, in a page and in a worker together (they share the quota, its compiler and GC threads too);
 * for the devtools phone, in a worker (the page's rate is the protocol's). Up to five rounds, until one
 * is within 10 %; each next fraction is the geometric mean of every round's estimate (one round is noisy
 * on a loaded machine).
 */
async function calibrate(phone: Phone, plain: Browser, url: string): Promise<void> {
  const rounds = phone.calibration;
  let fraction = phone.group ? phone.group.quotaUs / phone.group.periodUs : phone.cores!.fraction;
  const estimates: number[] = [];
  for (let round = 0; round < 5; round++) {
    const l = await measureLoops(phone, plain, url, 5);
    const ratio = phone.group ? loopRatio(l) : workerRatio(l);
    const limit = phone.group ? { quotaUs: phone.group.quotaUs, periodUs: phone.group.periodUs } : phone.cores!.limit();
    rounds.push({ ...limit, ratio });
    log(`${phone.mode}: calibration: ${limit.quotaUs} µs per ${limit.periodUs} µs → ${phone.group ? 'page and worker' : 'the worker'} ${ratio.toFixed(2)}× slower (${loopText(l)})`);
    if (Math.abs(ratio / throttle - 1) <= 0.1) break;
    // Time ∝ 1 / fraction.
    estimates.push(Math.log((fraction * ratio) / throttle));
    fraction = Math.min(cpus().length, Math.exp(estimates.reduce((a, b) => a + b, 0) / estimates.length));
    if (phone.group) phone.group.setFraction(fraction);
    else phone.cores!.setFraction(fraction);
  }
}

/**
 * Two SHA-256 workers on the same api challenges, in a phone page, one worker each: the `altcha`
 * package's (an await of crypto.subtle.digest per counter; the page no longer ships it, so the run
 * serves it from node_modules at a same-origin URL) and ours (web/src/antibot-worker.ts). Both try the
 * counters from 0 one by one, so a proof costs both counter + 1 hashes; each time is the worker's own.
 */
async function solverAB(phone: Phone, url: string, n: number): Promise<PhoneOutput['solvers']> {
  const assets = readdirSync(join(ROOT, 'web/dist/assets'));
  const file = (re: RegExp) => {
    const f = assets.find((a) => re.test(a));
    if (!f) throw new Error(`no ${re} in web/dist/assets: build the web first`);
    return `/assets/${f}`;
  };
  const scripts = { altcha: '/bench/altcha-sha-worker.js', ours: file(/^antibot-worker-[\w-]+\.js$/u) };
  const { context, page } = await newPhone(phone);
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

const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const launch = (executablePath: string) => chromium.launch({ executablePath, headless: true, args: LAUNCH_ARGS });
const tmpDirs: string[] = [];

/** Chromium started through a shell that writes its pid first (the worker threads are found under it). */
async function launchWithPid(): Promise<{ browser: Browser; pid: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'paredao-phone-'));
  tmpDirs.push(dir);
  const wrapper = join(dir, 'chromium.sh');
  writeFileSync(wrapper, `#!/bin/sh\necho $$ > '${join(dir, 'pid')}'\nexec '${CHROMIUM}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await launch(wrapper);
  return { browser, pid: Number(readFileSync(join(dir, 'pid'), 'utf8')) };
}

/** The phone of one emulation, or why it cannot be made here (which fails the run: no fast proof reported as slow). */
async function makePhone(mode: Mode): Promise<Phone> {
  const base = { mode, calibration: [], workerAnswers: [] };
  if (mode === 'cgroup') {
    const group = createCpuCgroup(1 / throttle, BROWSER_PERIOD_US);
    if (typeof group === 'string') throw new Error(`--emulation=cgroup: ${group}`);
    return { ...base, browser: await launch(group.wrap(CHROMIUM)), pageRate: 1, cores: null, group };
  }
  const probeGroup = createCpuCgroup(1 / throttle, WORKER_PERIOD_US);
  if (typeof probeGroup === 'string') throw new Error(`--emulation=devtools: the workers cannot be slowed here (${probeGroup}); the DevTools protocol does not slow them`);
  probeGroup.remove();
  const { browser, pid } = await launchWithPid();
  return { ...base, browser, pageRate: throttle, cores: new WorkerCores(pid, 1 / throttle), group: null };
}

/** What one emulation was, as the result file records it. */
function throttlingOf(phone: Phone, loops: Loops): Emulated['throttling'] {
  const { group, cores } = phone;
  const stat = group?.stat();
  const refused = [...new Set(phone.workerAnswers.filter((a) => a !== 'applied'))].join('; ');
  return {
    method: phone.mode === 'devtools' ? 'devtools' : group!.controller,
    pageRate: phone.pageRate,
    cgroup: group
      ? { quotaUs: group.quotaUs, periodUs: group.periodUs, calibration: phone.calibration, periods: stat?.nr_periods ?? 0, throttledPeriods: stat?.nr_throttled ?? 0 }
      : null,
    workerCgroups: cores ? { ...cores.limit(), calibration: phone.calibration, attached: cores.attached, moved: cores.moved, errors: cores.errors, refused: refused || 'applied' } : null,
    fallback: '',
    workers: {
      applied: true,
      answer: group
        ? `in the browser's ${group.controller} cpu cgroup`
        : `each worker's thread in a cpu cgroup of its own (Chromium's answer to the DevTools call on a worker: "${refused || 'applied'}")`,
    },
    loops,
  };
}

async function main() {
  const loadAvgBefore = loadavg();
  const date = new Date().toISOString();
  log(`load average ${loadAvgBefore.map((l) => l.toFixed(2)).join(' ')}; ANTIBOT_DIFFICULTY=${difficulty}, throttle ${throttle}×, emulations ${modes.join(', ')}`);
  const apiWorkers = 2;
  const stack: Stack = await startStack({ difficulty, apiWorkers, rateLimitPerIp: defaultRateLimit, env: { LOG_LEVEL: 'info' } });
  const phones: Phone[] = [];
  let plain: Browser | undefined;
  let out: PhoneOutput;
  try {
    plain = await launch(CHROMIUM);
    for (const mode of modes) phones.push(await makePhone(mode));
    for (const phone of phones) await calibrate(phone, plain, stack.url);
    const first = new Map<Phone, FirstLoad[]>(phones.map((p) => [p, []]));
    // Interleaved, so the machine's load falls on both emulations alike.
    const ab: Record<'A' | 'B', FirstLoad[]> = { A: [], B: [] };
    for (let i = 0; i < loads; i++) {
      for (const phone of phones) {
        if (args['page-a'] && phone === phones[0]) {
          // A/B: this tree's page (B) and the other's (A), each from its files, alternating which goes first.
          for (const side of i % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
            const l = await firstLoad(phone, stack.url, side === 'A' ? args['page-a'] : join(ROOT, 'web/dist'));
            ab[side].push(l);
            log(`A/B ${side} ${i + 1}/${loads}: proof ready ${Math.round(l.readyMs)} ms (${Object.entries(l.phases).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')})`);
          }
          first.get(phone)!.push(ab.B.at(-1)!);
          continue;
        }
        const l = await firstLoad(phone, stack.url);
        first.get(phone)!.push(l);
        log(`${phone.mode}: first load ${i + 1}/${loads}: proof ready ${Math.round(l.readyMs)} ms (solving ${Math.round(l.solvingMs)} ms, hashing ${Math.round(l.phases.hashingMs)} ms)`);
      }
    }
    if (args['page-a']) {
      const pct = (xs: number[]) => { const o = [...xs].sort((a, b) => a - b); return `p50 ${Math.round(o[Math.floor((o.length - 1) / 2)]!)}, p95 ${Math.round(o[Math.ceil(0.95 * o.length) - 1]!)}`; };
      for (const side of ['A', 'B'] as const) {
        const ls = ab[side];
        log(`A/B ${side} (${side === 'A' ? args['page-a'] : 'this tree'}), ${ls.length} loads: ready ${pct(ls.map((l) => l.readyMs))}; scripts ${pct(ls.map((l) => l.phases.scriptsMs))}; verifying ${pct(ls.map((l) => l.phases.verifyingMs))}; challenge ${pct(ls.map((l) => l.phases.challengeMs))}; hashing ${pct(ls.map((l) => l.phases.hashingMs))}`);
      }
    }
    const repeat = new Map<Phone, RepeatVote[]>();
    for (const phone of phones) repeat.set(phone, await repeatVotes(phone, stack.url));
    const solvers = await solverAB(phones[0]!, stack.url, solverProofs);
    const runs: Emulated[] = [];
    for (const phone of phones) {
      const loops = await measureLoops(phone, plain, stack.url, 5);
      const run: Emulated = { throttling: throttlingOf(phone, loops), firstLoads: first.get(phone)!, repeatVotes: repeat.get(phone)! };
      const slow = loopSlowdown(run);
      if (phone.cores) log(`${phone.mode}: each worker held at its start while moved: median ${median(phone.cores.pausedMs).toFixed(1)} ms, max ${Math.max(...phone.cores.pausedMs).toFixed(1)} ms`);
      log(`${phone.mode}: after the votes the loop ran ${slow.page.toFixed(2)}× slower in a page, ${slow.worker.toFixed(2)}× in a worker (${loopText(loops)})`);
      const problems = throttlingProblems(run, throttle);
      if (problems.length) {
        const line = '!'.repeat(100);
        throw new Error(`${line}\n${phone.mode}: the phone was not slowed as asked, its figures would be a fast proof's:\n  ${problems.join('\n  ')}\n${line}`);
      }
      runs.push(run);
    }
    const expected = phones.length * (votes + 1);
    const counted = (await stack.waitForTotal(expected, 30_000).catch(() => stack.results(stack.apiUrl))).total;
    log(`counted ${counted} of ${expected}; a bot on one core…`);
    const bot = await botOnOneCore(stack.url);
    out = {
      machine: {
        cpuModel: /model name\s*:\s*(.*)/u.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        node: process.version,
        chromium: plain.version(),
        kernel: sh('uname', ['-r']),
        date,
        command: `npm run bench:phone${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
        gitCommit: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
        loadAvgBefore,
        loadAvgAfter: loadavg(),
      },
      settings: { throttle, votes, loads, difficulty, apiWorkers, rateLimitPerIp: defaultRateLimit, botProofs, device: DEVICE },
      ...runs[0]!,
      ...(runs[1] ? { harsher: runs[1] } : {}),
      counted: { expected, counted },
      solvers,
      bot,
    };
  } finally {
    for (const phone of phones) await phone.browser.close();
    await plain?.close();
    for (const phone of phones) {
      phone.group?.remove();
      phone.cores?.remove();
    }
    for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
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
  if (out.harsher) for (const t of phoneTargets({ ...out, ...out.harsher })) log(`(whole-browser cgroup, not judged) ${t.met ? 'met' : 'missed'}: ${t.target} (${t.measured})`);
  if (fullRun) for (const doc of writeGeneratedDocs({ phone: source })) log(`regenerated ${doc}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
