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
  ) {
    super(message);
    this.name = 'AppError';
  }

  /** Client errors are operational and logged at warn; 5xx at error. */
  get isClientError(): boolean {
    return this.status < 500;
  }
}

export const brokerUnavailable = (retryAfterSeconds = 2) =>
  new AppError(503, 'broker_unavailable', 'A votação está temporariamente indisponível. Tente de novo em instantes.', {
    'Retry-After': String(retryAfterSeconds),
  });
