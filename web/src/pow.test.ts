import { describe, expect, it } from 'vitest';
import { ShaSearch, type SearchRange, type ShaChallengeParameters } from './pow.ts';

// The keys are checked against WebCrypto's SHA-256, not against the search's own hashing.
const hex = (b: ArrayBuffer | Uint8Array) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
const SALT = '00112233445566778899aabbccddeeff';
const NONCE = 'ffeeddccbbaa99887766554433221100';
const bytes = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));

/** WebCrypto's derivation of altcha-lib v2 (cost 1): sha256(salt ‖ nonce ‖ counter). */
async function keyOf(counter: number, mode: SearchRange['counterMode'] = 'uint32'): Promise<string> {
  const head = bytes(SALT + NONCE);
  const tail = mode === 'uint32' ? new Uint8Array(new Uint32Array([0]).buffer) : new TextEncoder().encode(String(counter));
  if (mode === 'uint32') new DataView(tail.buffer).setUint32(0, counter, false);
  const data = new Uint8Array(head.length + tail.length);
  data.set(head);
  data.set(tail, head.length);
  return hex(await crypto.subtle.digest('SHA-256', data));
}

const params = (keyPrefix: string, over: Partial<ShaChallengeParameters> = {}): ShaChallengeParameters => ({
  algorithm: 'SHA-256',
  cost: 1,
  keyLength: 32,
  keyPrefix,
  nonce: NONCE,
  salt: SALT,
  ...over,
});
const range = (over: Partial<SearchRange> = {}): SearchRange => ({ counterStart: 0, counterStep: 1, counterMode: 'uint32', ...over });

describe('ShaSearch', () => {
  it('finds the counter whose key has the prefix, trying counters from 0 upwards, and gives the whole key', async () => {
    const key = await keyOf(4321);
    const search = new ShaSearch(params(key.slice(0, 32)), range());
    expect(search.run(4321)).toBeNull(); // 0 … 4320 tried: not there yet
    expect(search.run(1)).toEqual({ counter: 4321, derivedKey: key });
  });

  it('tries only its own counters: start, start + step, …', async () => {
    const key = await keyOf(1003);
    expect(new ShaSearch(params(key.slice(0, 32)), range({ counterStart: 1, counterStep: 2 })).run(600)).toEqual({ counter: 1003, derivedKey: key });
    // 1003 is odd: the worker starting at 0 with step 2 never tries it.
    expect(new ShaSearch(params(key.slice(0, 32)), range({ counterStart: 0, counterStep: 2 })).run(600)).toBeNull();
  });

  it('on the one-block path (the api\'s 36 bytes), matches an odd-length prefix to its last hex digit and cuts the key to keyLength', async () => {
    const key = await keyOf(900);
    // 9 digits: one whole word and the high nibble of the next; 900 is the first counter that has them.
    const search = new ShaSearch(params(key.slice(0, 9), { keyLength: 20 }), range());
    const found = search.run(10_000);
    expect(found?.derivedKey).toBe(key.slice(0, 40));
    expect(found?.counter).toBeLessThanOrEqual(900);
    expect((await keyOf(found!.counter)).slice(0, 9)).toBe(key.slice(0, 9));
  });

  it('matches an odd-length prefix on its last hex digit, and the decimal counter mode of v1-style challenges', async () => {
    const key = await keyOf(77, 'string');
    expect(new ShaSearch(params(key.slice(0, 7)), range({ counterMode: 'string' })).run(100)).toMatchObject({ counter: 77, derivedKey: key });
  });

  it('repeats the hash `cost` times and cuts the key to keyLength, as altcha-lib derives it', async () => {
    const first = bytes(await keyOf(5)).subarray(0, 16);
    const second = hex(await crypto.subtle.digest('SHA-256', first)).slice(0, 32);
    const found = new ShaSearch(params(second.slice(0, 8), { cost: 2, keyLength: 16 }), range()).run(10);
    expect(found).toEqual({ counter: 5, derivedKey: second });
  });

  it('refuses what it cannot search, naming the field', () => {
    const ok = params('ab');
    const bad: [Partial<ShaChallengeParameters> | null, Partial<SearchRange>, RegExp][] = [
      [{ algorithm: 'SHA-512' }, {}, /algorithm/],
      [{ algorithm: 'PBKDF2/SHA-256' }, {}, /algorithm/],
      [{ cost: 0 }, {}, /cost/],
      [{ cost: 1.5 }, {}, /cost/],
      [{ keyLength: 33 }, {}, /keyLength/],
      [{ salt: 'xyz0' }, {}, /salt/],
      [{ nonce: 'abc' }, {}, /nonce/],
      [{ keyPrefix: '' }, {}, /keyPrefix/],
      [{ keyPrefix: 'AB' }, {}, /keyPrefix/],
      [{ keyPrefix: 'a'.repeat(65) }, {}, /keyPrefix/],
      [{}, { counterStart: -1 }, /counterStart/],
      [{}, { counterStart: 2 ** 32 }, /counterStart/],
      [{}, { counterStep: 0 }, /counterStep/],
      [{}, { counterMode: 'base64' as 'string' }, /counterMode/],
    ];
    for (const [p, r, message] of bad) expect(() => new ShaSearch({ ...ok, ...p } as ShaChallengeParameters, range(r)), String(message)).toThrow(message);
    expect(() => new ShaSearch(null as unknown as ShaChallengeParameters, range())).toThrow(/parameters/);
  });

  it('stops at the last 32-bit counter instead of wrapping around', () => {
    const search = new ShaSearch(params('ffffffffffffffff'), range({ counterStart: 2 ** 32 - 3 }));
    expect(search.run(10)).toBeNull();
    expect(search.exhausted).toBe(true);
  });
});
