import { VOTE_MODES, votingOf, type HiddenResults, type ModeResults, type Paredao, type PublicResults, type Results, type VoteMode } from './contract.js';

/** What the store counted for one paredão in one mode: votes by candidate, in total and per UTC hour. */
export interface ModeTally {
  byCandidate: Record<string, number>;
  hourly: { hour: string; byCandidate: Record<string, number> }[];
}

/** What the store counted for one paredão: per mode, and both modes together (the top-level fields). */
export interface Tally extends ModeTally {
  modes: Record<VoteMode, ModeTally>;
}

const EMPTY: ModeTally = { byCandidate: {}, hourly: [] };

/** A tally from its modes: the top-level counts are their sums. */
export function tallyOf(modes: Partial<Record<VoteMode, ModeTally>>): Tally {
  const full = { torcida: modes.torcida ?? EMPTY, unico: modes.unico ?? EMPTY };
  const byCandidate: Record<string, number> = {};
  const hours = new Map<string, Record<string, number>>();
  for (const m of VOTE_MODES) {
    for (const [c, n] of Object.entries(full[m].byCandidate)) byCandidate[c] = (byCandidate[c] ?? 0) + n;
    for (const h of full[m].hourly) {
      const row = hours.get(h.hour) ?? {};
      for (const [c, n] of Object.entries(h.byCandidate)) row[c] = (row[c] ?? 0) + n;
      hours.set(h.hour, row);
    }
  }
  const hourly = [...hours].sort(([a], [b]) => a.localeCompare(b)).map(([hour, bc]) => ({ hour, byCandidate: bc }));
  return { byCandidate, hourly, modes: full };
}

/**
 * Shares in tenths of a percent that add up to exactly 1000 (largest remainder method), for shares
 * `numerators[i] / denominator`. BigInt keeps it exact where the weighted shares' products pass 2^53.
 */
function largestRemainder(numerators: bigint[], denominator: bigint): number[] {
  if (denominator === 0n) return numerators.map(() => 0);
  const scaled = numerators.map((n) => n * 1000n);
  const floors = scaled.map((s) => s / denominator);
  let left = 1000n - floors.reduce((a, b) => a + b, 0n);
  const order = scaled
    .map((s, i) => ({ i, rem: s % denominator }))
    .sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const { i } of order) {
    if (left <= 0n) break;
    floors[i] = (floors[i] ?? 0n) + 1n;
    left--;
  }
  return floors.map((f) => Number(f) / 10);
}

/**
 * Percentages with one decimal that add up to exactly 100 (largest remainder method), so the page
 * never shows 33.3 + 33.3 + 33.3 = 99.9.
 */
export function percentages(votes: number[]): number[] {
  return largestRemainder(votes.map(BigInt), BigInt(votes.reduce((a, b) => a + b, 0)));
}

/**
 * The weights a result uses: the paredão's weights over the modes that are on and have votes. A mode
 * that is off, or has no votes yet, takes no part and its weight goes to the other; with no votes at
 * all, the weights of the modes that are on stand as set (nothing to weigh).
 */
export function weightsUsed(p: Pick<Paredao, 'voting'>, totals: Record<VoteMode, number>): Record<VoteMode, number> {
  const v = votingOf(p);
  const counted = v.modes.filter((m) => totals[m] > 0);
  const taking = counted.length > 0 ? counted : v.modes;
  if (taking.length === 1) return { torcida: 0, unico: 0, [taking[0]!]: 100 };
  return { ...v.weights };
}

/**
 * The weighted final percentages: Σ weight × the mode's share, over the modes that take part (see
 * weightsUsed), rounded to tenths that add up to exactly 100. Exact: the shares are fractions over
 * 100 × the product of the modes' totals.
 */
export function weightedPercentages(votesByMode: Record<VoteMode, number[]>, weights: Record<VoteMode, number>): number[] {
  const modes = VOTE_MODES.filter((m) => weights[m] > 0);
  const totals = Object.fromEntries(modes.map((m) => [m, BigInt(votesByMode[m].reduce((a, b) => a + b, 0))])) as Record<VoteMode, bigint>;
  if (modes.some((m) => totals[m] === 0n)) return percentages(votesByMode.torcida.map(() => 0));
  const n = votesByMode.torcida.length;
  const product = modes.reduce((acc, m) => acc * totals[m], 1n);
  const numerators = Array.from({ length: n }, (_, i) =>
    modes.reduce((acc, m) => acc + BigInt(weights[m]) * BigInt(votesByMode[m][i] ?? 0) * (product / totals[m]), 0n),
  );
  return largestRemainder(numerators, 100n * product);
}

function modeResults(paredao: Paredao, tally: ModeTally): ModeResults {
  const votes = paredao.candidates.map((c) => tally.byCandidate[c.id] ?? 0);
  const pcts = percentages(votes);
  const ids = paredao.candidates.map((c) => c.id);
  return {
    total: votes.reduce((a, b) => a + b, 0),
    candidates: paredao.candidates.map((c, i) => ({ id: c.id, name: c.name, votes: votes[i] ?? 0, percent: pcts[i] ?? 0 })),
    hourly: tally.hourly
      .map((h) => {
        const byCandidate = Object.fromEntries(ids.map((id) => [id, h.byCandidate[id] ?? 0]));
        return { hour: h.hour, total: Object.values(byCandidate).reduce((a, b) => a + b, 0), byCandidate };
      })
      .sort((a, b) => a.hour.localeCompare(b.hour)),
  };
}

/**
 * The production URL's object, built from a store tally and the paredão's candidates and rules. Only
 * the modes that are on count: votes of a mode that is off (none reach the tallies) are left out.
 */
export function buildResults(paredao: Paredao, tally: Tally, now: Date): Results {
  const voting = votingOf(paredao);
  const on = tallyOf(Object.fromEntries(voting.modes.map((m) => [m, tally.modes[m]])));
  const all = modeResults(paredao, on);
  const perMode = Object.fromEntries(voting.modes.map((m) => [m, modeResults(paredao, on.modes[m])])) as Partial<Record<VoteMode, ModeResults>>;
  const totals = { torcida: perMode.torcida?.total ?? 0, unico: perMode.unico?.total ?? 0 };
  const used = weightsUsed(paredao, totals);
  const votesOf = (m: VoteMode) => paredao.candidates.map((_, i) => perMode[m]?.candidates[i]?.votes ?? 0);
  const pcts = voting.modes.length === 1 ? all.candidates.map((c) => c.percent) : weightedPercentages({ torcida: votesOf('torcida'), unico: votesOf('unico') }, used);
  return {
    paredaoId: paredao.id,
    total: all.total,
    candidates: all.candidates.map((c, i) => ({ ...c, percent: pcts[i] ?? 0 })),
    hourly: all.hourly,
    updatedAt: now.toISOString(),
    partialsHidden: false,
    modes: perMode,
    weights: { ...voting.weights },
    weightsUsed: used,
  };
}

/** Whether voters see only totals now: the paredão hides partials and voting is open. */
export function partialsHidden(paredao: Paredao): boolean {
  return !votingOf(paredao).showPartials && paredao.status === 'open';
}

/** Totals only: the full results without any per-participant vote or percentage. */
export function hidePartials(r: Results): HiddenResults {
  const hours = (rows: ModeResults['hourly']) => rows.map((h) => ({ hour: h.hour, total: h.total }));
  const modes: HiddenResults['modes'] = {};
  for (const m of VOTE_MODES) {
    const mr = r.modes[m];
    if (mr) modes[m] = { total: mr.total, hourly: hours(mr.hourly) };
  }
  return {
    paredaoId: r.paredaoId,
    total: r.total,
    candidates: r.candidates.map((c) => ({ id: c.id, name: c.name })),
    hourly: hours(r.hourly),
    updatedAt: r.updatedAt,
    partialsHidden: true,
    modes,
    weights: r.weights,
  };
}

/** What voters may see of these results now (GET /api/results, the stream): everything, or totals only. */
export function publicResults(paredao: Paredao, r: Results): PublicResults {
  return partialsHidden(paredao) ? hidePartials(r) : r;
}
