import { openStore, type Store } from '@paredao/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../votes/replay-guard.js';
import { ArbiterClient, HostArbiter, serveArbiter, type ArbiterChannel } from './cluster-arbiter.js';

const id = (n: number) => `${(n + 0x10000).toString(16).padStart(16, '0')}${'e'.repeat(16)}`;
const noStore = { appliedSince: async () => [] } as unknown as Store;
const log = pino({ level: 'silent' });
const expiryMs = 120_000;

/**
 * A worker's end of an IPC channel to a primary serving `host`, in this process: messages cross as JSON
 * and arrive on a later turn, as over the cluster's channel. `sent` counts the worker's messages.
 */
function channelTo(host: HostArbiter, delayMs = 0, workerId = 0): ArbiterChannel & { sent: number } {
  const toWorker: ((m: unknown) => void)[] = [];
  const toPrimary: ((m: unknown) => void)[] = [];
  const later = (f: () => void) => (delayMs ? setTimeout(f, delayMs) : setImmediate(f));
  const deliver = (to: ((m: unknown) => void)[], m: unknown) => later(() => to.forEach((l) => l(JSON.parse(JSON.stringify(m)))));
  serveArbiter(host, { send: (m, done) => (deliver(toWorker, m), done(null)), on: (_e, l) => toPrimary.push(l) }, workerId);
  const worker = {
    sent: 0,
    send: (m: unknown, done: (err: Error | null) => void) => (worker.sent++, deliver(toPrimary, m), done(null)),
    on: (_e: 'message', l: (m: unknown) => void) => toWorker.push(l),
  };
  return worker;
}

describe('HostArbiter and ArbiterClient', () => {
  it('when twenty copies of one proof reach two workers of a host at once, then exactly one claim is accepted', async () => {
    const host = new HostArbiter(expiryMs);
    const workers = [0, 1].map(() => new ReplayGuard(noStore, expiryMs, log, 0, new ArbiterClient(channelTo(host))));
    const t = Date.now(); // the primary holds claims by its own clock
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => workers[i % 2]!.claim(id(1), t)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    // A later copy to either worker is refused too; a released claim (publish failed) can be made again.
    expect(await workers[0]!.claim(id(1), t + 1000)).toBe(false);
    expect(await workers[1]!.claim(id(1), t + 1000)).toBe(false);
    const winner = answers.indexOf(true) % 2;
    workers[winner]!.release(id(1));
    expect(await workers[1 - winner]!.claim(id(1), t + 2000)).toBe(true);
  });

  it('when a worker dies after claiming a proof, then nginx\'s copy of that vote to another worker takes the claim over, once, and a copy for another candidate is still refused', async () => {
    const host = new HostArbiter(expiryMs);
    const [dying, other] = [1, 2].map((w) => new ReplayGuard(noStore, expiryMs, log, 0, new ArbiterClient(channelTo(host, 0, w))));
    const t = Date.now();
    expect(await dying!.claim(id(20), t, 'ana')).toBe(true);
    expect(await other!.claim(id(20), t, 'ana'), 'the claimer is alive: a copy is refused').toBe(false);
    host.orphan(1);
    expect(await other!.claim(id(20), t, 'bruno'), 'another candidate').toBe(false);
    expect(await other!.claim(id(20), t, 'ana'), 'the same vote, sent again').toBe(true);
    const third = new ReplayGuard(noStore, expiryMs, log, 0, new ArbiterClient(channelTo(host, 0, 3)));
    expect(await third.claim(id(20), t, 'ana'), 'taken over once').toBe(false);
  });

  it('when a worker dies, then only its claims of the last seconds are orphaned: an older one has long been published', () => {
    const host = new HostArbiter(expiryMs);
    const t = 1_000_000;
    const claim = (n: number, at: number, worker: number) => host.handle([['claim', id(n), at + expiryMs, 'ana']], at, worker)[0];
    expect(claim(30, t, 1)).toBe(true);
    expect(claim(31, t + 9_000, 1)).toBe(true);
    host.orphan(1, t + 11_000);
    expect(claim(30, t + 11_001, 2)).toBe(false);
    expect(claim(31, t + 11_001, 2)).toBe(true);
  });

  it('when a worker already knows a proof (its own claim, or applied by the consumer), then it refuses the copy without asking the primary', async () => {
    const host = new HostArbiter(expiryMs);
    const channel = channelTo(host);
    const applied = { appliedSince: async (since: number) => (since <= Date.now() ? [{ voteId: id(9), appliedAt: Date.now() }] : []) } as unknown as Store;
    const g = new ReplayGuard(applied, expiryMs, log, Date.now() - 1000, new ArbiterClient(channel));
    expect(await g.claim(id(8))).toBe(true);
    await g.sync();
    const sent = channel.sent;
    expect(await g.claim(id(8))).toBe(false);
    expect(await g.claim(id(9))).toBe(false);
    expect(channel.sent).toBe(sent);
  });

  it('when many claims and counts are made in one turn, then they cross as one message each way', async () => {
    const host = new HostArbiter(expiryMs);
    const channel = channelTo(host);
    const client = new ArbiterClient(channel);
    const store = client.limitStore('votes');
    const claims = Array.from({ length: 50 }, (_, i) => client.claim(id(i), Date.now() + expiryMs, 'ana'));
    const hits = Array.from({ length: 50 }, () => store.increment('203.0.113.7'));
    expect((await Promise.all(claims)).every(Boolean)).toBe(true);
    expect((await Promise.all(hits)).map((h) => h.totalHits)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(channel.sent).toBe(1);
  });

  it('when claims come on several turns while a batch is in flight, then they wait for its answer and go together', async () => {
    const host = new HostArbiter(expiryMs);
    const channel = channelTo(host, 20);
    const client = new ArbiterClient(channel);
    const first = client.claim(id(100), Date.now() + expiryMs, 'ana');
    const later: Promise<boolean>[] = [];
    for (let turn = 0; turn < 5; turn++) {
      await new Promise((r) => setImmediate(r));
      later.push(client.claim(id(101 + turn), Date.now() + expiryMs, 'ana'));
    }
    expect(await first).toBe(true);
    expect(await Promise.all(later)).toEqual([true, true, true, true, true]);
    expect(channel.sent).toBe(2);
  });

  it('when claims linger, then the claims of several turns go as one message once the linger is over, and a rate-limit count meanwhile goes at once without them', async () => {
    const host = new HostArbiter(expiryMs);
    const channel = channelTo(host);
    const client = new ArbiterClient(channel, 5000, 100);
    const claims: Promise<boolean>[] = [];
    for (let turn = 0; turn < 5; turn++) {
      claims.push(client.claim(id(500 + turn), Date.now() + expiryMs, 'ana'));
      await new Promise((r) => setImmediate(r));
    }
    expect(channel.sent, 'the claims wait out their linger').toBe(0);
    const settled: boolean[] = [];
    for (const c of claims) void c.then((ok) => settled.push(ok));
    expect((await client.limitStore('votes').increment('203.0.113.9')).totalHits).toBe(1);
    expect(channel.sent, 'the count went alone').toBe(1);
    expect(settled, 'the claims still linger').toEqual([]);
    expect(await Promise.all(claims)).toEqual([true, true, true, true, true]);
    expect(channel.sent).toBe(2);
    // Without a linger, five claims one after another make five messages.
    const eager = channelTo(host);
    const now = new ArbiterClient(eager);
    for (let n = 0; n < 5; n++) expect(await now.claim(id(510 + n), Date.now() + expiryMs, 'ana')).toBe(true);
    expect(eager.sent).toBe(5);
  });

  it('when a lone claim lingers, then it goes once its linger is over, and a copy in the same batch is refused', async () => {
    const host = new HostArbiter(expiryMs);
    const channel = channelTo(host);
    const client = new ArbiterClient(channel, 5000, 20);
    const t = performance.now();
    const [a, b] = await Promise.all([client.claim(id(520), Date.now() + expiryMs, 'ana'), client.claim(id(520), Date.now() + expiryMs, 'ana')]);
    expect(performance.now() - t, "it waited its linger (timers round to the millisecond)").toBeGreaterThanOrEqual(15);
    expect([a, b]).toEqual([true, false]);
    expect(channel.sent).toBe(1);
  });

  it('when two workers count one client, then the host holds one count for it, per limit, per window', async () => {
    const host = new HostArbiter(expiryMs);
    const [a, b] = [0, 1].map(() => new ArbiterClient(channelTo(host)).limitStore('login'));
    for (const s of [a!, b!]) s.init?.({ windowMs: 900_000 } as never);
    for (let i = 0; i < 10; i++) await Promise.all([a!.increment('198.51.100.1'), b!.increment('198.51.100.1')]);
    expect((await a!.increment('198.51.100.1')).totalHits).toBe(21);
    // skipSuccessfulRequests takes a hit back; another client and another limit count apart.
    await b!.decrement('198.51.100.1');
    expect((await b!.increment('198.51.100.1')).totalHits).toBe(21);
    expect((await a!.increment('198.51.100.2')).totalHits).toBe(1);
    const votes = new ArbiterClient(channelTo(host)).limitStore('votes');
    expect((await votes.increment('198.51.100.1')).totalHits).toBe(1);
  });

  it('when a window has passed, then the count starts again, and old clients are forgotten', () => {
    const host = new HostArbiter(expiryMs);
    const hit = (key: string, now: number) => (host.handle([['hit', 'votes', 60_000, key]], now)[0] as [number, number])[0];
    expect(hit('a', 0)).toBe(1);
    expect(hit('a', 59_999)).toBe(2);
    expect(hit('a', 60_000)).toBe(1);
    // Rotations drop the counts of clients that stopped: 'b' is gone after two windows of silence.
    expect(hit('b', 60_001)).toBe(1);
    hit('c', 130_000);
    hit('c', 200_000);
    expect(hit('b', 200_001)).toBe(1);
  });

  it('when the primary does not answer, then the claims and counts waiting on it fail with a 503', async () => {
    const silent: ArbiterChannel = { send: (_m, done) => done(null), on: () => {} };
    const client = new ArbiterClient(silent, 50);
    await expect(client.claim(id(2), Date.now(), 'ana')).rejects.toMatchObject({ status: 503, code: 'arbiter_unavailable' });
    const gone: ArbiterChannel = { send: (_m, done) => done(new Error('channel closed')), on: () => {} };
    await expect(new ArbiterClient(gone).limitStore('votes').increment('x')).rejects.toMatchObject({ status: 503 });
  });
});

describe('proof claims across hosts (PROOF_CLAIMS=store), over a real SQLite store', () => {
  /** Two workers of one host: their own arbiter (primary), and the shared store's claims. */
  function host(store: Store, conflicts: { n: number }) {
    const arbiter = new HostArbiter(expiryMs);
    const shared = { store, onConflict: () => conflicts.n++ };
    return { arbiter, workers: [1, 2].map((w) => new ReplayGuard(store, expiryMs, log, 0, new ArbiterClient(channelTo(arbiter, 0, w)), shared)) };
  }

  it('when copies of one proof for two candidates reach the workers of two hosts at once, then every copy accepted names one candidate, at most one per host, round after round', async () => {
    const store = await openStore('sqlite::memory:');
    const conflicts = { n: 0 };
    const [a, b] = [host(store, conflicts), host(store, conflicts)];
    const workers = [...a!.workers, ...b!.workers];
    for (let round = 0; round < 5; round++) {
      const t = Date.now();
      const copies = Array.from({ length: 20 }, (_, i) => ({ worker: i % 4, candidate: i % 8 < 4 ? 'ana' : 'bruno' }));
      const answers = await Promise.all(copies.map((c) => workers[c.worker]!.claim(id(200 + round), t, c.candidate)));
      const accepted = copies.filter((_, i) => answers[i]);
      expect(new Set(accepted.map((c) => c.candidate)).size, `round ${round}`).toBe(1);
      expect(accepted.filter((c) => c.worker < 2).length, `round ${round}, host A`).toBeLessThanOrEqual(1);
      expect(accepted.filter((c) => c.worker >= 2).length, `round ${round}, host B`).toBeLessThanOrEqual(1);
    }
    await store.close();
  });

  it('when a proof was spent on one candidate through one host, then another host refuses it for another candidate and takes it for the same vote sent again', async () => {
    const store = await openStore('sqlite::memory:');
    const conflicts = { n: 0 };
    const [a, b] = [host(store, conflicts), host(store, conflicts)];
    const t = Date.now();
    expect(await a!.workers[0]!.claim(id(300), t, 'ana')).toBe(true);
    expect(await b!.workers[0]!.claim(id(300), t, 'bruno'), 'another candidate').toBe(false);
    expect(conflicts.n).toBe(1);
    // Host B's arbiter let the bruno copy through and holds the proof now: even the same vote is refused there.
    expect(await b!.workers[1]!.claim(id(300), t, 'ana')).toBe(false);
    expect(await host(store, conflicts).workers[0]!.claim(id(300), t, 'ana'), 'the same vote, through a third host').toBe(true);
    await store.close();
  });

  it('when the store cannot take the claim, then the vote is refused with 503 claims_unavailable and the proof may be used again', async () => {
    let store = await openStore('sqlite::memory:');
    const shared = { get store() { return store; }, onConflict: () => {} };
    const g = new ReplayGuard(store, expiryMs, log, 0, null, shared);
    await store.close();
    await expect(g.claim(id(400), Date.now(), 'ana')).rejects.toMatchObject({ status: 503, code: 'claims_unavailable' });
    store = await openStore('sqlite::memory:');
    expect(await g.claim(id(400), Date.now(), 'ana')).toBe(true);
    await store.close();
  });
});
