import { describe, expect, it } from 'vitest';
import { ApiError } from './api.ts';
import { backoffSeconds, countdownText, planVoteFailure, retryDelayMs } from './messages.ts';

describe('what the vote page does after a failure', () => {
  it('when rate limited, then it counts down from Retry-After and retries', () => {
    expect(planVoteFailure(new ApiError(429, 'rate_limited', 'x', 12))).toMatchObject({ kind: 'retry', seconds: 12 });
  });

  it('when the broker is down, then it retries after the server hint', () => {
    const plan = planVoteFailure(new ApiError(503, 'broker_unavailable', 'x', 3));
    expect(plan).toMatchObject({ kind: 'retry', seconds: 3 });
    expect(plan.message).toMatch(/não foi registrado/u);
  });

  it('when nginx reached no api process, then it says the vote is not in yet and retries after the hint', () => {
    const plan = planVoteFailure(new ApiError(503, 'api_unavailable', 'x', 3));
    expect(plan).toMatchObject({ kind: 'retry', seconds: 3 });
    expect(plan.message).toMatch(/temporariamente indisponível.*não foi registrado/u);
  });

  it('when the network fails, then it retries too', () => {
    expect(planVoteFailure(new ApiError(0, 'network_error', 'x', 5)).kind).toBe('retry');
    expect(planVoteFailure(new TypeError('Failed to fetch')).kind).toBe('retry');
  });

  it('when the anti-bot proof is refused, then it asks for a fresh challenge', () => {
    for (const code of ['antibot_missing', 'antibot_invalid', 'antibot_expired', 'antibot_replayed']) {
      expect(planVoteFailure(new ApiError(403, code, 'x', null)).kind).toBe('antibot');
    }
  });

  it('when a resent proof is refused as used, then the earlier send of that vote was taken: it is confirmed, not sent again', () => {
    expect(planVoteFailure(new ApiError(403, 'antibot_replayed', 'x', null), true)).toMatchObject({ kind: 'taken' });
    // Any other refusal of a resent proof is not a sign that the vote was taken.
    for (const code of ['antibot_invalid', 'antibot_expired']) expect(planVoteFailure(new ApiError(403, code, 'x', null), true).kind).toBe('antibot');
  });

  it('when voting is closed, then it says so and stops', () => {
    const plan = planVoteFailure(new ApiError(409, 'voting_closed', 'x', null));
    expect(plan.kind).toBe('closed');
    expect(plan.message).toMatch(/^Votação encerrada/u);
  });

  it('when the paredão has Voto Único only, then it says the Torcida vote is not open, and stops', () => {
    const plan = planVoteFailure(new ApiError(409, 'torcida_off', 'x', null));
    expect(plan.kind).toBe('closed');
    expect(plan.message).toMatch(/só tem Voto Único/u);
  });

  it('when the request is malformed, then it explains without retrying by itself', () => {
    expect(planVoteFailure(new ApiError(400, 'unknown_candidate', 'x', null))).toMatchObject({ kind: 'fatal' });
    expect(planVoteFailure(new ApiError(400, 'invalid_body', 'x', null)).message).toMatch(/inválido/u);
    expect(planVoteFailure(new ApiError(500, 'internal', 'x', null)).message).toMatch(/erro 500/u);
  });

  it('counts down in Portuguese with the right plural', () => {
    expect(countdownText(1)).toBe('Tentando de novo em 1 segundo…');
    expect(countdownText(5)).toBe('Tentando de novo em 5 segundos…');
  });

  it('when the api is overloaded, then it says so and retries after its hint, keeping the choice', () => {
    const plan = planVoteFailure(new ApiError(503, 'overloaded', 'x', 3));
    expect(plan).toMatchObject({ kind: 'retry', seconds: 3 });
    expect(plan.message).toMatch(/^Muita gente votando agora\..*escolha está guardada/u);
  });

  it('waits at least Retry-After, plus a random share of it (at least a second) on top', () => {
    expect(retryDelayMs(2, () => 0)).toBe(2000);
    expect(retryDelayMs(2, () => 1)).toBe(3000);
    expect(retryDelayMs(10, () => 1)).toBe(15_000);
    expect(retryDelayMs(10, () => 0.5)).toBe(12_500);
  });

  it('backs off exponentially up to 30 s, jittered down to half', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffSeconds(n, () => 1))).toEqual([2, 4, 8, 16, 30, 30]);
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffSeconds(n, () => 0))).toEqual([1, 2, 4, 8, 15, 15]);
  });
});
