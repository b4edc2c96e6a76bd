import { AppError } from '../platform/errors.js';

/**
 * Whether a CPF belongs to a real, regular person: the port docs/CPF-VERIFIER.md describes. The api
 * asks it at sign-up, after the check digits and the proof of work; the answer is the provider's.
 */
export interface CpfVerifier {
  /** Whether the provider accepts this CPF; throws 503 `verifier_unavailable` when there is no answer. */
  accepts(cpf: string, reqId: string): Promise<boolean>;
  /** For the log line at start: what checks a CPF. */
  readonly describe: string;
}

/**
 * No CPF_VERIFIER_URL: the check digits (already checked by the route) are all there is. That proves
 * nothing about identity: anyone can compute valid numbers.
 */
export const digitsOnlyVerifier: CpfVerifier = {
  describe: 'check digits only (CPF_VERIFIER_URL unset: this proves nothing about identity)',
  accepts: async () => true,
};

export const verifierUnavailable = () =>
  new AppError(503, 'verifier_unavailable', 'A verificação de CPF está indisponível no momento. Tente de novo em instantes.', { 'Retry-After': '30' });

/**
 * CPF_VERIFIER_URL: POST `{"cpf":"<11 digits>"}`, answer 200 `{"valid":true|false}`. Anything else (another
 * status, another body, no answer within `timeoutMs`, a refused connection) is "no answer": the
 * sign-up gets 503 and nothing is stored. No retry here: the voter's next try is the retry.
 */
export function httpVerifier(url: string, timeoutMs: number): CpfVerifier {
  return {
    describe: `the provider at ${new URL(url).origin}`,
    async accepts(cpf, reqId) {
      let body: unknown;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', 'x-request-id': reqId },
          body: JSON.stringify({ cpf }),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        body = await res.json();
      } catch {
        throw verifierUnavailable();
      }
      const valid = (body as { valid?: unknown } | null)?.valid;
      if (typeof valid !== 'boolean') throw verifierUnavailable();
      return valid;
    },
  };
}
