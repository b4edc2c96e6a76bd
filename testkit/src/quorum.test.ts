import { describe, expect, it } from 'vitest';
import { fastestLeaderCosts, leaderCost, nodeUsPerMessage, spreadSplit, type NodeRun, type QuorumOutput, type QuorumRun } from './quorum.js';

const node = (name: string, cpuUs: number, idleCores = 0, leads: string[] = []): NodeRun => ({ node: `${name}@localhost`, leads, cpuUs, idleCores });

function run(over: Partial<QuorumRun>): QuorumRun {
  return {
    layout: 'one',
    queues: [{ name: 'q', leader: 'n1@localhost', members: 3 }],
    votesPerMessage: 1,
    messageBytes: 226,
    ratePerSec: 1000,
    published: 10_000,
    confirmed: 10_000,
    consumed: 10_000,
    wallSec: 10,
    loadAvgBefore: [1, 1, 1],
    otherProcessesCores: 0,
    clientCpuUs: 0,
    nodes: [node('n1', 3_000_000, 0, ['q']), node('n2', 1_000_000), node('n3', 1_400_000)],
    ...over,
  };
}

describe('nodeUsPerMessage', () => {
  it('when a node spent 0.1 core idle, then that rate over the run is taken off before dividing', () => {
    // 10 s × 0.1 core = 1 s of idle CPU out of 3 s, over 10 000 messages.
    expect(nodeUsPerMessage(node('n1', 3_000_000, 0.1), { consumed: 10_000, wallSec: 10 })).toBeCloseTo(200);
  });

  it('when the idle rate exceeds what the run used (noise), then the cost is 0, not negative', () => {
    expect(nodeUsPerMessage(node('n1', 100_000, 0.5), { consumed: 10_000, wallSec: 10 })).toBe(0);
  });
});

describe('leaderCost', () => {
  it('when the queue is led by n1, then n1 is the leader and n2, n3 average to the follower cost', () => {
    const c = leaderCost(run({}));
    expect(c.leaderUs).toBeCloseTo(300);
    expect(c.followerUs).toBeCloseTo(120);
    expect(c.totalUs).toBeCloseTo(540);
  });

  it('when the leader moved to n3, then the attribution follows the recorded leader, not node order', () => {
    const c = leaderCost(run({ queues: [{ name: 'q', leader: 'n3@localhost', members: 3 }] }));
    expect(c.leaderUs).toBeCloseTo(140);
    expect(c.followerUs).toBeCloseTo(200);
  });

  it('when given a spread run, then it refuses', () => {
    expect(() => leaderCost(run({ layout: 'spread' }))).toThrow(/one queue/);
  });
});

describe('fastestLeaderCosts and spreadSplit', () => {
  it('when each size ran at two rates, then the faster run of each size is kept', () => {
    const out = {
      runs: [run({ ratePerSec: 1000 }), run({ ratePerSec: 333, nodes: [node('n1', 9e6), node('n2', 1e6), node('n3', 1e6)] }), run({ votesPerMessage: 20, ratePerSec: 1000 })],
    } as QuorumOutput;
    const kept = fastestLeaderCosts(out);
    expect(kept.map((c) => [c.votesPerMessage, c.ratePerSec])).toEqual([
      [1, 1000],
      [20, 1000],
    ]);
  });

  it('when three nodes each lead one queue, then each node reports its own cost and one lead', () => {
    const r = run({ layout: 'spread', nodes: [node('n1', 2e6, 0, ['a']), node('n2', 2.2e6, 0, ['b']), node('n3', 1.8e6, 0, ['c'])] });
    expect(spreadSplit(r)).toEqual([
      { node: 'n1@localhost', leads: 1, us: 200 },
      { node: 'n2@localhost', leads: 1, us: 220 },
      { node: 'n3@localhost', leads: 1, us: 180 },
    ]);
  });
});
