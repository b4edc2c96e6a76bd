// How the pages speak of the two vote modes and the weighted result (contract: resultsSchema). Pure
// text from the results, so every page says it the same way and the unit tests read it.
import type { HiddenResults, Results, Voting, VoteMode } from '@paredao/contract';
import { formatPercent, formatVotes } from './format.ts';

export const MODE_NAMES: Record<VoteMode, string> = { unico: 'Voto Único', torcida: 'Voto da Torcida' };

/**
 * Whether the paredão has Voto Único on (the admin sets the modes; absent = Torcida only, as before
 * Voto Único). Here, not in unico.ts, so the vote page asks it without loading Voto Único's code.
 */
export function unicoOn(p: unknown): boolean {
  const modes = (p as { voting?: { modes?: unknown } } | null)?.voting?.modes;
  return Array.isArray(modes) && modes.includes('unico');
}

/** Único first: it is the heavier one since BBB26, and the order the show uses. */
const ORDER: readonly VoteMode[] = ['unico', 'torcida'];

/** The modes these results have (the ones on), in display order. */
export function modesOf(r: Pick<Results | HiddenResults, 'modes'>): VoteMode[] {
  return ORDER.filter((m) => r.modes[m] !== undefined);
}

/**
 * How the final percentage is made, when both modes are on: the weights set and, when a mode has no
 * votes yet, that the other decides alone for now. Null with one mode (its percentage is the result).
 */
export function weightingText(r: Results): string | null {
  const modes = modesOf(r);
  if (modes.length < 2) return null;
  const set = modes.map((m) => `${MODE_NAMES[m]} ${r.weights[m]} %`).join(' + ');
  const alone = modes.find((m) => r.weightsUsed[m] === 100);
  return alone ? `Resultado ponderado: ${set}. Por enquanto só o ${MODE_NAMES[alone]} tem votos e decide sozinho.` : `Resultado ponderado: ${set}.`;
}

/** One participant's count in each mode, when both are on: "Voto Único 25,0 % (1 voto) · Voto da Torcida 75,0 % (3 votos)". */
export function candidateModesText(r: Results, index: number): string | null {
  const modes = modesOf(r);
  if (modes.length < 2) return null;
  return modes
    .map((m) => {
      const c = r.modes[m]!.candidates[index];
      return c ? `${MODE_NAMES[m]} ${formatPercent(c.percent)} (${formatVotes(c.votes)})` : '';
    })
    .filter(Boolean)
    .join(' · ');
}

/** Each mode's total, when both are on: "Voto Único: 4 votos · Voto da Torcida: 4 votos". */
export function modeTotalsText(r: Pick<Results | HiddenResults, 'modes'>): string | null {
  const modes = modesOf(r);
  if (modes.length < 2) return null;
  return modes.map((m) => `${MODE_NAMES[m]}: ${formatVotes(r.modes[m]!.total)}`).join(' · ');
}

/** A paredão's rules in one line, for the admin list and editor. */
export function votingText(v: Voting): string {
  const modes = ORDER.filter((m) => v.modes.includes(m));
  const how = modes.length > 1 ? `${modes.map((m) => `${MODE_NAMES[m]} ${v.weights[m]} %`).join(' + ')}` : `só ${MODE_NAMES[modes[0]!]}`;
  return `${how}; parciais ${v.showPartials ? 'visíveis' : 'ocultas'} durante a votação`;
}
