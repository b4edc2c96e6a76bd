import { buildResults, tallyOf, type Paredao } from '@paredao/contract';
import { describe, expect, it } from 'vitest';
import { candidateModesText, modesOf, modeTotalsText, unicoOn, votingText, weightingText } from './modes.ts';

const paredao: Paredao = {
  id: 'p',
  title: 't',
  status: 'open',
  candidates: [
    { id: 'a', name: 'Ana' },
    { id: 'b', name: 'Bia' },
  ],
  voting: { modes: ['torcida', 'unico'], weights: { unico: 70, torcida: 30 }, showPartials: true },
};
const at = new Date('2026-01-01T12:00:00Z');

describe('the pages\' words for the modes', () => {
  it('when both modes have votes, then the weighting, each participant per mode and each mode\'s total are spelled out, Único first', () => {
    const r = buildResults(paredao, tallyOf({ unico: { byCandidate: { a: 1, b: 3 }, hourly: [] }, torcida: { byCandidate: { a: 3, b: 1 }, hourly: [] } }), at);
    expect(modesOf(r)).toEqual(['unico', 'torcida']);
    expect(weightingText(r)).toBe('Resultado ponderado: Voto Único 70 % + Voto da Torcida 30 %.');
    expect(candidateModesText(r, 0)).toBe('Voto Único 25,0% (1 voto) · Voto da Torcida 75,0% (3 votos)');
    expect(modeTotalsText(r)).toBe('Voto Único: 4 votos · Voto da Torcida: 4 votos');
  });

  it('when one mode has no votes yet, then the text says the other decides alone for now', () => {
    const r = buildResults(paredao, tallyOf({ torcida: { byCandidate: { a: 3, b: 1 }, hourly: [] } }), at);
    expect(weightingText(r)).toMatch(/só o Voto da Torcida tem votos e decide sozinho/);
  });

  it('when only one mode is on, then there is nothing to weigh and no per-mode text', () => {
    const r = buildResults({ ...paredao, voting: undefined }, tallyOf({ torcida: { byCandidate: { a: 3 }, hourly: [] } }), at);
    expect(weightingText(r)).toBeNull();
    expect(candidateModesText(r, 0)).toBeNull();
    expect(modeTotalsText(r)).toBeNull();
  });

  it('when the rules are summed up, then modes, weights and partials are all in the line', () => {
    expect(votingText(paredao.voting!)).toBe('Voto Único 70 % + Voto da Torcida 30 %; parciais visíveis durante a votação');
    expect(votingText({ modes: ['torcida'], weights: { unico: 50, torcida: 50 }, showPartials: false })).toBe('só Voto da Torcida; parciais ocultas durante a votação');
  });
});

describe('unicoOn', () => {
  it('is on only when the paredão lists the unico mode', () => {
    expect(unicoOn({ voting: { modes: ['torcida', 'unico'] } })).toBe(true);
    expect(unicoOn({ voting: { modes: ['torcida'] } })).toBe(false);
    expect(unicoOn({ id: 'p' })).toBe(false);
    expect(unicoOn({ voting: { modes: 'unico' } })).toBe(false);
    expect(unicoOn(null)).toBe(false);
  });
});
