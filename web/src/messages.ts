// What the vote page tells a person when something fails, and what it does next. Pure, so it is tested.
import { ApiError, DEFAULT_RETRY_SECONDS } from './api.ts';
import { backoffDelay } from '@paredao/contract';

export type VoteFailure =
  /** Transient (rate limit, broker down, network): count down, then send the same vote again. */
  | { kind: 'retry'; message: string; seconds: number }
  /** The anti-bot proof was refused: solve a fresh challenge, then the person presses Votar again. */
  | { kind: 'antibot'; message: string }
  /**
   * The proof was already used, and the one who used it was an earlier send of this same vote that got
   * no answer the page could trust (a dropped connection, a 5xx): the api took that send. Confirm it;
   * sending it with a new proof would count the voter twice.
   */
  | { kind: 'taken'; message: string }
  /** Voting is over: no retry makes sense. */
  | { kind: 'closed'; message: string }
  /** Retrying the same request will not help by itself; offer a manual retry. */
  | { kind: 'fatal'; message: string };

/** Consecutive automatic retries before only the "Tentar novamente" button is left. */
export const MAX_AUTO_RETRIES = 5;

/**
 * `resent`: this send carried a proof that an earlier send of the same vote carried without a definitive
 * answer (the page retries a vote with its proof). The api refuses a proof as used only when it claimed
 * it for a vote it published, or is publishing, and gave the claim back on any failure to publish
 * (api/src/votes/votes.ts): so a resent proof refused as used is that earlier send, taken.
 */
export function planVoteFailure(err: unknown, resent = false): VoteFailure {
  if (!(err instanceof ApiError)) {
    return { kind: 'retry', message: 'Não conseguimos falar com o servidor. Confira sua conexão.', seconds: DEFAULT_RETRY_SECONDS };
  }
  const seconds = err.retryAfter ?? DEFAULT_RETRY_SECONDS;
  if (err.status === 0) {
    return { kind: 'retry', message: 'Sem conexão com o servidor. Confira sua internet; seu voto ainda não foi registrado.', seconds };
  }
  if (err.status === 429) {
    return { kind: 'retry', message: 'Muitos votos seguidos deste aparelho ou rede. Seu voto ainda não foi registrado.', seconds };
  }
  if (err.code === 'overloaded') {
    // Admission control at the api: nothing is wrong, the voter just comes back a little later.
    return { kind: 'retry', message: 'Muita gente votando agora. Seu voto ainda não foi registrado, mas sua escolha está guardada: vamos tentar de novo sozinhos.', seconds };
  }
  if (err.code === 'api_unavailable') {
    // nginx reached no api process (one being restarted, say): nothing the voter did, and it passes.
    return { kind: 'retry', message: 'A votação está temporariamente indisponível. Seu voto ainda não foi registrado, mas sua escolha está guardada: vamos tentar de novo sozinhos.', seconds };
  }
  if (err.status === 503 || err.status === 502 || err.status === 504) {
    return { kind: 'retry', message: 'A votação está com muito movimento agora. Seu voto ainda não foi registrado.', seconds };
  }
  if (resent && err.code === 'antibot_replayed') return { kind: 'taken', message: 'Seu voto já tinha sido registrado.' };
  if (err.status === 403 || err.code.startsWith('antibot_')) {
    return {
      kind: 'antibot',
      message: 'A verificação anti-robô expirou ou já foi usada. Estamos fazendo uma nova; quando terminar, toque em Votar de novo.',
    };
  }
  if (err.code === 'torcida_off') {
    return { kind: 'closed', message: 'Este paredão só tem Voto Único: o Voto da Torcida não está aberto. Seu voto não foi registrado.' };
  }
  if (err.status === 409 || err.code === 'voting_closed') {
    return { kind: 'closed', message: 'Votação encerrada. Seu voto não foi registrado.' };
  }
  if (err.code === 'unknown_candidate') {
    return { kind: 'fatal', message: 'Esse participante não está neste paredão. Recarregue a página e escolha de novo.' };
  }
  if (err.status === 400 || err.status === 413 || err.status === 415) {
    return { kind: 'fatal', message: 'Não foi possível registrar o voto: o pedido chegou inválido. Recarregue a página e tente de novo.' };
  }
  return { kind: 'fatal', message: `Algo deu errado do nosso lado (erro ${err.status}). Seu voto não foi registrado; tente novamente.` };
}

/** "Tentando de novo em 5 segundos…" / "em 1 segundo…". */
export function countdownText(seconds: number): string {
  return `Tentando de novo em ${seconds} ${seconds === 1 ? 'segundo' : 'segundos'}…`;
}

/**
 * How long to wait before sending again after a server hint (`Retry-After`, in seconds): never less
 * than the hint, plus up to half of it (at least a second) at random, so the voters one overload
 * refused together do not all come back in the same instant.
 */
export function retryDelayMs(seconds: number, random = Math.random): number {
  const hint = seconds * 1000;
  return hint + Math.round(random() * Math.max(1000, hint / 2));
}

/**
 * Backoff for things we retry without a server hint (loading the paredão, the anti-bot challenge), in
 * whole seconds: the services' formula (doubling from 2 s to 30 s, jittered so that a crowd of voters
 * does not come back in step).
 */
export function backoffSeconds(attempt: number, random = Math.random): number {
  return Math.max(1, Math.round(backoffDelay(Math.max(0, attempt), 2000, 30_000, random) / 1000));
}
