import { describe, expect, it } from 'vitest';
import { buildResults, percentages, publicResults, tallyOf, weightedPercentages, weightsUsed } from './results.js';
import { paredaoSchema, publicParedao, publicResultsSchema, resultsSchema, votingSchema, type Paredao } from './contract.js';

/** An open paredão with two participants, `a` and `b` unless named otherwise. */
const twoOf = (more: Partial<Paredao> = {}, ids: [string, string] = ['a', 'b']): Paredao => ({
  id: 'p',
  title: 't',
  status: 'open',
  candidates: ids.map((id) => ({ id, name: id.toUpperCase() })),
  ...more,
});
const BBB26 = { modes: ['torcida', 'unico'], weights: { unico: 70, torcida: 30 } } as const;

describe('percentages', () => {
  it('when the votes split three ways evenly, then the shares still add up to exactly 100', () => {
    const p = percentages([1, 1, 1]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 10);
    expect(p).toEqual([33.4, 33.3, 33.3]);
  });

  it('when nobody has voted, then every share is 0', () => {
    expect(percentages([0, 0])).toEqual([0, 0]);
  });

  it('for many random tallies, then the shares add up to 100 and each is within 0.1 of the exact value', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 500; i++) {
      const votes = Array.from({ length: 2 + (i % 3) }, () => Math.floor(rnd() * 10_000));
      const total = votes.reduce((a, b) => a + b, 0);
      if (total === 0) continue;
      const p = percentages(votes);
      expect(Math.round(p.reduce((a, b) => a + b, 0) * 10)).toBe(1000);
      votes.forEach((v, j) => expect(Math.abs(p[j]! - (100 * v) / total)).toBeLessThanOrEqual(0.1 + 1e-9));
    }
  });
});

describe('buildResults', () => {
  const paredao = twoOf();

  it('when a candidate has no votes yet, then it still appears with 0, and hourly rows add up to the total', () => {
    const r = buildResults(
      paredao,
      tallyOf({
        torcida: {
          byCandidate: { a: 3 },
          hourly: [
            { hour: '2026-01-01T11:00:00.000Z', byCandidate: { a: 1 } },
            { hour: '2026-01-01T10:00:00.000Z', byCandidate: { a: 2 } },
          ],
        },
      }),
      new Date('2026-01-01T12:00:00Z'),
    );
    expect(r.total).toBe(3);
    expect(r.candidates).toEqual([
      { id: 'a', name: 'A', votes: 3, percent: 100 },
      { id: 'b', name: 'B', votes: 0, percent: 0 },
    ]);
    expect(r.hourly.map((h) => h.hour)).toEqual(['2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z']);
    expect(r.hourly[0]!.byCandidate).toEqual({ a: 2, b: 0 });
    expect(r.hourly.reduce((s, h) => s + h.total, 0)).toBe(r.total);
  });
});

describe('voting rules', () => {
  it('when a paredão is stored without rules, then it reads as Torcida only, 50/50, partials shown', () => {
    const p = paredaoSchema.parse({ id: 'p', title: 't', status: 'draft', candidates: [{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }] });
    expect(publicParedao(p).voting).toEqual({ modes: ['torcida'], weights: { unico: 50, torcida: 50 }, showPartials: true });
  });

  it('when weights do not add up to 100, or no mode is on, or a mode repeats, then the rules are refused', () => {
    const ok = { modes: ['unico', 'torcida'], weights: { unico: 70, torcida: 30 }, showPartials: false };
    expect(votingSchema.safeParse(ok).success).toBe(true);
    expect(votingSchema.safeParse({ ...ok, weights: { unico: 70, torcida: 20 } }).success).toBe(false);
    expect(votingSchema.safeParse({ ...ok, weights: { unico: 70.5, torcida: 29.5 } }).success).toBe(false);
    expect(votingSchema.safeParse({ ...ok, modes: [] }).success).toBe(false);
    expect(votingSchema.safeParse({ ...ok, modes: ['torcida', 'torcida'] }).success).toBe(false);
    expect(votingSchema.safeParse({ ...ok, modes: ['avulso'] }).success).toBe(false);
  });

  it('when the public paredão is served, then the admin audit of its rules is left out', () => {
    const p = twoOf({ votingChanges: [{ at: '2026-01-01T00:00:00.000Z', by: 'admin', voting: { modes: ['torcida'], weights: { unico: 50, torcida: 50 }, showPartials: true } }] });
    expect(publicParedao(p)).not.toHaveProperty('votingChanges');
  });
});

describe('weighted result', () => {
  const both = twoOf({ voting: { ...BBB26, modes: [...BBB26.modes], showPartials: true } });
  const at = new Date('2026-01-01T12:00:00Z');
  const h = '2026-01-01T11:00:00.000Z';

  it('when both modes have votes, then the final share is 70 % of Único plus 30 % of Torcida, and votes and total count both modes', () => {
    // Único: a 25 %, b 75 %; Torcida: a 90 %, b 10 % → a = 0.7·25 + 0.3·90 = 44.5, b = 55.5.
    const r = buildResults(
      both,
      tallyOf({
        unico: { byCandidate: { a: 1, b: 3 }, hourly: [{ hour: h, byCandidate: { a: 1, b: 3 } }] },
        torcida: { byCandidate: { a: 900, b: 100 }, hourly: [{ hour: h, byCandidate: { a: 900, b: 100 } }] },
      }),
      at,
    );
    expect(r.candidates).toEqual([
      { id: 'a', name: 'A', votes: 901, percent: 44.5 },
      { id: 'b', name: 'B', votes: 103, percent: 55.5 },
    ]);
    expect(r.total).toBe(1004);
    expect(r.modes.unico?.candidates.map((c) => c.percent)).toEqual([25, 75]);
    expect(r.modes.torcida?.candidates.map((c) => c.percent)).toEqual([90, 10]);
    expect(r.modes.unico?.hourly).toEqual([{ hour: h, total: 4, byCandidate: { a: 1, b: 3 } }]);
    expect(r.hourly).toEqual([{ hour: h, total: 1004, byCandidate: { a: 901, b: 103 } }]);
    expect(r.weights).toEqual({ unico: 70, torcida: 30 });
    expect(r.weightsUsed).toEqual({ unico: 70, torcida: 30 });
    expect(resultsSchema.parse(r)).toEqual(r);
  });

  it('when one mode has no votes yet, then it takes no part: the other mode decides alone', () => {
    const r = buildResults(both, tallyOf({ torcida: { byCandidate: { a: 1, b: 3 }, hourly: [] } }), at);
    expect(r.weightsUsed).toEqual({ unico: 0, torcida: 100 });
    expect(r.candidates.map((c) => c.percent)).toEqual([25, 75]);
    expect(weightsUsed(both, { torcida: 0, unico: 5 })).toEqual({ unico: 100, torcida: 0 });
    expect(weightsUsed(both, { torcida: 0, unico: 0 })).toEqual({ unico: 70, torcida: 30 });
  });

  it('when a mode is off, then its votes are in no field and its weight goes to the mode that is on', () => {
    const r = buildResults({ ...both, voting: { ...both.voting!, modes: ['unico'] } }, tallyOf({ unico: { byCandidate: { a: 1 }, hourly: [] }, torcida: { byCandidate: { b: 50 }, hourly: [] } }), at);
    expect(r.total).toBe(1);
    expect(Object.keys(r.modes)).toEqual(['unico']);
    expect(r.weightsUsed).toEqual({ unico: 100, torcida: 0 });
    expect(r.candidates.map((c) => c.votes)).toEqual([1, 0]);
  });

  it('for many random tallies and weights, then the final shares add up to exactly 100 and each is within 0.1 of the exact weighted value', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 500; i++) {
      const n = 2 + (i % 3);
      // Large counts too: the products of two totals pass 2^53.
      const scale = i % 2 ? 1e9 : 1000;
      const unico = Array.from({ length: n }, () => 1 + Math.floor(rnd() * scale));
      const torcida = Array.from({ length: n }, () => 1 + Math.floor(rnd() * scale));
      const wu = Math.floor(rnd() * 101);
      const p = weightedPercentages({ unico, torcida }, { unico: wu, torcida: 100 - wu });
      expect(Math.round(p.reduce((a, b) => a + b, 0) * 10)).toBe(1000);
      const tu = unico.reduce((a, b) => a + b, 0);
      const tt = torcida.reduce((a, b) => a + b, 0);
      p.forEach((x, j) => expect(Math.abs(x - (wu * unico[j]!) / tu - ((100 - wu) * torcida[j]!) / tt)).toBeLessThanOrEqual(0.1 + 1e-9));
    }
  });
});

describe('hidden partials', () => {
  const hidden = twoOf({ voting: { ...BBB26, modes: [...BBB26.modes], showPartials: false } }, ['ana', 'bia']);
  const tally = tallyOf({
    torcida: { byCandidate: { ana: 7, bia: 2 }, hourly: [{ hour: '2026-01-01T11:00:00.000Z', byCandidate: { ana: 7, bia: 2 } }] },
    unico: { byCandidate: { ana: 1, bia: 4 }, hourly: [{ hour: '2026-01-01T11:00:00.000Z', byCandidate: { ana: 1, bia: 4 } }] },
  });
  const full = buildResults(hidden, tally, new Date('2026-01-01T12:00:00Z'));

  it('when voting is open, then voters get totals only: no per-participant vote or percentage in any field', () => {
    const view = publicResults(hidden, full);
    expect(view.partialsHidden).toBe(true);
    expect(publicResultsSchema.parse(view)).toEqual(view);
    expect(view.total).toBe(14);
    expect(view.modes).toEqual({ torcida: { total: 9, hourly: [{ hour: '2026-01-01T11:00:00.000Z', total: 9 }] }, unico: { total: 5, hourly: [{ hour: '2026-01-01T11:00:00.000Z', total: 5 }] } });
    // No number in the whole object could be a participant's count or share.
    const text = JSON.stringify(view);
    expect(text).not.toMatch(/"(votes|percent|byCandidate)"/);
    expect(JSON.stringify(view.candidates)).toBe('[{"id":"ana","name":"ANA"},{"id":"bia","name":"BIA"}]');
  });

  it('when voting has closed, or the paredão shows partials, then voters get everything', () => {
    expect(publicResults({ ...hidden, status: 'closed' }, full)).toBe(full);
    expect(publicResults({ ...hidden, voting: { ...hidden.voting!, showPartials: true } }, full)).toBe(full);
  });
});
