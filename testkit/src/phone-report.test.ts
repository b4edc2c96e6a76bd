import { describe, expect, it } from 'vitest';
import { largestDifficultyWithin, parsePhoneOutput, percentiles, phoneTargets, readyAt, renderDifficulty, renderPhone, throttlingProblems, type PhoneOutput } from './phone-report.js';

/** A run with 20 of each sample: ready 1000…1950 ms (solving half of it), taps 500…1450 ms. */
function run(over: { tap?: number[]; ready?: number[]; workersApplied?: boolean } = {}): PhoneOutput {
  const ready = over.ready ?? Array.from({ length: 20 }, (_, i) => 1000 + 50 * i);
  const tap = over.tap ?? Array.from({ length: 20 }, (_, i) => 500 + 50 * i);
  return {
    machine: { cpuModel: 'AMD EPYC', cores: 2, memoryGiB: 23.5, node: 'v20.20.2', chromium: '156.0', kernel: '6.1', date: '2026-12-04T22:10:00.000Z', command: 'npm run bench:phone', gitCommit: 'abc1234', loadAvgBefore: [8, 6, 4], loadAvgAfter: [9, 7, 5] },
    settings: { throttle: 6, votes: tap.length, loads: ready.length, difficulty: 50, apiWorkers: 2, rateLimitPerIp: 1200, botProofs: 40, device: { width: 360, height: 740, deviceScaleFactor: 2, isMobile: true, hasTouch: true } },
    throttling: {
      method: 'cdp',
      cgroup: null,
      fallback: 'asked for --emulation=cdp',
      workers: { applied: over.workersApplied ?? false, answer: 'Operation is only supported for pages, not workers' },
      loops: { page: { throttled: [60, 61, 59], unthrottled: [10, 10, 11] }, worker: { throttled: [10, 11, 12], unthrottled: [10, 10, 11] } },
    },
    firstLoads: ready.map((r) => ({ readyMs: r, solvingMs: r / 2, phases: { htmlMs: r / 10, scriptsMs: r / 4, verifyingMs: r / 2, challengeMs: r / 2 + 5, hashingMs: r / 3 } })),
    repeatVotes: tap.map((t) => ({ tapToConfirmationMs: t, againToReadyMs: 2 * t, solvingMs: t })),
    counted: { expected: tap.length + 1, counted: tap.length + 1 },
    solvers: [
      { hashes: 60_000, altchaMs: 3000, oursMs: 300 },
      { hashes: 40_000, altchaMs: 2000, oursMs: 200 },
    ],
    bot: { proofs: 40, hashes: 40 * 50_000, cpuMs: 2000, wallMs: 2100 },
  };
}

describe('percentiles (nearest rank)', () => {
  it('when there are 20 samples 1…20, then p50 is the 10th, p95 the 19th and max the 20th', () => {
    expect(percentiles(Array.from({ length: 20 }, (_, i) => 20 - i))).toEqual({ count: 20, p50: 10, p95: 19, max: 20 });
  });

  it('when there is one sample, then every percentile is it', () => {
    expect(percentiles([1234])).toEqual({ count: 1, p50: 1234, p95: 1234, max: 1234 });
  });
});

describe('the targets', () => {
  it('when the p95s sit exactly on the limits, then both are met', () => {
    const out = run({ tap: [...Array<number>(19).fill(100), 1500], ready: [...Array<number>(19).fill(100), 3000] });
    // 20 samples: p95 is the 19th, so the one slow sample is over p95; put it at the 19th instead.
    out.repeatVotes[18]!.tapToConfirmationMs = 1500;
    out.firstLoads[18]!.readyMs = 3000;
    const [tap, ready] = phoneTargets(out);
    expect(tap).toMatchObject({ met: true, measured: 'p50 100 ms, p95 1500 ms' });
    expect(ready!.met).toBe(true);
  });

  it('when a p95 is a fraction of a ms over its limit, then it is missed and shown rounded up', () => {
    const out = run({ tap: Array<number>(20).fill(1500.2) });
    const [tap] = phoneTargets(out);
    expect(tap).toMatchObject({ met: false, measured: 'p50 1501 ms, p95 1501 ms' });
    expect(renderPhone(out, 'x.json')).toContain('| p50 1501 ms, p95 1501 ms | **no** |');
  });

  it('when Chromium left the workers unthrottled, then the proof-ready target is also judged with the solving 6× slower', () => {
    const out = run();
    const judged = phoneTargets(out);
    expect(judged).toHaveLength(3);
    // The 10th and 19th loads: 1450 + 5 × 725 = 5075 ms and 1900 + 5 × 950 = 6650 ms.
    expect(judged[2]).toMatchObject({ met: false, measured: 'p50 5075 ms, p95 6650 ms' });
    expect(phoneTargets(run({ workersApplied: true }))).toHaveLength(2);
  });
});

describe('extrapolating the difficulty', () => {
  const loads = [{ readyMs: 1000, solvingMs: 500 }];

  it('scales only the solving part, linearly in the difficulty and the workers\' slowdown', () => {
    expect(readyAt(loads, 50, 100, 1)).toEqual([1500]);
    expect(readyAt(loads, 50, 50, 6)).toEqual([3500]);
  });

  it('when 500 ms is outside the solving and 500 ms solving at 50, then 3 s holds up to 250 (41 with the workers 6× slower)', () => {
    expect(largestDifficultyWithin(loads, 50, 3000, 1)).toBe(250);
    expect(largestDifficultyWithin(loads, 50, 3000, 6)).toBe(41);
  });

  it('when the page alone takes longer than the limit, then no difficulty fits', () => {
    expect(largestDifficultyWithin([{ readyMs: 4000, solvingMs: 500 }], 50, 3000, 1)).toBe(0);
    expect(renderDifficulty(run({ ready: Array<number>(20).fill(8000) }), 'x.json')).toContain('no difficulty meets the 3 s target here: before the check began, the page had taken 4000 ms (p95)');
  });

  it('when the default fits only with desktop-speed workers, then the paragraph says so with both bounds', () => {
    // The 19th load decides p95: 950 ms outside the solving, 950 ms solving at 50.
    expect(renderDifficulty(run(), 'x.json')).toContain(
      'the 3 s target holds up to difficulty 107 as measured and up to 17 with the workers throttled too: the default 50 is within it only with desktop-speed workers.',
    );
  });
});

describe('the raw output', () => {
  it('when it has every field, then it parses as it is', () => {
    const out = run();
    expect(parsePhoneOutput(JSON.parse(JSON.stringify(out)))).toEqual(out);
  });

  it('when a field is missing, mistyped or a sample list is empty, then parsing names it', () => {
    const { bot: _bot, ...noBot } = run();
    expect(() => parsePhoneOutput(noBot)).toThrow(/must have required property 'bot'/);
    const mistyped = run() as unknown as { firstLoads: { readyMs: unknown }[] };
    mistyped.firstLoads[3]!.readyMs = '1000';
    expect(() => parsePhoneOutput(mistyped)).toThrow(/\/firstLoads\/3\/readyMs must be number/);
    expect(() => parsePhoneOutput({ ...run(), repeatVotes: [] })).toThrow(/\/repeatVotes must NOT have fewer than 1 items/);
  });
});

describe('how the CPU was slowed', () => {
  const inCgroup = (): PhoneOutput => {
    const out = run({ workersApplied: true });
    out.throttling = {
      method: 'cgroup v1',
      cgroup: { quotaUs: 2400, periodUs: 20_000, calibration: [{ quotaUs: 3333, ratio: 9 }, { quotaUs: 2400, ratio: 6.2 }], periods: 900, throttledPeriods: 850 },
      fallback: '',
      workers: { applied: true, answer: "in the browser's cgroup v1 cpu cgroup" },
      loops: { page: { throttled: [60, 61, 59], unthrottled: [10, 10, 11] }, worker: { throttled: [70, 72, 71], unthrottled: [10, 12, 11] } },
    };
    return out;
  };

  it('when the browser ran in a cpu cgroup, then the section gives its quota, the calibration and both loops, and no extrapolated row', () => {
    const text = renderPhone(inCgroup(), 'x.json');
    expect(text).toContain('CPU cgroup (cgroup v1) of 2400 µs per 20000 µs, 12.0 % of one core, calibrated for 6× (the load in a page and a worker together; rounds: 3333 µs → 9.00×, 2400 µs → 6.20×)');
    expect(text).toContain('the limit bit in 850 of 900 periods; no DevTools throttling');
    // Medians: page 60 / 10, worker 71 / 11.
    expect(text).toContain('ran 6.0× slower in a phone page and 6.5× slower in its Web Worker');
    expect(text).not.toContain('extrapolated');
    expect(phoneTargets(inCgroup())).toHaveLength(2);
  });

  it('when it fell back to the DevTools protocol, then the section says why and shows the unslowed worker', () => {
    const text = renderPhone(run(), 'x.json');
    expect(text).toContain('with `Emulation.setCPUThrottlingRate` on every page (no cgroup: asked for --emulation=cdp)');
    expect(text).toContain('6.0× slower in a phone page and 1.1× slower in its Web Worker');
  });

  it('the first loads are split where the time went, each phase a row of its own', () => {
    const text = renderPhone(run(), 'x.json');
    // 20 loads 1000…1950 ms: the HTML at a tenth, p50 is the 10th (1450 → 145), p95 the 19th (1900 → 190).
    expect(text).toContain('| … the HTML received | 20 | 145 | 190 | 195 |');
    expect(text).toContain("| … of which hashing, on the winning worker's clock | 20 | 484 | 634 | 650 |");
  });
});

describe('the two solvers', () => {
  it('gives each worker\'s hashes per second over the same challenges, and how much faster ours is', () => {
    expect(renderPhone(run(), 'x.json')).toContain(
      "the same 2 api challenges each (60000, 40000 hashes): altcha's SHA-256 worker (an await of `crypto.subtle.digest` per counter) 20 k hashes/s, ours (`web/src/antibot-worker.ts`) 200 k hashes/s: 10.0× faster.",
    );
    expect(renderPhone({ ...run(), solvers: [] }, 'x.json')).not.toContain('The solver in a phone page');
  });
});

describe('the bot against the phone', () => {
  it('when a core did 50 000 hashes per 50 ms of CPU, then a proof of the stated mean costs it 50 ms', () => {
    expect(renderPhone(run(), 'x.json')).toContain('**50 ms of one core per proof**');
    // p50 of the first loads is 1450 ms: 29 bot votes.
    expect(renderDifficulty(run(), 'x.json')).toContain('about 29 votes in the time');
    // Hashing is a third of each load: p50 1450 / 3 → 484 ms, about 10 bot proofs of 50 ms.
    expect(renderDifficulty(run(), 'x.json')).toContain('the hashing itself, the only part the difficulty sets, took 484 ms (p50; p95 634 ms)');
    expect(renderDifficulty(run(), 'x.json')).toContain('(p50), 10 in the time the phone spends hashing.');
    expect(renderDifficulty(run(), 'x.json')).toContain('Measured with the CPU throttled 6× (pages only)');
  });
});

describe('the DevTools emulation, judged, with the whole-browser cgroup beside it', () => {
  const devtools = (): PhoneOutput => {
    const out = run({ workersApplied: true });
    out.throttling = {
      method: 'devtools',
      pageRate: 6,
      cgroup: null,
      workerCgroups: { quotaUs: 1000, periodUs: 6500, calibration: [{ quotaUs: 1000, periodUs: 6000, ratio: 5.2 }, { quotaUs: 1000, periodUs: 6500, ratio: 5.9 }], attached: 30, moved: 30, errors: [], refused: 'Operation is only supported for pages, not workers' },
      fallback: '',
      workers: { applied: true, answer: "each worker's thread in a cpu cgroup of its own" },
      loops: { page: { throttled: [60, 61, 59], unthrottled: [10, 10, 11] }, worker: { throttled: [58, 62, 60], unthrottled: [10, 10, 10] } },
    };
    out.harsher = {
      throttling: {
        method: 'cgroup v1',
        cgroup: { quotaUs: 1100, periodUs: 4000, calibration: [{ quotaUs: 1000, periodUs: 6000, ratio: 9 }], periods: 900, throttledPeriods: 850 },
        fallback: '',
        workers: { applied: true, answer: "in the browser's cgroup v1 cpu cgroup" },
        loops: { page: { throttled: [80, 81, 79], unthrottled: [10, 10, 11] }, worker: { throttled: [70, 72, 71], unthrottled: [10, 12, 11] } },
      },
      firstLoads: out.firstLoads.map((l) => ({ ...l, readyMs: 2 * l.readyMs })),
      repeatVotes: out.repeatVotes.map((v) => ({ ...v, tapToConfirmationMs: 2 * v.tapToConfirmationMs })),
    };
    return out;
  };

  it('when it was slowed as asked, then there is no problem with it', () => {
    expect(throttlingProblems(devtools(), 6)).toEqual([]);
  });

  it('when a worker ran at full speed, or a worker was not moved onto its slow core, then the check names it (the run fails on it)', () => {
    const fast = devtools();
    fast.throttling.loops.worker.throttled = [11, 10, 12];
    expect(throttlingProblems(fast, 6)).toEqual(['the loop ran 1.10× slower in a phone page\'s worker: under 3×, the workers were not throttled (asked 6×)']);
    const missed = devtools();
    missed.throttling.workerCgroups!.moved = 29;
    expect(throttlingProblems(missed, 6)).toEqual(['30 workers started but 29 were moved onto a slowed core']);
    // The old DevTools-only runs: the page slowed, the worker not.
    expect(throttlingProblems(run(), 6)).toHaveLength(1);
  });

  it('says which emulation is judged and why, and shows both side by side', () => {
    const text = renderPhone(devtools(), 'x.json');
    expect(text).toContain('**The targets are judged on the DevTools emulation**, the method the requirement names');
    expect(text).toContain('Chromium refuses that call on a worker ("Operation is only supported for pages, not workers")');
    expect(text).toContain('1000 µs per 6500 µs (15.4 % of one core, calibrated for 6× on the load in a worker; rounds: 1000 µs per 6000 µs → 5.20×, 1000 µs per 6500 µs → 5.90×; 30 of 30 workers so slowed)');
    expect(text).toContain('the **whole browser in one CPU cgroup** (28 % of one core)');
    expect(text).toContain('| figure (ms) | samples | DevTools p50 | p95 | max | cgroup p50 | p95 | max |');
    // Ready 1000…1950 judged, twice that beside it: p50 the 10th, p95 the 19th.
    expect(text).toContain('| page load → proof ready, first vote (a fresh context each) | 20 | 1450 | 1900 | 1950 | 2900 | 3800 | 3900 |');
    expect(text).toContain('| page load → proof ready, first vote, 20 fresh loads: p95 ≤ 3000 ms | p50 1450 ms, p95 1900 ms | yes | p50 2900 ms, p95 3800 ms | **no** |');
    expect(text).not.toContain('extrapolated');
    const para = renderDifficulty(devtools(), 'x.json');
    expect(para).toContain('Measured with the CPU throttled 6× by the DevTools protocol on the page, each proof worker on a core slowed 6×');
    expect(para).toContain('With the whole browser on one slowed core instead (a CPU cgroup, the harsher figure shown beside it, not judged), the proof was ready in 3800 ms (p95; missed)');
  });

  it('parses with the cgroup run beside it', () => {
    const out = devtools();
    expect(parsePhoneOutput(JSON.parse(JSON.stringify(out)))).toEqual(out);
    const broken = JSON.parse(JSON.stringify(out)) as { harsher: { firstLoads: unknown[] } };
    broken.harsher.firstLoads = [];
    expect(() => parsePhoneOutput(broken)).toThrow(/\/harsher\/firstLoads must NOT have fewer than 1 items/);
  });
});
