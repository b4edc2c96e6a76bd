/**
 * What bench/quorum-leader.ts writes (bench/results/quorum-<date>.json) and the arithmetic that turns a
 * run's CPU per node into a leader's and a follower's cost per message. Pure: tested beside it.
 */
import type { Machine } from './bench-report.js';

/** The machine as a bench run records it, less what this run has no use for. */
export type QuorumMachine = Omit<Machine, 'memoryGiB' | 'nginx'>;

/** One node's share of a run. */
export interface NodeRun {
  node: string;
  /** Queues of the run this node leads. */
  leads: string[];
  /** CPU of the node's OS processes (beam.smp and its children) over the run, µs. */
  cpuUs: number;
  /** The node's CPU while the run's queues were declared and idle, in cores: subtracted over the run's wall time. */
  idleCores: number;
}

export interface QuorumRun {
  /** `one`: a single quorum queue; `spread`: the messages spread evenly over several, each led by a different node. */
  layout: 'one' | 'spread';
  queues: { name: string; leader: string; members: number }[];
  votesPerMessage: number;
  messageBytes: number;
  ratePerSec: number;
  /** Messages published, confirmed, and consumed and acked. */
  published: number;
  confirmed: number;
  consumed: number;
  wallSec: number;
  loadAvgBefore: number[];
  /** Cores' worth of CPU that processes other than the three nodes and this script used during the run. */
  otherProcessesCores: number;
  clientCpuUs: number;
  nodes: NodeRun[];
}

export interface QuorumOutput {
  machine: QuorumMachine;
  settings: { ratePerSec: number; seconds: number; spreadQueues: number; votesPerMessage: number[]; idleSec: number; clients: string; erlArgs: string };
  runs: QuorumRun[];
}

/** A node's CPU over the run beyond its idle rate, per consumed message, µs (never below 0). */
export function nodeUsPerMessage(n: NodeRun, run: Pick<QuorumRun, 'consumed' | 'wallSec'>): number {
  if (run.consumed === 0) return 0;
  return Math.max(0, n.cpuUs - n.idleCores * run.wallSec * 1e6) / run.consumed;
}

export interface LeaderCost {
  votesPerMessage: number;
  messageBytes: number;
  ratePerSec: number;
  /** The leading node's CPU per message (with the publishing and consuming connections, which sit on it). */
  leaderUs: number;
  /** The mean of the other members' CPU per message. */
  followerUs: number;
  /** All three nodes' CPU per message. */
  totalUs: number;
}

/** Leader and follower cost per message of a one-queue run (the queue's leader read from the run). */
export function leaderCost(run: QuorumRun): LeaderCost {
  if (run.layout !== 'one' || run.queues.length !== 1) throw new Error('leaderCost: a run with one queue');
  const leader = run.queues[0]!.leader;
  const lead = run.nodes.find((n) => n.node === leader);
  const rest = run.nodes.filter((n) => n.node !== leader);
  if (!lead || rest.length === 0) throw new Error(`leaderCost: the leader ${leader} is not among the run's nodes`);
  const leaderUs = nodeUsPerMessage(lead, run);
  const followerUs = rest.reduce((s, n) => s + nodeUsPerMessage(n, run), 0) / rest.length;
  return { votesPerMessage: run.votesPerMessage, messageBytes: run.messageBytes, ratePerSec: run.ratePerSec, leaderUs, followerUs, totalUs: leaderUs + followerUs * rest.length };
}

/** Every one-queue run as leader costs: fewest votes per message first, then slowest first. */
export function leaderCosts(out: QuorumOutput): LeaderCost[] {
  return out.runs
    .filter((r) => r.layout === 'one')
    .map(leaderCost)
    .sort((a, b) => a.votesPerMessage - b.votesPerMessage || a.ratePerSec - b.ratePerSec);
}

/** For each message size, the one-queue run at the highest rate: the one nearest a busy queue. */
export function fastestLeaderCosts(out: QuorumOutput): LeaderCost[] {
  const bySize = new Map<number, LeaderCost>();
  for (const c of leaderCosts(out)) bySize.set(c.votesPerMessage, c);
  return [...bySize.values()];
}

/** A spread run: each node's CPU per message of the whole run, and how many of its queues it leads. */
export function spreadSplit(run: QuorumRun): { node: string; leads: number; us: number }[] {
  return run.nodes.map((n) => ({ node: n.node, leads: n.leads.length, us: nodeUsPerMessage(n, run) }));
}
