import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterScenarios, runScenario } from '@paredao/testkit/fault-scenarios';
import { clusterUnavailable, LocalCluster } from '@paredao/testkit/cluster';
import { expectNothingLostNothingDoubled } from './fault-audit.js';
import { startStack } from '@paredao/testkit/stack';
import { skipWithoutTool } from '../support/require-tool.js';

/**
 * In CI: three real RabbitMQ nodes from scripts/rabbitmq-cluster.sh (temporary folder, own
 * names and ports), the whole system voting through them, and the node leading the vote queue SIGKILLed
 * under load. `npm run faults` runs this and the other cluster scenarios longer (docs/RELIABILITY.md).
 */
const why = clusterUnavailable();

describe.skipIf(skipWithoutTool({ tool: 'rabbitmq-server', present: !why, why: `is not usable: ${why}`, checks: 'the RabbitMQ cluster tests' }))('a three-node RabbitMQ cluster', () => {
  const cluster = new LocalCluster();
  let stopped = false;

  beforeAll(async () => {
    await cluster.start();
  }, 300_000);
  afterAll(async () => {
    if (!stopped) await cluster.stop();
  }, 240_000);

  it('when the script starts it, then three nodes run as one cluster', async () => {
    const status = await cluster.ctl(1, ['cluster_status', '--formatter', 'json']);
    const s = JSON.parse(status) as { running_nodes: string[]; disk_nodes: string[] };
    expect(s.running_nodes.sort()).toEqual([1, 2, 3].map((i) => cluster.nodeName(i)));
    expect([1, 2, 3].map((i) => cluster.pid(i))).not.toContain(null);
  });

  it('when the system votes through it, then the vote queue and its dead-letter queue have a member on each node and the vote is counted', async () => {
    const stack = await startStack({ amqpUrl: cluster.url });
    try {
      const res = await stack.vote('participante-1');
      expect(res.status).toBe(202);
      await stack.waitForTotal(1);
      const queues = await cluster.queues();
      for (const name of [stack.queue, `${stack.queue}.dead`]) {
        const q = queues.find((x) => x.name === name);
        expect(q, name).toBeDefined();
        expect(q!.members.sort(), name).toEqual([1, 2, 3].map((i) => cluster.nodeName(i)));
      }
    } finally {
      await stack.stop();
    }
  }, 120_000);

  it('when the node leading the vote queue is SIGKILLed under 200 votes/s, then every 202 is counted exactly once', async () => {
    const r = await runScenario(clusterScenarios.leaderKill(cluster, 200, 20, 4000));
    expectNothingLostNothingDoubled(r);
    expect(r.injected).toBe(1);
    // Every planned vote was eventually accepted (503s are retried with a new proof, as the page does).
    expect(r.gaveUp).toBe(0);
    expect(r.accepted).toBe(200 * 20);
    // Voters barely notice: the api sends unconfirmed votes again on its next node instead of answering
    // 503 (before that, about one request in five failed over ~6 s). Not always 0: on this loaded
    // machine the confirms of votes published during the re-election sometimes miss PUBLISH_TIMEOUT_MS
    // (46 of 4046 in one run, 0 in four others), and the page retries those.
    expect(r.requests - r.accepted).toBeLessThanOrEqual(Math.ceil(r.requests * 0.03));
  }, 240_000);

  it('when the script stops it, then no node of it keeps running', async () => {
    const pids = [1, 2, 3].map((i) => cluster.pid(i));
    expect(pids).not.toContain(null);
    stopped = true;
    await cluster.stop();
    for (const pid of pids) expect(() => process.kill(pid!, 0)).toThrow();
  }, 240_000);
});
