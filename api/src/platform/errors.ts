import { randomUUID } from 'node:crypto';

/**
 * The one error type of the api. `code` is stable and goes to the client, to the
 * `paredao_votes_rejected_total{reason}` metric and to the log line.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Fields of the error body beside `error` (the candidate of a 409 `already_voted`). */
    readonly details?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  /** Client errors are operational and logged at warn; 5xx at error. */
  get isClientError(): boolean {
    return this.status < 500;
  }
}

// The client errors that the Express chain and the lean vote path (hot-path.ts) both answer: one
// wording and one code each, whichever path a request took.
export const payloadTooLarge = () => new AppError(413, 'payload_too_large', 'Corpo da requisição grande demais.');
export const notJson = () => new AppError(400, 'invalid_body', 'O corpo não é JSON válido.');
export const requestAborted = () => new AppError(400, 'request_aborted', 'Requisição interrompida.');

/** 429 with `Retry-After` in whole seconds (at least 1) until the limit's window resets at `resetMs`. */
export const rateLimited = (resetMs: number, now: number) =>
  new AppError(429, 'rate_limited', 'Muitos votos seguidos deste endereço. Aguarde um instante.', {
    'Retry-After': String(Math.max(1, Math.ceil((resetMs - now) / 1000))),
  });

/** The client's `X-Request-Id` when it is a sane token (the rule nginx applies too), else a fresh one. */
export const requestIdOf = (incoming: string | string[] | undefined): string =>
  typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();

export const brokerUnavailable = (retryAfterSeconds = 2) =>
  new AppError(503, 'broker_unavailable', 'A votação está temporariamente indisponível. Tente de novo em instantes.', {
    'Retry-After': String(retryAfterSeconds),
  });

/** The store that holds proof claims across hosts (PROOF_CLAIMS=store) did not answer: the vote is not taken. */
export const claimsUnavailable = () =>
  new AppError(503, 'claims_unavailable', 'A votação está temporariamente indisponível. Tente de novo em instantes.', { 'Retry-After': '2' });
