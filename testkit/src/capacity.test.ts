import { describe, expect, it } from 'vitest';
import { benchSteps, brokerPlan, coresFor, renderCapacity } from './capacity.js';
import type { QuorumOutput, QuorumRun } from './quorum.js';
import type { BenchOutput, StepReport } from './bench-report.js';

const group = (cpuUs: number) => ({ cpuUs, peakRssMiB: 1, sumPeakRssMiB: 1, processes: 1 });

/** A votes step of 10 s whose roles spent the given µs per vote. */
function step(rate: number, passed: boolean, us: Record<string, number>): StepReport {
  const accepted = rate * 10;
  return {
    kind: 'votes',
    rate,
    durationSec: 10,
    scheduled: accepted,
    sent: accepted,
    dropped: 0,
    accepted,
    acceptedPerSec: rate,
    statuses: { 202: accepted },
    networkErrors: 0,
    errorRate: 0,
    latency: { count: accepted, p50: 1, p95: 2, p99: 3, max: 4, mean: 1 },
    sendLag: { count: accepted, p50: 1, p95: 2, p99: 3, max: 4, mean: 1 },
    passed,
    cpu: Object.fromEntries(Object.entries(us).map(([g, v]) => [g, group(v * accepted)])),
    cpuUsPerVote: 0,
    cpuUsPerVoteWithoutBroker: 0,
    loadGeneratorCpuUs: 1_000_000,
    loadAvgBefore: [1, 1, 1],
    otherProcessesCores: 0,
  };
}

const roles = (api: number) => ({ nginx: 100, api, consumer: 80, rabbitmq: 120, monitoring: 2 });
const bench = {
  machine: { cpuModel: 'Test CPU', cores: 2, memoryGiB: 8, node: 'v20', nginx: '1', rabbitmq: '3.10', kernel: 'k', date: '2026-12-04T20:14:00Z', command: 'npm run bench', gitCommit: 'abc', loadAvgAtStart: [0.5, 0.5, 0.5] },
  settings: {} as BenchOutput['settings'],
  steps: [step(1000, true, roles(800)), step(3000, true, roles(500)), step(4000, false, roles(480))],
  baseline: [],
} as BenchOutput;

function qrun(layout: 'one' | 'spread', votesPerMessage: number, ratePerSec: number, leaderUs: number, followerUs: number): QuorumRun {
  const consumed = ratePerSec * 10;
  const leads = layout === 'one' ? [['q'], [], []] : [['a'], ['b'], ['c']];
  return {
    layout,
    queues: layout === 'one' ? [{ name: 'q', leader: 'n1@localhost', members: 3 }] : ['a', 'b', 'c'].map((name, i) => ({ name, leader: `n${i + 1}@localhost`, members: 3 })),
    votesPerMessage,
    messageBytes: 200 * votesPerMessage,
    ratePerSec,
    published: consumed,
    confirmed: consumed,
    consumed,
    wallSec: 10,
    loadAvgBefore: [2, 2, 2],
    otherProcessesCores: 0.5,
    clientCpuUs: 0,
    nodes: [leaderUs, followerUs, followerUs].map((us, i) => ({ node: `n${i + 1}@localhost`, leads: leads[i]!, cpuUs: us * consumed, idleCores: 0 })),
  };
}

const quorum = {
  machine: { cpuModel: 'Test CPU', cores: 2, node: 'v20', rabbitmq: '3.10.8', kernel: 'k', date: '2026-12-05T10:00:00Z', command: 'npx tsx bench/quorum-leader.ts', gitCommit: 'abc', loadAvgAtStart: [3, 3, 3] },
  settings: { ratePerSec: 1000, seconds: 10, spreadQueues: 3, votesPerMessage: [1, 20], idleSec: 5, clients: 'clients on the leader', erlArgs: '' },
  runs: [qrun('one', 1, 1000, 250, 150), qrun('one', 1, 333, 400, 200), qrun('spread', 1, 1000, 350, 350), qrun('one', 20, 1000, 500, 300)],
} as QuorumOutput;

describe('coresFor', () => {
  it('when a vote costs 600 µs, then 25 000 votes/s take 15 cores busy, 25 at 60 %', () => {
    expect(coresFor(600, 25_000, 1)).toBeCloseTo(15);
    expect(coresFor(600, 25_000, 0.6)).toBeCloseTo(25);
  });
});

describe('brokerPlan', () => {
  it('when a leader spends 250 µs per one-vote message, then one queue carries 2400 votes/s at 60 % and 25 000/s take 11 queues', () => {
    const p = brokerPlan({ votesPerMessage: 1, messageBytes: 200, ratePerSec: 1000, leaderUs: 250, followerUs: 150, totalUs: 550 }, 25_000, 0.6, 3);
    expect(p.usPerVote).toBe(550);
    expect(p.queueVotesPerSec).toBeCloseTo(2400);
    expect(p.queues).toBe(11);
    expect(p.leadersPerNode).toBe(4);
    expect(p.cores).toBeCloseTo((25_000 * 550) / 1e6 / 0.6);
  });

  it('when messages carry 20 votes, then the per-vote cost and the queues needed fall twentyfold', () => {
    const p = brokerPlan({ votesPerMessage: 20, messageBytes: 4000, ratePerSec: 1000, leaderUs: 250, followerUs: 150, totalUs: 550 }, 25_000, 0.6, 3);
    expect(p.usPerVote).toBeCloseTo(27.5);
    expect(p.queues).toBe(1);
  });
});

describe('benchSteps', () => {
  it('when 3000/s passes and 4000/s fails, then 3000/s is the top step and 4000/s the first failing one', () => {
    const s = benchSteps(bench);
    expect(s.top.rate).toBe(3000);
    expect(s.at1000?.rate).toBe(1000);
    expect(s.failing?.rate).toBe(4000);
  });

  it('when no step passed, then it says so instead of planning from nothing', () => {
    expect(() => benchSteps({ ...bench, steps: [step(1000, false, roles(800))] })).toThrow(/no passing/);
  });
});

describe('renderCapacity', () => {
  const text = renderCapacity({ source: 'bench/results/b.json', out: bench }, { source: 'bench/results/quorum-q.json', out: quorum });

  it('when rendered, then it names both sources and shows each role at the top step and at 1000/s with its cores', () => {
    expect(text).toContain('`bench/results/b.json`');
    expect(text).toContain('`bench/results/quorum-q.json`');
    // api: 500 µs at 3000/s, 800 at 1000/s, 25 000 × 500 µs / 0.6 = 20.8 cores.
    expect(text).toMatch(/\| api [^|]*\| 500 \| 800 \| 20\.8 \|/);
    expect(text).toMatch(/\| consumer, \*\*with the SQLite store\*\*[^|]*\| 80 \| 80 \| 3\.3 \|/);
  });

  it('when MongoDB was not measured, then its row says so and carries no figure', () => {
    expect(text).toMatch(/\| store: MongoDB[^|]*\| not measured here[^|]*\| – \| – \|/);
  });

  it('when the api costs the most, then it is named as what saturates first', () => {
    expect(text).toMatch(/\*\*What saturates first\.\*\* The api: 500 of the 802 µs/);
  });

  it('when both sizes ran, then the broker plan uses the fastest one-queue run of each', () => {
    // 1 vote/message at 1000/s: leader 250 → 2400 votes/s per queue, 11 queues; 20 votes: 48 000 per queue, 1 queue.
    expect(text).toMatch(/\| 1 \| [\d.]+ \| 2,400 \| 11 \| 4 \|/);
    expect(text).toMatch(/\| 20 \| [\d.]+ \| 24,000 \| 2 \| 1 \|/);
    // The spread run's per-node split, each node leading one queue.
    expect(text).toMatch(/\| 1 \| 1000 \| 350 \(1\) \| 350 \(1\) \| 350 \(1\) \| 1,050 \|/);
  });
});
