import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, parseStoredHash, SCRYPT_MAX_BYTES, SCRYPT_PARAMS, scryptBytes, verifyPassword } from './password-hash.js';

/** A hash as an older release stored it: N=2^17, r=8, p=1. */
const legacyHash = (password: string) => hashPassword(password, 131072, 8, 1);

describe('password hashes', () => {
  it('new hashes take a quarter of the old memory: 32 MiB, with p=3 to keep the cost', () => {
    expect(scryptBytes(SCRYPT_PARAMS.N, SCRYPT_PARAMS.r)).toBe(32 * 1024 * 1024);
    expect(SCRYPT_PARAMS.p).toBe(3);
  });

  it('when a password is hashed, then only that password verifies', async () => {
    const stored = await hashPassword('correct horse', 1024);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct horsf', stored)).toBe(false);
  });

  it('when the stored hash was made with the old N=2^17, r=8, p=1, then it still verifies', async () => {
    const stored = await legacyHash('an old password');
    expect(typeof parseStoredHash(stored)).toBe('object');
    expect(await verifyPassword('an old password', stored)).toBe(true);
    expect(await verifyPassword('another password', stored)).toBe(false);
  }, 30_000); // three 128 MiB hashes: seconds on a busy machine

  it('when a stored hash asks for more memory than one login may take, then it is refused with the reason', () => {
    const salt = randomBytes(16).toString('base64');
    const hash = randomBytes(32).toString('base64');
    const tooBig = `scrypt:262144:8:1:${salt}:${hash}`;
    expect(scryptBytes(262144, 8)).toBeGreaterThan(SCRYPT_MAX_BYTES);
    expect(parseStoredHash(tooBig)).toMatch(/256 MiB a login, above the 128 MiB/);
  });

  it.each([
    ['not a hash at all', 'hunter2'],
    ['N not a power of two', `scrypt:1000:8:1:${'A'.repeat(24)}:${'B'.repeat(44)}`],
    ['r of zero', `scrypt:1024:0:1:${'A'.repeat(24)}:${'B'.repeat(44)}`],
    ['an empty salt', `scrypt:1024:8:1::${'B'.repeat(44)}`],
    ['a salt of two bytes', `scrypt:1024:8:1:AAA=:${'B'.repeat(44)}`],
  ])('when the stored hash has %s, then it is refused and verifies nothing', async (_what, stored) => {
    expect(typeof parseStoredHash(stored)).toBe('string');
    expect(await verifyPassword('anything', stored)).toBe(false);
  });
});
