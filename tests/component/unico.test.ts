import { Writable } from 'node:stream';
import { createRegistry, encodeVote, openStore, type Store } from '@paredao/core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoteConsumer } from '@paredao/consumer/consumer';
import { createConsumerMetrics } from '@paredao/consumer/metrics';
import { ClaimSweeper } from '@paredao/consumer/sweeper';
import { solvedPayload } from '@paredao/testkit/antibot';
import { insertOpenParedao, paredaoFixture } from '@paredao/testkit/paredao';
import { waitFor } from '@paredao/testkit/ports';
import { AMQP_URL, deleteQueues } from '@paredao/testkit/stack';
import { claimedUnicoVotes, signedInVoter, voterCookie } from '@paredao/testkit/voters';
import { sample } from '../support/metrics.js';
import { publishBodies, postJson, quietLog, startApiInProcess, tempStoreUrl, uniqueQueue, type ApiUnderTest } from './helpers.js';

/**
 * The Voto Único vote (decision 0005) through the real api, RabbitMQ, consumer and SQLite: the claim
 * decides one vote per person synchronously, the consumer counts it once, the sweeper counts a claim
 * that never reached the broker. Sign-in is a session written to the store (the passkey ceremony is in
 * tests/e2e/voters.test.ts).
 */
describe('Voto Único: POST /api/voters/vote, real api, RabbitMQ, consumer and SQLite', () => {
  const ORIGIN = 'http://localhost:8080';
  const queue = uniqueQueue('unico');
  const storeUrl = tempStoreUrl();
  const paredaoId = 'unico-p1';
  const consumerRegistry = createRegistry('consumer');
  const consumerMetrics = createConsumerMetrics(consumerRegistry);
  const logLines: string[] = [];
  let t: ApiUnderTest;
  let store: Store;
  let consumer: VoteConsumer;

  beforeAll(async () => {
    store = await openStore(storeUrl);
    await insertOpenParedao(store, paredaoId, 'Único', { ana: 'Ana', bia: 'Bia' }, { voting: { modes: ['torcida', 'unico'], weights: { unico: 70, torcida: 30 }, showPartials: true } });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    t = await startApiInProcess({ QUEUE_NAME: queue, STORE_URL: storeUrl, PUBLIC_ORIGINS: ORIGIN }, pino({ level: 'debug' }, sink));
    consumer = new VoteConsumer({ amqpUrls: AMQP_URL.split(','), queue, prefetch: 200, batchMax: 100, batchMaxWaitMs: 10, store, log: quietLog(), metrics: consumerMetrics });
    consumer.start();
    await waitFor('consumer ready', async () => consumer.readiness() === null);
  });
  afterAll(async () => {
    await consumer?.stop(Date.now() + 5000);
    await t?.api.stop();
    await store?.close();
    await deleteQueues(queue);
  });

  const voter = () => signedInVoter(store, t.env.ADMIN_SESSION_SECRET!);
  const unicoVote = (cookie: string | null, body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${t.url}/api/voters/vote`, body, { origin: ORIGIN, ...(cookie ? { cookie } : {}), ...headers });
  const unicoCount = async () => (await store.tally(paredaoId)).modes.unico.byCandidate;
  const candidateOf = (r: { json: unknown }) => (r.json as { candidateId?: string } | null)?.candidateId;

  it('when a signed-in voter votes, then 202, the vote counts once as Único, and every later attempt is 409 already_voted naming whom they voted for', async () => {
    const { cookie } = await voter();
    const first = await unicoVote(cookie, { candidateId: 'bia' });
    expect(first.status).toBe(202);
    expect(first.json).toMatchObject({ candidateId: 'bia', voteId: expect.any(String) });
    await waitFor('counted', async () => (await unicoCount()).bia === 1);
    const again = await unicoVote(cookie, { candidateId: 'ana' });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ error: { code: 'already_voted', message: expect.any(String) }, candidateId: 'bia' });
    expect(await unicoCount()).toEqual({ bia: 1 });
    // The Torcida tally is untouched, and the Torcida path still works beside it.
    expect((await postJson(`${t.url}/api/votes`, { candidateId: 'ana', altcha: await solvedPayload(t.url) })).status).toBe(202);
  });

  it('when each of 20 people votes from two devices at the same instant, then each gets one 202 and one 409 naming the winning vote, and each is counted once', async () => {
    const before = await unicoCount();
    const people = await Promise.all(Array.from({ length: 20 }, () => voter()));
    const devices = await Promise.all(people.map(async (p) => [p.cookie, await voterCookie(store, t.env.ADMIN_SESSION_SECRET!, p.accountId)] as const));
    const answers = await Promise.all(devices.map(([a, b]) => Promise.all([unicoVote(a, { candidateId: 'ana' }), unicoVote(b, { candidateId: 'bia' })])));
    for (const [a, b] of answers) {
      expect([a.status, b.status].sort()).toEqual([202, 409]);
      const won = a.status === 202 ? a : b;
      const lost = a.status === 202 ? b : a;
      expect(candidateOf(lost)).toBe(candidateOf(won));
    }
    const wonAna = answers.filter(([a]) => a.status === 202).length;
    await waitFor('all 20 counted', async () => {
      const now = await unicoCount();
      return (now.ana ?? 0) - (before.ana ?? 0) + (now.bia ?? 0) - (before.bia ?? 0) === 20;
    });
    const after = await unicoCount();
    expect((after.ana ?? 0) - (before.ana ?? 0)).toBe(wonAna);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(sample(text, 'paredao_votes_rejected_total', { reason: 'already_voted', mode: 'unico' })).toBe(21);
    expect(sample(text, 'paredao_votes_accepted_total', { mode: 'unico', candidate: 'ana' })).toBe(wonAna);
  });

  it('when the request is not a signed-in same-site vote for a candidate of the paredão, then it is refused and nothing is claimed or queued', async () => {
    const { cookie, accountId } = await voter();
    expect((await unicoVote(null, { candidateId: 'ana' })).json?.error?.code).toBe('unauthenticated');
    expect((await unicoVote('paredao_voter=forged.token', { candidateId: 'ana' })).json?.error?.code).toBe('unauthenticated');
    expect((await unicoVote(cookie, { candidateId: 'ana' }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await unicoVote(cookie, { candidateId: 'zeca' })).json?.error?.code).toBe('unknown_candidate');
    expect((await unicoVote(cookie, { candidateId: 'ana', altcha: 'x' })).json?.error?.code).toBe('invalid_body');
    expect((await unicoVote(cookie, '{"candidateId":')).json?.error?.code).toBe('invalid_body');
    // None of that claimed the person's vote: the real one still goes through.
    expect((await unicoVote(cookie, { candidateId: 'ana' })).status).toBe(202);
    // No account id in a log line or a metric label.
    expect(logLines.some((l) => l.includes('request rejected: unknown_candidate'))).toBe(true);
    expect(logLines.filter((l) => l.includes(accountId))).toEqual([]);
    expect(await (await fetch(`${t.url}/metrics`)).text()).not.toContain(accountId);
  });

  it('when a claim is stored but its vote never reached the broker (the api died in between), then the sweeper counts it once, and a late copy through the queue counts nothing', async () => {
    const before = await unicoCount();
    const at = Date.now() - 60_000;
    const [lost] = await claimedUnicoVotes(store, paredaoId, ['bia'], at);
    const sweeper = new ClaimSweeper({ store, afterMs: 30_000, everyMs: 1000, batchMax: 100, log: quietLog(), metrics: consumerMetrics });
    expect(await sweeper.pass()).toBe(1);
    expect(await sweeper.pass()).toBe(0);
    expect((await unicoCount()).bia).toBe((before.bia ?? 0) + 1);
    expect(sample(await consumerRegistry.metrics(), 'paredao_consumer_unico_swept_total', {})).toBe(1);
    // The api comes back and publishes it after all (or the broker redelivers): still one vote.
    const dupBefore = sample(await consumerRegistry.metrics(), 'paredao_consumer_duplicates_skipped_total', {}) ?? 0;
    await publishBodies(queue, [encodeVote(lost!), encodeVote(lost!)]);
    await waitFor('both copies skipped', async () => sample(await consumerRegistry.metrics(), 'paredao_consumer_duplicates_skipped_total', {}) === dupBefore + 2);
    expect((await unicoCount()).bia).toBe((before.bia ?? 0) + 1);
    expect((await store.recount(paredaoId)).modes.unico).toEqual(await unicoCount());
  });

  it('when more claims than a pass takes were accepted after their paredão closed, then the sweeper settles them as void, reports each once, and counts the good claim behind them', async () => {
    // A paredão that closed ten minutes ago, and three claims taken after it closed (an api's stale view).
    const closedAt = Date.now() - 10 * 60_000;
    await store.insertParedao(paredaoFixture('unico-closed', 'Fechado', { ana: 'Ana', bia: 'Bia' }, { status: 'closed', closedAt: new Date(closedAt).toISOString(), voting: { modes: ['torcida', 'unico'], weights: { unico: 70, torcida: 30 }, showPartials: true } }));
    const late = await claimedUnicoVotes(store, 'unico-closed', ['ana', 'ana', 'ana'], closedAt + 1000);
    const before = await unicoCount();
    const [good] = await claimedUnicoVotes(store, paredaoId, ['ana'], Date.now() - 60_000);
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)), done()) }));
    const voidBefore = sample(await consumerRegistry.metrics(), 'paredao_consumer_unico_void_total', {}) ?? 0;
    // Two claims per pass: the three void ones are the oldest, so they come first.
    const sweeper = new ClaimSweeper({ store, afterMs: 30_000, everyMs: 1000, batchMax: 2, log, metrics: consumerMetrics });
    const counted = [await sweeper.pass(), await sweeper.pass(), await sweeper.pass()];
    expect(counted).toEqual([0, 1, 0]);
    expect((await unicoCount()).ana).toBe((before.ana ?? 0) + 1);
    expect((await store.uncountedClaims(Date.now(), 100)).map((c) => c.voteId)).not.toContain(good!.voteId);
    expect(sample(await consumerRegistry.metrics(), 'paredao_consumer_unico_void_total', {})).toBe(voidBefore + 3);
    // Each void claim named in one error line, once; never a voter key.
    for (const v of late) expect(lines.filter((l) => l.includes(v.voteId))).toHaveLength(1);
    expect(lines.filter((l) => l.includes(late[0]!.voteId)).map((l) => JSON.parse(l).level)).toEqual([50]);
    expect((await store.tally('unico-closed')).byCandidate).toEqual({});
  });
});
