import { describe, expect, it } from 'vitest';
import { ApiError } from './api.ts';
import { formatCpfInput, passkeyFailureText, unicoVoteOutcome } from './unico.ts';

describe('formatCpfInput', () => {
  it('keeps up to 11 digits and puts the dots and dash where they go as they are typed', () => {
    expect(formatCpfInput('529')).toBe('529');
    expect(formatCpfInput('5299')).toBe('529.9');
    expect(formatCpfInput('529982247')).toBe('529.982.247');
    expect(formatCpfInput('5299822472')).toBe('529.982.247-2');
    expect(formatCpfInput('529.982.247-25999')).toBe('529.982.247-25');
    expect(formatCpfInput('a5b2c9')).toBe('529');
    expect(formatCpfInput('')).toBe('');
  });
});

describe('passkeyFailureText', () => {
  it("says what happened in pt-BR: the api's message, the browser's refusal, no connection", () => {
    expect(passkeyFailureText(new ApiError(409, 'cpf_registered', 'Este CPF já tem uma conta.', null), 'register')).toBe('Este CPF já tem uma conta.');
    expect(passkeyFailureText(new ApiError(0, 'network_error', 'fetch failed', 5), 'login')).toMatch(/Sem conexão/);
    expect(passkeyFailureText({ name: 'NotAllowedError' }, 'login')).toMatch(/Nenhuma passkey deste site/);
    expect(passkeyFailureText({ name: 'NotAllowedError' }, 'register')).toMatch(/cancelada/);
    expect(passkeyFailureText({ name: 'InvalidStateError' }, 'register')).toMatch(/já tem uma passkey/);
    expect(passkeyFailureText(new Error('boom'), 'login')).toMatch(/Não foi possível/);
  });
});

describe('unicoVoteOutcome', () => {
  const names: Record<string, string> = { ana: 'Ana', bia: 'Bia' };
  const nameOf = (id: string) => names[id] ?? id;
  const already = (candidateId: string) => new ApiError(409, 'already_voted', 'Você já fez seu Voto Único neste paredão.', null, null, { error: { code: 'already_voted' }, candidateId });

  it('when the vote is accepted, then it says the Único vote is registered, with the name', () => {
    expect(unicoVoteOutcome(null, 'ana', false, nameOf)).toEqual({ kind: 'registered', text: 'Seu voto único foi registrado: Ana.' });
  });

  it('when the person had voted, then it names whom, from the 409', () => {
    expect(unicoVoteOutcome(already('bia'), 'ana', false, nameOf)).toEqual({ kind: 'already', text: 'Você já votou em Bia.' });
    expect(unicoVoteOutcome(already('ana'), 'ana', false, nameOf).kind).toBe('already');
  });

  it('when a retry after a 503 meets 409 naming the candidate it sent, then that earlier try was claimed: registered', () => {
    expect(unicoVoteOutcome(already('ana'), 'ana', true, nameOf)).toEqual({ kind: 'registered', text: 'Seu voto único foi registrado: Ana.' });
    expect(unicoVoteOutcome(already('bia'), 'ana', true, nameOf).kind).toBe('already');
  });

  it('when the api is busy or unreachable, then it retries after Retry-After; a lost session or a closed vote stop it', () => {
    expect(unicoVoteOutcome(new ApiError(503, 'broker_unavailable', 'x', 2), 'ana', false, nameOf)).toMatchObject({ kind: 'retry', seconds: 2 });
    expect(unicoVoteOutcome(new ApiError(0, 'network_error', 'x', 5), 'ana', false, nameOf)).toMatchObject({ kind: 'retry', seconds: 5 });
    expect(unicoVoteOutcome(new ApiError(401, 'unauthenticated', 'x', null), 'ana', false, nameOf).text).toMatch(/passkey/);
    expect(unicoVoteOutcome(new ApiError(409, 'voting_closed', 'x', null), 'ana', false, nameOf).text).toBe('A votação está encerrada.');
  });
});
