import { createHmac } from 'node:crypto';

/**
 * The CPF as the store knows it: HMAC-SHA-256 under CPF_HMAC_SECRET. Without the secret, a copy of the
 * store cannot be turned back into CPFs by trying the 10⁹ possible numbers; with it, one account per
 * CPF is a unique key on this value. The secret can never change: a new one would let every CPF
 * register again.
 */
export class CpfKey {
  private readonly key: Buffer;

  constructor(secret: string) {
    // A key of its own for this use, should the same secret ever be reused elsewhere.
    this.key = createHmac('sha256', secret).update('paredao-cpf-v1').digest();
  }

  /** `digits`: the 11 bare digits (normalizeCpf). */
  of(digits: string): string {
    return createHmac('sha256', this.key).update(digits).digest('hex');
  }
}
