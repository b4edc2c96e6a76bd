import { randomUUID } from 'node:crypto';
import { unicoVoteRequestSchema, type UnicoVoteAccepted } from '@paredao/contract';
import type { Store } from '@paredao/core';
import type { Logger } from 'pino';
import type { ParedaoService } from '../paredoes/paredoes.js';
import { AppError } from '../platform/errors.js';
import type { ApiMetrics } from '../platform/metrics.js';
import { paredaoTaking, type VotePublisher } from './votes.js';

export interface UnicoVoteDeps {
  store: Pick<Store, 'claimUnico'>;
  paredoes: ParedaoService;
  publisher: VotePublisher;
  metrics: ApiMetrics;
  log: Logger;
  now: () => number;
}

/**
 * One Voto Único (docs/decisions/0005-voto-unico.md): the signed-in person's claim in the store, then
 * the vote published with a confirm. The claim is the vote's outbox: a publish refused after it answers
 * 503, and the consumer's sweeper counts the claim later, once. No account id or CPF is ever logged.
 */
export class UnicoVoteService {
  constructor(private readonly deps: UnicoVoteDeps) {}

  /** `accountId` is the request's voter session (VoterSessions.voterSession), null when not signed in. */
  async accept(body: unknown, accountId: string | null, reqId: string): Promise<UnicoVoteAccepted> {
    const { store, paredoes, publisher, metrics, log, now } = this.deps;
    if (!accountId) throw new AppError(401, 'unauthenticated', 'Entre com sua passkey para o Voto Único.');
    const parsed = unicoVoteRequestSchema.safeParse(body);
    if (!parsed.success) throw new AppError(400, 'invalid_body', 'Envie { "candidateId" }.');
    const { candidateId } = parsed.data;
    const paredao = paredoes.current;
    // One instant for the window and the vote's acceptedAt, as the Torcida vote (votes.ts).
    const at = now();
    const { id: paredaoId } = paredaoTaking(paredao, at, 'unico', candidateId);

    const voteId = randomUUID();
    const claim = await store.claimUnico({ paredaoId, voterKey: accountId, voteId, candidateId, acceptedAt: at });
    if (!claim.ok) {
      if (!claim.existing) throw new AppError(401, 'unauthenticated', 'Entre com sua passkey para o Voto Único.');
      throw new AppError(409, 'already_voted', 'Você já fez seu Voto Único neste paredão.', {}, { candidateId: claim.existing.candidateId });
    }
    // A refusal here (503) leaves the claim: the sweeper counts it, and the voter's retry meets 409 with
    // their own candidate, which the page shows as registered.
    await publisher.publish({ voteId, paredaoId, candidateId, acceptedAt: at, reqId, mode: 'unico' });
    metrics.votesAccepted.labels(candidateId, 'unico').inc();
    if (log.isLevelEnabled('debug')) log.debug({ reqId, voteId, candidateId, paredaoId, mode: 'unico' }, 'vote accepted');
    return { voteId, candidateId };
  }
}
