/**
 * The production team's password hash: `scrypt:N:r:p:salt:hash` (base64; no `$`, so .env files and
 * shells leave it alone), what scripts/hash-password.mjs and scripts/gen-env.sh print and
 * ADMIN_PASSWORD_HASH holds.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/**
 * One of the equal-cost scrypt variants of the OWASP Password Storage Cheat Sheet: N=2^15, r=8, p=3
 * takes 32 MiB a hash where N=2^17, r=8, p=1 took 128 MiB, and costs a guesser as much. Memory is
 * what a burst of logins spends in the api (docs/SECURITY.md). A stored hash carries its own N, r and
 * p, so hashes made with the older parameters still verify.
 */
export const SCRYPT_PARAMS = { N: 32768, r: 8, p: 3 } as const;

/**
 * The most memory one hash may take: the old default (N=2^17, r=8), so such a stored hash keeps
 * working. One hash of this size per api process is what the api container's memory is sized for;
 * a hash asking for more is refused at start.
 */
export const SCRYPT_MAX_BYTES = 128 * 1024 * 1024;
/** Node's scrypt refuses to run above maxmem, which it counts a little above 128 × N × r. */
const SCRYPT_MAXMEM = SCRYPT_MAX_BYTES + 16 * 1024 * 1024;

export interface StoredHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** The parts of a stored hash, or a sentence saying what is wrong with it. */
export function parseStoredHash(stored: string): StoredHash | string {
  const m = /^scrypt:(\d+):(\d+):(\d+):([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return 'not the output of node scripts/hash-password.mjs (scrypt:N:r:p:salt:hash)';
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 2 || (N & (N - 1)) !== 0 || r < 1 || p < 1 || p > 16) return `scrypt parameters N=${N}, r=${r}, p=${p} are not valid`;
  if (scryptBytes(N, r) > SCRYPT_MAX_BYTES) {
    return `scrypt N=${N}, r=${r} needs ${scryptBytes(N, r) >> 20} MiB a login, above the ${SCRYPT_MAX_BYTES >> 20} MiB the api allows: hash the password again with node scripts/hash-password.mjs`;
  }
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  if (salt.length < 8 || hash.length < 16) return 'salt or hash too short';
  return { N, r, p, salt, hash };
}

/** The memory scrypt needs for N and r, in bytes. */
export function scryptBytes(N: number, r: number): number {
  return 128 * N * r;
}

export async function hashPassword(password: string, N: number = SCRYPT_PARAMS.N, r: number = SCRYPT_PARAMS.r, p: number = SCRYPT_PARAMS.p): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, { N, r, p, maxmem: SCRYPT_MAXMEM });
  return `scrypt:${N}:${r}:${p}:${salt.toString('base64')}:${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  if (typeof parsed === 'string') return false;
  const actual = await scrypt(password, parsed.salt, parsed.hash.length, { N: parsed.N, r: parsed.r, p: parsed.p, maxmem: SCRYPT_MAXMEM });
  return timingSafeEqual(actual, parsed.hash);
}
