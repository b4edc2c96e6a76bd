import { createHash } from 'node:crypto';
import { createChallenge, randomInt, verifySolution, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { AppError } from './errors.js';

export interface AntibotOptions {
  secret: string;
  /** Thousands of SHA-256 attempts the client makes on average. */
  difficulty: number;
  expirySeconds: number;
}

/**
 * ALTCHA v2 proof of work in deterministic mode: the server picks a secret counter, the browser must
 * find it by hashing from 0 upwards (work ∝ difficulty), and the server verifies with two HMACs instead
 * of re-deriving anything. The vote id is derived from the challenge signature, so a replayed proof
 * carries the same vote id and the consumer's exactly-once apply drops it (docs/ANTIBOT.md).
 */
export class Antibot {
  private readonly signatureSecret: string;
  private readonly keySecret: string;

  constructor(private readonly opts: AntibotOptions) {
    // Two independent keys from one configured secret.
    this.signatureSecret = createHash('sha256').update(`paredao-challenge:${opts.secret}`).digest('hex');
    this.keySecret = createHash('sha256').update(`paredao-key:${opts.secret}`).digest('hex');
  }

  async challenge(now = Date.now()): Promise<Challenge> {
    const mean = this.opts.difficulty * 1000;
    return createChallenge({
      algorithm: 'SHA-256',
      cost: 1,
      counter: randomInt(Math.round(mean * 1.5), Math.round(mean * 0.5)),
      deriveKey,
      expiresAt: Math.floor(now / 1000) + this.opts.expirySeconds,
      hmacSignatureSecret: this.signatureSecret,
      hmacKeySignatureSecret: this.keySecret,
    });
  }

  /** Verifies the widget's base64 payload; returns the vote id it determines or throws a 403 AppError. */
  async verify(payload: unknown): Promise<string> {
    if (payload === undefined || payload === null || payload === '') {
      throw new AppError(403, 'antibot_missing', 'Falta a verificação anti-robô. Aguarde a verificação terminar e vote de novo.');
    }
    const parsed = typeof payload === 'string' && payload.length <= 4096 ? decode(payload) : null;
    if (!parsed) throw new AppError(403, 'antibot_malformed', 'A verificação anti-robô veio em formato inválido.');
    const result = await verifySolution({
      challenge: parsed.challenge,
      solution: parsed.solution,
      deriveKey,
      hmacSignatureSecret: this.signatureSecret,
      hmacKeySignatureSecret: this.keySecret,
    });
    if (result.expired) throw new AppError(403, 'antibot_expired', 'A verificação anti-robô expirou. Uma nova está sendo feita.');
    if (!result.verified) throw new AppError(403, 'antibot_invalid', 'A verificação anti-robô falhou.');
    return voteIdOf(parsed.challenge.signature as string);
  }
}

/** 128 bits of the HMAC signature: unique per challenge, and the same for every replay of it. */
export function voteIdOf(signature: string): string {
  return signature.slice(0, 32);
}

interface Payload {
  challenge: Challenge;
  solution: { counter: number; derivedKey: string };
}

function decode(b64: string): Payload | null {
  try {
    const p = JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as Partial<Payload> | null;
    if (!p || typeof p !== 'object') return null;
    const c = p.challenge as Partial<Challenge> | undefined;
    if (!c || typeof c !== 'object' || typeof c.signature !== 'string' || !/^[0-9a-f]{64}$/.test(c.signature)) return null;
    if (!c.parameters || typeof c.parameters !== 'object') return null;
    const s = p.solution;
    if (!s || typeof s !== 'object' || typeof s.counter !== 'number' || typeof s.derivedKey !== 'string') return null;
    return p as Payload;
  } catch {
    return null;
  }
}
