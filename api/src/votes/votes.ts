import { modeOn, type Paredao, type VoteMode } from '@paredao/contract';
import { acceptsVotesAt, type VoteMessage } from '@paredao/core';
import type { Challenge } from 'altcha-lib';
import type { Logger } from 'pino';
import type { ParedaoService } from '../paredoes/paredoes.js';
import { AppError } from '../platform/errors.js';
import type { ApiMetrics } from '../platform/metrics.js';
import type { Antibot } from './antibot.js';
import type { ReplayGuard } from './replay-guard.js';
import { voteBody } from './vote-body.js';

/** Where an accepted vote goes: the broker, through publisher.ts (a memory one in tests). */
const MODE_OFF: Record<VoteMode, [code: string, message: string]> = {
  torcida: ['torcida_off', 'Este paredão não tem Voto da Torcida.'],
  unico: ['unico_off', 'Este paredão não tem Voto Único.'],
};

/**
 * The paredão a vote in `mode` for `candidateId` goes to, decided at the one instant `at` that also
 * becomes the vote's acceptedAt; else the refusal: voting not open (409), the mode off (409), an unknown
 * candidate (400). Both vote paths ask it, in this order.
 */
export function paredaoTaking(paredao: Paredao | null, at: number, mode: VoteMode, candidateId: string): Paredao {
  if (!paredao || !acceptsVotesAt(paredao, at)) throw new AppError(409, 'voting_closed', 'A votação não está aberta.');
  if (!modeOn(paredao, mode)) throw new AppError(409, ...MODE_OFF[mode]);
  if (!paredao.candidates.some((c) => c.id === candidateId)) throw new AppError(400, 'unknown_candidate', 'Participante desconhecido.');
  return paredao;
}

export interface VotePublisher {
  readonly ready: boolean;
  /**
   * Resolves once the broker confirmed the message holding the vote; rejects with an AppError otherwise.
   * `since` (performance.now()): when the vote began waiting for company, if before this call.
   */
  publish(vote: Omit<VoteMessage, 'v'>, since?: number): Promise<void>;
}

export interface VoteServiceDeps {
  paredoes: ParedaoService;
  antibot: Antibot;
  replayGuard: ReplayGuard;
  publisher: VotePublisher;
  metrics: ApiMetrics;
  log: Logger;
  now: () => number;
}

/**
 * Accepting one vote, whichever HTTP path brought its body (the lean handler for plain JSON, Express
 * for the rest, e.g. a gzipped body): validate, check the window and the candidate, verify the proof,
 * claim its id, publish and wait for the broker's confirm. Throws an AppError for every refusal.
 */
export class VoteService {
  /** Counter children by candidate: no label object per vote. Candidates are few and validated. */
  private readonly acceptedBy = new Map<string, { inc: () => void }>();

  constructor(private readonly deps: VoteServiceDeps) {}

  async accept(body: unknown, reqId: string): Promise<{ voteId: string; challenge: Challenge }> {
    const { paredoes, antibot, replayGuard, publisher, metrics, log, now } = this.deps;
    const parsed = voteBody.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(400, 'invalid_body', `Corpo do voto inválido${issue ? ` (${issue.path.join('.') || 'corpo'}: ${issue.message})` : ''}.`);
    }
    const { candidateId, altcha, website } = parsed.data;
    const paredao = paredoes.current;
    // One instant for the whole decision: the window is checked at `at` and the vote carries `at` as
    // its acceptedAt, so a vote answered 202 just before the closing cannot be discarded by the
    // consumer as accepted after it (the consumer applies the same window to acceptedAt).
    const at = now();
    // This path is the Voto da Torcida: a paredão with Voto Único only takes none of it.
    const { id: paredaoId } = paredaoTaking(paredao, at, 'torcida', candidateId);
    if (website) throw new AppError(403, 'antibot_honeypot', 'Voto recusado pela verificação anti-robô.');
    const voteId = antibot.verify(altcha, at);
    // In a cluster worker the claim may linger for company (cluster-arbiter.ts): that wait counts as
    // the publisher's linger, which a vote spends once.
    const since = performance.now();
    if (!(await replayGuard.claim(voteId, at, candidateId))) {
      throw new AppError(403, 'antibot_replayed', 'Esta verificação anti-robô já foi usada. Uma nova está sendo feita.');
    }
    try {
      await publisher.publish({ voteId, paredaoId, candidateId, acceptedAt: at, reqId, mode: 'torcida' }, since);
    } catch (err) {
      replayGuard.release(voteId);
      throw err;
    }
    let counter = this.acceptedBy.get(candidateId);
    if (!counter) this.acceptedBy.set(candidateId, (counter = metrics.votesAccepted.labels(candidateId, 'torcida')));
    counter.inc();
    if (log.isLevelEnabled('debug')) log.debug({ reqId, voteId, candidateId, paredaoId }, 'vote accepted');
    // The voter's next vote needs a challenge: it rides on this answer (one request per vote).
    return { voteId, challenge: antibot.challenge(now()) };
  }

  /**
   * The JSON body of an error answer. Every 403 `antibot_*` carries a fresh challenge, so the page can
   * start solving at once instead of asking GET /api/challenge.
   */
  errorBody(e: AppError): string {
    const error = { code: e.code, message: e.message };
    if (e.status === 403 && e.code.startsWith('antibot_')) return JSON.stringify({ error, challenge: this.deps.antibot.challenge(this.deps.now()) });
    return JSON.stringify(e.details ? { error, ...e.details } : { error });
  }
}
