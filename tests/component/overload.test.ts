import type { Store } from '@paredao/core';
import { describe, expect, it } from 'vitest';
import { solvedPayload } from '@paredao/testkit/antibot';
import { sample } from '../support/metrics.js';
import { apiForSuite, drainQueue, postJson, type ApiUnderTest } from './helpers.js';

// Admission control through the real api and the real broker: a low bound of votes in flight, and a
// burst of votes far past it arriving at once (each waits for the broker's confirm, so they overlap).
// The event-loop delay signal is off: this api shares its process with the test's client, whose burst
// would lag the loop and refuse the immediate resends below for a reason this test is not about.
describe('api at its bound of votes in flight (VOTE_MAX_IN_FLIGHT), against the real RabbitMQ', () => {
  let t: ApiUnderTest;
  let store: Store;
  const { queue } = apiForSuite('overload', { VOTE_MAX_IN_FLIGHT: '2', VOTE_RETRY_AFTER_SECONDS: '1', VOTE_MAX_LOOP_DELAY_MS: '0' }, (api, s) => {
    t = api;
    store = s;
  });

  it('when a burst of votes exceeds the bound, then the excess gets 503 overloaded with Retry-After, only accepted votes are queued, each once, and the refused proofs work later', async () => {
    const candidates = ['participante-1', 'participante-2'];
    const proofs = await Promise.all(Array.from({ length: 200 }, async (_, i) => ({ candidateId: candidates[i % 2]!, altcha: await solvedPayload(t.url) })));
    const answers = await Promise.all(proofs.map((p) => postJson(`${t.url}/api/votes`, p)));
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 503);
    expect(accepted.length + refused.length).toBe(200);
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.json?.error?.code).toBe('overloaded');
      expect(['1', '2']).toContain(r.headers.get('retry-after'));
    }
    const queued = await drainQueue(queue);
    expect(queued.map((v) => v.voteId).sort()).toEqual(accepted.map((a) => a.json!.voteId!).sort());

    // Counted: what the consumer would apply is exactly the accepted votes.
    const outcome = await store.applyBatch(queued, Date.now());
    expect(outcome).toMatchObject({ applied: accepted.length });
    const tally = await store.tally('bbb26-paredao-1');
    expect(Object.values(tally.byCandidate).reduce((a, b) => a + b, 0)).toBe(accepted.length);

    // A refused vote's proof was never claimed: sent again one at a time, every one is accepted.
    const again = [];
    for (const [i, a] of answers.entries()) if (a.status === 503) again.push((await postJson(`${t.url}/api/votes`, proofs[i])).status);
    expect(again.every((s) => s === 202)).toBe(true);
    expect(await drainQueue(queue)).toHaveLength(refused.length);

    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(sample(text, 'paredao_votes_rejected_total', { reason: 'overloaded' })).toBe(refused.length);
    expect(sample(text, 'paredao_votes_overload_refused_total', { signal: 'in_flight' })).toBe(refused.length);
    expect(sample(text, 'paredao_votes_overload_refused_total', { signal: 'loop_delay' })).toBe(0);
  });
});
