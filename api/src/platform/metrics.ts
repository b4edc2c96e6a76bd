import type { VoteMode } from '@paredao/contract';
import { LATENCY_BUCKETS } from '@paredao/core';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { OVERLOAD_SIGNALS } from '../votes/admission.js';

/** Every rejection reason, pre-initialised at 0 so dashboards and alerts have a series from the start. */
export const REJECTION_REASONS = [
  'invalid_body',
  'unknown_candidate',
  'antibot_missing',
  'antibot_malformed',
  'antibot_invalid',
  'antibot_expired',
  'antibot_replayed',
  'antibot_honeypot',
  'rate_limited',
  'voting_closed',
  'torcida_off',
  'payload_too_large',
  'unsupported_media_type',
  'broker_unavailable',
  'arbiter_unavailable',
  'claims_unavailable',
  'overloaded',
  'request_aborted',
  'internal',
] as const;

/** The refusals of a Voto Único (votes/unico.ts, POST /api/voters/vote), pre-initialised with mode="unico". */
export const UNICO_REJECTION_REASONS = [
  'invalid_body',
  'unknown_candidate',
  'unauthenticated',
  'cross_origin',
  'already_voted',
  'unico_off',
  'voting_closed',
  'rate_limited',
  'payload_too_large',
  'unsupported_media_type',
  'broker_unavailable',
  'overloaded',
  'internal',
] as const;

/** Refusals on /api/voters (sign-up, sign-in, session), pre-initialised like REJECTION_REASONS. */
export const VOTER_REFUSAL_REASONS = [
  'invalid_body',
  'invalid_cpf',
  'cpf_refused',
  'cpf_registered',
  'verifier_unavailable',
  'antibot_missing',
  'antibot_malformed',
  'antibot_invalid',
  'antibot_expired',
  'antibot_replayed',
  'claims_unavailable',
  'ceremony_expired',
  'passkey_invalid',
  'unauthenticated',
  'cross_origin',
  'rate_limited',
  'payload_too_large',
  'internal',
] as const;

export function createApiMetrics(registry: Registry) {
  const m = {
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request received to response finished.',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    votesAccepted: new Counter({
      name: 'paredao_votes_accepted_total',
      help: 'Votes confirmed by the broker and answered 202, by candidate and vote mode (torcida, unico).',
      labelNames: ['candidate', 'mode'] as const,
      registers: [registry],
    }),
    votesRejected: new Counter({
      name: 'paredao_votes_rejected_total',
      help: 'Votes refused, by error code and vote mode (torcida: POST /api/votes; unico: POST /api/voters/vote).',
      labelNames: ['reason', 'mode'] as const,
      registers: [registry],
    }),
    overloadRefused: new Counter({
      name: 'paredao_votes_overload_refused_total',
      help: 'Votes refused with 503 overloaded (admission control), by the signal that refused them: in_flight (VOTE_MAX_IN_FLIGHT) or loop_delay (VOTE_MAX_LOOP_DELAY_MS).',
      labelNames: ['signal'] as const,
      registers: [registry],
    }),
    publishConfirm: new Histogram({
      name: 'paredao_publish_confirm_seconds',
      help: 'Time from publishing one message (a group of votes) to its broker confirm.',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    publishBatchSize: new Histogram({
      name: 'paredao_publish_batch_size',
      help: 'Votes per confirmed message (group commit).',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
    publishResent: new Counter({
      name: 'paredao_publish_resent_total',
      help: 'Messages sent again after a nack or a channel lost before the confirm (a broker node failing over).',
      registers: [registry],
    }),
    // Voto Único accounts: counts only; no CPF or account id is ever a label.
    voterSignups: new Counter({ name: 'paredao_voter_signups_total', help: 'Voter accounts created (CPF checked, passkey registered).', registers: [registry] }),
    voterSignins: new Counter({ name: 'paredao_voter_signins_total', help: 'Voter sign-ins with a passkey.', registers: [registry] }),
    voterDeletions: new Counter({ name: 'paredao_voter_deletions_total', help: 'Voter accounts deleted by their owner.', registers: [registry] }),
    voterRefusals: new Counter({
      name: 'paredao_voter_refusals_total',
      help: 'Requests to /api/voters refused, by error code.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    proofClaimConflicts: new Counter({
      name: 'paredao_proof_claim_conflicts_total',
      help: 'Proofs refused because the store holds them spent on something else, through another api host (PROOF_CLAIMS=store): replays across hosts.',
      registers: [registry],
    }),
    brokerConnected: new Gauge({
      name: 'paredao_broker_connected',
      help: '1 when the api has a confirm channel to the broker.',
      registers: [registry],
      // Summing over cluster workers would read 2 for "connected"; the worst worker is what matters.
      aggregator: 'min',
    }),
  };
  for (const r of REJECTION_REASONS) m.votesRejected.inc({ reason: r, mode: 'torcida' }, 0);
  for (const r of UNICO_REJECTION_REASONS) m.votesRejected.inc({ reason: r, mode: 'unico' }, 0);
  for (const r of VOTER_REFUSAL_REASONS) m.voterRefusals.inc({ reason: r }, 0);
  for (const s of OVERLOAD_SIGNALS) m.overloadRefused.inc({ signal: s }, 0);
  for (const [route, method, code] of [
    ['/api/votes', 'POST', '202'],
    ['/api/votes', 'POST', '400'],
    ['/api/votes', 'POST', '403'],
    ['/api/votes', 'POST', '429'],
    ['/api/votes', 'POST', '503'],
  ] as const) {
    m.httpRequests.inc({ method, route, status_code: code }, 0);
  }
  m.brokerConnected.set(0);
  return m;
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/** Gives each candidate of a new paredão its zero series per mode that is on, so per-candidate panels show it from the start. */
export function initCandidateSeries(m: ApiMetrics, candidateIds: readonly string[], modes: readonly VoteMode[] = ['torcida']): void {
  for (const c of candidateIds) for (const mode of modes) m.votesAccepted.inc({ candidate: c, mode }, 0);
}
