import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Challenge } from 'altcha-lib';
import { AppError } from './errors.js';

export interface AntibotOptions {
  secret: string;
  /** Thousands of SHA-256 attempts the client makes on average. */
  difficulty: number;
  expirySeconds: number;
}

/**
 * ALTCHA v2 proof of work (the format of `altcha-lib` 2.x and the `altcha` widget 3.x) in deterministic
 * mode: the server picks a secret counter, the browser must find it by hashing from 0 upwards
 * (work ∝ difficulty), and the server verifies with two HMACs instead of re-deriving anything.
 *
 * Creation and verification are done here with node:crypto rather than through altcha-lib, whose HMACs
 * go through WebCrypto's async importKey/sign: measured on this machine, 667 µs to create and 333 µs to
 * verify per vote that way, against a few µs here (docs/BENCHMARKS.md, bench/antibot.ts). The format is
 * altcha-lib's exactly; api/src/antibot.test.ts checks both directions against altcha-lib itself.
 *
 * The vote id is derived from the challenge signature, so a replayed proof carries the same vote id and
 * the consumer's exactly-once apply drops it (docs/ANTIBOT.md).
 */
export class Antibot {
  private readonly signatureSecret: string;
  private readonly keySecret: string;

  constructor(private readonly opts: AntibotOptions) {
    // Two independent keys from one configured secret.
    this.signatureSecret = createHash('sha256').update(`paredao-challenge:${opts.secret}`).digest('hex');
    this.keySecret = createHash('sha256').update(`paredao-key:${opts.secret}`).digest('hex');
  }

  /** Thousands of hashes per vote on average, as challenges are issued now. */
  get difficulty(): number {
    return this.opts.difficulty;
  }

  /**
   * Changes the work of challenges issued from now on (issue 14: the operator raises it during an
   * attack without a restart; worker.ts applies the value stored by PUT /api/admin/antibot on every
   * instance). Challenges already issued keep the counter they were made with.
   */
  setDifficulty(difficulty: number): void {
    this.opts.difficulty = difficulty;
  }

  /** The HMAC keys in altcha-lib's terms, for tests that check compatibility with it. */
  get secrets(): { hmacSignatureSecret: string; hmacKeySignatureSecret: string } {
    return { hmacSignatureSecret: this.signatureSecret, hmacKeySignatureSecret: this.keySecret };
  }

  challenge(now = Date.now()): Challenge {
    const mean = this.opts.difficulty * 1000;
    const counter = randomInt(Math.round(mean * 0.5), Math.round(mean * 1.5) + 1);
    const nonce = randomBytes(16);
    const salt = randomBytes(16);
    const password = Buffer.alloc(20);
    nonce.copy(password, 0);
    password.writeUInt32BE(counter, 16);
    // altcha-lib's SHA-256 derivation with cost 1: sha256(salt ‖ nonce ‖ uint32be(counter)).
    const derivedKey = createHash('sha256').update(salt).update(password).digest();
    // Keys sorted, as altcha-lib signs them (canonical JSON).
    const parameters = {
      algorithm: 'SHA-256',
      cost: 1,
      expiresAt: Math.floor(now / 1000) + this.opts.expirySeconds,
      keyLength: 32,
      keyPrefix: derivedKey.subarray(0, 16).toString('hex'),
      keySignature: hmacHex(this.keySecret, derivedKey),
      nonce: nonce.toString('hex'),
      salt: salt.toString('hex'),
    };
    return { parameters, signature: hmacHex(this.signatureSecret, JSON.stringify(parameters)) } as Challenge;
  }

  /** Verifies the widget's base64 payload; returns the vote id it determines or throws a 403 AppError. */
  verify(payload: unknown, now = Date.now()): string {
    if (payload === undefined || payload === null || payload === '') {
      throw new AppError(403, 'antibot_missing', 'Falta a verificação anti-robô. Aguarde a verificação terminar e vote de novo.');
    }
    const parsed = typeof payload === 'string' && payload.length <= 4096 ? decode(payload) : null;
    if (!parsed) throw new AppError(403, 'antibot_malformed', 'A verificação anti-robô veio em formato inválido.');
    const { challenge, solution } = parsed;
    const params = challenge.parameters as unknown as Record<string, unknown>;
    // The same checks, in the same order, as altcha-lib's verifySolution.
    if (typeof params.expiresAt === 'number' && params.expiresAt < now / 1000) {
      throw new AppError(403, 'antibot_expired', 'A verificação anti-robô expirou. Uma nova está sendo feita.');
    }
    const invalid = () => new AppError(403, 'antibot_invalid', 'A verificação anti-robô falhou.');
    if (!safeEqualHex(challenge.signature!, hmacHex(this.signatureSecret, JSON.stringify(sortKeys(params))))) throw invalid();
    if (!/^(?:[0-9a-f]{2})+$/.test(solution.derivedKey) || !Number.isInteger(solution.counter) || solution.counter < 0 || solution.counter > 0xffffffff) {
      throw invalid();
    }
    if (typeof params.keySignature !== 'string' || !safeEqualHex(params.keySignature, hmacHex(this.keySecret, Buffer.from(solution.derivedKey, 'hex')))) {
      throw invalid();
    }
    return voteIdOf(challenge.signature!);
  }
}

/** 128 bits of the HMAC signature: unique per challenge, and the same for every replay of it. */
export function voteIdOf(signature: string): string {
  return signature.slice(0, 32);
}

function hmacHex(key: string, data: string | Buffer): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

function safeEqualHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** altcha-lib's canonical form: object keys sorted recursively, undefined values dropped. */
function sortKeys(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .flatMap((k) => {
        const x = (v as Record<string, unknown>)[k];
        return x === undefined ? [] : [[k, sortKeys(x)]];
      }),
  );
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
    if (!c.parameters || typeof c.parameters !== 'object' || Array.isArray(c.parameters)) return null;
    const s = p.solution;
    if (!s || typeof s !== 'object' || typeof s.counter !== 'number' || typeof s.derivedKey !== 'string' || s.derivedKey.length > 1024) return null;
    return p as Payload;
  } catch {
    return null;
  }
}
