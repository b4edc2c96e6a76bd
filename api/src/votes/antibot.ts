import { createHash, createHmac, createSecretKey, hash, randomFillSync, randomInt, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Challenge } from 'altcha-lib';
import { AppError } from '../platform/errors.js';

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
 * altcha-lib's exactly; api/src/votes/antibot.test.ts checks both directions against altcha-lib itself.
 *
 * The vote id is derived from the challenge signature, so a replayed proof carries the same vote id and
 * the consumer's exactly-once apply drops it (docs/ANTIBOT.md).
 */
export class Antibot {
  private readonly signatureSecret: string;
  private readonly keySecret: string;
  /** The same keys as KeyObjects: the string is not turned into key bytes again for every HMAC. */
  private readonly signatureKey: KeyObject;
  private readonly keyKey: KeyObject;
  /** Salt and nonce come from here: one call into the system's generator per 128 challenges, not two per challenge. */
  private readonly random = new RandomPool(4096);
  /** salt ‖ nonce ‖ uint32be(counter): the input of the derived key, rewritten for each challenge. */
  private readonly password = Buffer.alloc(36);

  constructor(private readonly opts: AntibotOptions) {
    // Two independent keys from one configured secret.
    this.signatureSecret = createHash('sha256').update(`paredao-challenge:${opts.secret}`).digest('hex');
    this.keySecret = createHash('sha256').update(`paredao-key:${opts.secret}`).digest('hex');
    // altcha-lib imports the secret string's UTF-8 bytes as the HMAC key, as createHmac does with a string.
    this.signatureKey = createSecretKey(Buffer.from(this.signatureSecret, 'utf8'));
    this.keyKey = createSecretKey(Buffer.from(this.keySecret, 'utf8'));
  }

  /** Thousands of hashes per vote on average, as challenges are issued now. */
  get difficulty(): number {
    return this.opts.difficulty;
  }

  /**
   * Changes the work of challenges issued from now on (the operator raises it during an
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
    // Uniform over [0, 2 × mean): every counter is as likely as any other, so no order of trying them
    // (from 0 as the widget does, from an offset, or giving up early for a fresh challenge) finds it in
    // fewer than `mean` hashes on average. A window such as [0.5, 1.5] × mean let a bot skip its lower half.
    const counter = randomInt(0, Math.max(1, Math.round(this.opts.difficulty * 2000)));
    // altcha-lib's SHA-256 derivation with cost 1: sha256(salt ‖ nonce ‖ uint32be(counter)).
    const password = this.password;
    this.random.fill(password, 0, 32);
    password.writeUInt32BE(counter, 32);
    const derivedKey = hash('sha256', password, 'buffer');
    // Keys sorted, as altcha-lib signs them (canonical JSON).
    const parameters = {
      algorithm: 'SHA-256',
      cost: 1,
      expiresAt: Math.floor(now / 1000) + this.opts.expirySeconds,
      keyLength: 32,
      keyPrefix: derivedKey.toString('hex', 0, 16),
      keySignature: hmacHex(this.keyKey, derivedKey),
      nonce: password.toString('hex', 16, 32),
      salt: password.toString('hex', 0, 16),
    };
    return { parameters, signature: hmacHex(this.signatureKey, JSON.stringify(parameters)) } as Challenge;
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
    if (!safeEqualHex(challenge.signature!, hmacHex(this.signatureKey, canonicalJson(params)))) throw invalid();
    if (!/^(?:[0-9a-f]{2})+$/.test(solution.derivedKey) || !Number.isInteger(solution.counter) || solution.counter < 0 || solution.counter > 0xffffffff) {
      throw invalid();
    }
    if (typeof params.keySignature !== 'string' || !safeEqualHex(params.keySignature, hmacHex(this.keyKey, Buffer.from(solution.derivedKey, 'hex')))) {
      throw invalid();
    }
    return voteIdOf(challenge.signature!);
  }
}

/** 128 bits of the HMAC signature: unique per challenge, and the same for every replay of it. */
export function voteIdOf(signature: string): string {
  return signature.slice(0, 32);
}

function hmacHex(key: KeyObject, data: string | Buffer): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

/**
 * Random bytes drawn from a buffer refilled by the system's generator when used up: the same bytes
 * randomBytes would give, at one call per `size` bytes instead of one per request.
 */
export class RandomPool {
  private readonly pool: Buffer;
  private offset: number;

  constructor(size: number) {
    this.pool = Buffer.alloc(size);
    this.offset = size;
  }

  /** Writes fresh random bytes into target[start, end). Never hands out the same bytes twice. */
  fill(target: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n > this.pool.length) throw new RangeError(`RandomPool of ${this.pool.length} bytes cannot give ${n}`);
    if (this.offset + n > this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    this.pool.copy(target, start, this.offset, this.offset + n);
    // Used bytes are cleared, so a bug that read them again would see zeros, not a repeated secret.
    this.pool.fill(0, this.offset, this.offset + n);
    this.offset += n;
  }
}

/**
 * altcha-lib's canonical JSON of the parameters. The challenges this server issues are already in that
 * form (flat, keys in order), so the object is serialised as it is; anything else is sorted first.
 */
function canonicalJson(params: Record<string, unknown>): string {
  let previous = '';
  for (const k in params) {
    const v = params[k];
    if (k <= previous || (typeof v === 'object' && v !== null)) return JSON.stringify(sortKeys(params));
    previous = k;
  }
  return JSON.stringify(params);
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
