/**
 * The Voto Único under faults (docs/decisions/0005-voto-unico.md): voters each send two Único votes at
 * the same instant (two devices, two candidates), open loop at `votersPerSec`, every attempt retried
 * after a 503 or no answer as the page retries it, while the consumer is SIGKILLed and the broker's
 * app restarted. The audit, from the store: every 202 counted, no person counted twice (an applied Único
 * vote per claim at most, one claim per person), tallies and hourly rows equal to the applied votes.
 * One row of docs/RELIABILITY.md's table, as the Torcida scenarios.
 */
import Database from 'better-sqlite3';
import { openStore } from '@paredao/core';
import { openParedaoWithRules } from './admin.js';
import { archivedIds, type FaultRow } from './fault-audit.js';
import { killRepeatedly, restartBroker } from './fault-scenarios.js';
import { openLoop } from './load.js';
import { waitFor } from './ports.js';
import { startStack } from './stack.js';
import { candidateOf, keepAliveAgent, postWith, type Answer } from './unico-client.js';
import { signedInVoter } from './voters.js';

/** Tries of one attempt (the first and its retries), as the page's UNICO_TRIES. */
const TRIES = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runUnicoScenario(o: { votersPerSec: number; durationSec: number }, log: (msg: string) => void = () => {}): Promise<FaultRow> {
  // The sweeper looks sooner than its default, so the run need not wait 30 s for the claims whose
  // publish was refused (each answered 503) to be counted.
  const stack = await startStack({ apiWorkers: 2, env: { UNICO_SWEEP_AFTER_MS: '5000', UNICO_SWEEP_EVERY_MS: '1000', LOG_LEVEL: 'info' } });
  const agent = keepAliveAgent(256);
  try {
    const { id: paredaoId, candidateIds } = await openParedaoWithRules(stack.url, {
      title: 'Falhas no Voto Único',
      candidates: ['Participante 1', 'Participante 2'],
      voting: { modes: ['torcida', 'unico'], weights: { unico: 70, torcida: 30 }, showPartials: true },
    });
    const n = o.votersPerSec * o.durationSec;
    log(`Único: ${n} voter sessions written to the store`);
    const store = await openStore(stack.env.STORE_URL!);
    const voters: { accountId: string; cookie: string }[] = [];
    try {
      for (let i = 0; i < n; i++) voters.push(await signedInVoter(store, stack.env.ADMIN_SESSION_SECRET!));
    } finally {
      await store.close();
    }

    const base = new URL(stack.apiUrl);
    const statuses: Record<string, number> = {};
    const accepted: string[] = [];
    const errorAtSec: number[] = [];
    /** Per voter: what each attempt finally got (202 with its vote id, 409 with the candidate, or failure). */
    const outcomes: { final: Answer[]; sent: string[] }[] = [];
    let retries = 0;
    let gaveUp = 0;
    const t0 = Date.now();
    const attempt = async (i: number, candidateId: string): Promise<Answer> => {
      for (let tryNo = 1; ; tryNo++) {
        const a = await postWith(agent, base, '/api/voters/vote', JSON.stringify({ candidateId }), { cookie: voters[i]!.cookie, origin: stack.url });
        statuses[a.status] = (statuses[a.status] ?? 0) + 1;
        if (a.status === 202 || a.status === 409) return a;
        errorAtSec.push((Date.now() - t0) / 1000);
        if (tryNo >= TRIES) {
          gaveUp++;
          return a;
        }
        retries++;
        await sleep((a.retryAfter ?? 1) * 1000);
      }
    };
    const pending: Promise<void>[] = [];
    log(`Único: ${o.votersPerSec} voters/s × 2 attempts for ${o.durationSec} s`);
    const load = openLoop(performance.now(), n, 1000 / o.votersPerSec, (i) => {
      const sent = i % 2 ? [candidateIds[0]!, candidateIds[1]!] : [candidateIds[1]!, candidateIds[0]!];
      pending.push(
        Promise.all(sent.map((c) => attempt(i, c))).then((final) => {
          outcomes[i] = { final, sent };
          for (const a of final) if (a.status === 202) accepted.push((JSON.parse(a.body) as { voteId: string }).voteId);
        }),
      );
    });
    const loadDone = load.then(() => Promise.all(pending));
    // One after the other (a consumer started while the broker is away waits out its backoff):
    // the consumer SIGKILLed twice, then the broker's app stopped for 4 s, all under load.
    const faults = (async () => {
      const kills = await killRepeatedly(stack, 'consumer', sleep(9000), 4000, 2);
      const broker = await restartBroker(stack, 2000, 4000);
      return { kills, broker };
    })();
    const [, { kills, broker }] = await Promise.all([loadDone, faults]);
    const loadEnd = Date.now();
    log(`Único: load done; ${kills.fault}; ${broker.fault}; waiting for the count`);

    const db = new Database(stack.storePath, { readonly: true, fileMustExist: true });
    try {
      const applied = () => archivedIds(db, { paredaoId, mode: 'unico' });
      const acceptedSet = new Set(accepted);
      await waitFor('every 202 counted', async () => {
        const a = new Set(applied());
        return [...acceptedSet].every((id) => a.has(id));
      }, 90_000, 250).catch(() => {});
      const drainSec = (Date.now() - loadEnd) / 1000;
      // Claims answered 503 are counted by the sweeper: wait until no claim is left uncounted.
      await waitFor('no claim uncounted', async () => (db.prepare('SELECT COUNT(*) FROM unico_claims WHERE paredao_id = ? AND counted = 0').pluck().get(paredaoId) as number) === 0, 60_000, 500).catch(() => {});
      const appliedIds = applied();
      const appliedSet = new Set(appliedIds);
      const claims = db.prepare('SELECT voter_key AS voterKey, vote_id AS voteId, counted FROM unico_claims WHERE paredao_id = ?').all(paredaoId) as { voterKey: string; voteId: string; counted: number }[];
      const claimOf = new Map(claims.map((c) => [c.voteId, c]));
      const countedPerVoter = new Map<string, number>();
      let unknown = 0;
      for (const id of appliedIds) {
        const c = claimOf.get(id);
        if (!c) unknown++;
        else countedPerVoter.set(c.voterKey, (countedPerVoter.get(c.voterKey) ?? 0) + 1);
      }
      const tally = db.prepare("SELECT COALESCE(SUM(votes), 0) FROM tallies WHERE paredao_id = ? AND mode = 'unico'").pluck().get(paredaoId) as number;
      const hourly = db.prepare("SELECT COALESCE(SUM(votes), 0) FROM hourly WHERE paredao_id = ? AND mode = 'unico'").pluck().get(paredaoId) as number;
      const voterKeys = new Set(voters.map((v) => v.accountId));
      let twice = 0;
      for (const [key, k] of countedPerVoter) if (k > 1 || !voterKeys.has(key)) twice++;
      const two202 = outcomes.filter((x) => x?.final.filter((a) => a.status === 202).length === 2).length;
      // A voter whose attempts all failed (503 after the claim, then the retries gave up) is still counted
      // once by the sweeper: a vote counted with no 202, as the Torcida table's "extra".
      const countedVoters = countedPerVoter.size;
      const with202 = outcomes.filter((x) => x?.final.some((a) => a.status === 202)).length;
      const conflictsNamingWinner = outcomes.filter((x) => x && x.final.some((a) => a.status === 202) && x.final.some((a) => a.status === 409) && candidateOf(x.final[0]!) === candidateOf(x.final[1]!)).length;
      let lost = 0;
      for (const id of acceptedSet) if (!appliedSet.has(id)) lost++;
      const queue = await stack.queueDepths();
      return {
        apiWorkers: 2,
        scenario: '10. Voto Único: double submits, consumer SIGKILL and broker restart',
        fault: `${kills.fault}; ${broker.fault}`,
        ratePerSec: o.votersPerSec * 2,
        durationSec: o.durationSec,
        requests: Object.values(statuses).reduce((x, y) => x + y, 0),
        accepted: accepted.length,
        statuses,
        retries,
        gaveUp,
        counted: appliedIds.length,
        lost,
        extraWithout202: Math.max(0, countedVoters - with202),
        unknown,
        doubled: twice + two202 + Math.abs(tally - appliedSet.size) + (appliedIds.length - appliedSet.size),
        hourlyAddsUp: hourly === tally,
        dead: queue.dead,
        drainSec,
        errorSpanSec: errorAtSec.length ? Math.max(...errorAtSec) - Math.min(...errorAtSec) : null,
        notes: `${n} voters, each two attempts at once (two candidates), retried after 503 as the page does (${TRIES} tries); ${conflictsNamingWinner} got one 202 and one 409 naming the same candidate; persons counted: ${countedVoters} of ${n}; persons counted twice: ${twice}; ${kills.notes}; ${broker.notes}`,
        injected: kills.injected + broker.injected,
        retriedWith: 'the same vote (the retry of a claimed vote answers 409 naming its own candidate: shown as registered)',
      };
    } finally {
      db.close();
    }
  } finally {
    agent.destroy();
    await stack.stop();
  }
}
