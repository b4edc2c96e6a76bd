// The proof-of-work search for ALTCHA v2 SHA-256 challenges (the api's), run by antibot-worker.ts.
//
// altcha's own SHA worker awaits `crypto.subtle.digest` for every counter it tries: a promise, a copy
// of the input and a copy of the output per attempt, about 20–50 µs each. This search hashes with
// @noble/hashes (audited, plain JS: nothing the page's CSP would have to allow, unlike WebAssembly) in a
// synchronous loop over one reused input buffer, and gives the event loop back between batches only,
// so that an abort still arrives. The work is the same: every counter from `start` by `step` is tried
// in order, with the key derivation of altcha-lib (SHA-256 of salt ‖ nonce ‖ counter, `cost` times).
//
// The api's challenges (cost 1, salt ‖ nonce ‖ uint32: 36 bytes) fit one SHA-256 block: for them the
// block is padded once and only its counter word changes, and noble's compression function runs on it
// directly (OneBlock), without the per-hash object, padding and output array of sha256(): two to four
// times fewer instructions per attempt before the JIT has optimised the loop, which on a slow phone is
// much of a proof. Anything else goes through sha256() as it is.
import { _SHA256, sha256 } from '@noble/hashes/sha2.js';

/** What of a challenge's `parameters` the search reads (altcha-lib v2's names). */
export interface ShaChallengeParameters {
  algorithm: string;
  cost: number;
  keyLength?: number;
  keyPrefix: string;
  nonce: string;
  salt: string;
}

/** Which counters this search tries: start, start + step, … (the widget gives each worker its own start). */
export interface SearchRange {
  counterStart: number;
  counterStep: number;
  /** How the counter follows the nonce: 4 bytes big-endian (the api's), or its decimal digits. */
  counterMode: 'uint32' | 'string';
}

export interface Found {
  counter: number;
  derivedKey: string;
}

const MAX_COUNTER = 0xffff_ffff;
/** altcha-lib repeats the hash `cost` times; far above any SHA cost a page could wait for. */
const MAX_COST = 1_000_000;
const HEX = /^(?:[0-9a-f]{2})*$/;

/** noble's SHA-256 compression of one whole padded 64-byte block from the standard initial state. */
class OneBlock extends _SHA256 {
  private readonly iv = this.get();

  /** The digest's eight 32-bit words (big-endian, as int32) into `out`. */
  hash(block: DataView, out: Int32Array): void {
    const v = this.iv;
    this.set(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
    this.process(block, 0);
    out[0] = this.A;
    out[1] = this.B;
    out[2] = this.C;
    out[3] = this.D;
    out[4] = this.E;
    out[5] = this.F;
    out[6] = this.G;
    out[7] = this.H;
  }
}

/** A search over one challenge: `run` tries the next counters, as many as asked, and stops at the key. */
export class ShaSearch {
  private counter: number;
  private readonly step: number;
  private readonly mode: 'uint32' | 'string';
  private readonly cost: number;
  private readonly keyLength: number;
  /** salt ‖ nonce, then room for the counter (4 bytes, or up to 10 digits). */
  private readonly input: Uint8Array;
  private readonly head: number;
  private readonly view: DataView;
  private readonly prefix: Uint8Array;
  /** An odd-length keyPrefix's last hex digit: the high nibble of the byte after `prefix`. */
  private readonly lastNibble: number | null;
  /** The one-block path: the padded block, its view, the digest words, and the prefix as words and masks. */
  private readonly fast: { block: DataView; sha: OneBlock; words: Int32Array; want: Int32Array; mask: Int32Array } | null;

  /** Throws a RangeError naming the field when the challenge or the range is not one this search can do. */
  constructor(params: ShaChallengeParameters, range: SearchRange) {
    if (params === null || typeof params !== 'object') throw new RangeError('challenge parameters missing');
    if (params.algorithm !== 'SHA-256') throw new RangeError(`algorithm ${String(params.algorithm)} is not SHA-256`);
    if (!Number.isInteger(params.cost) || params.cost < 1 || params.cost > MAX_COST) throw new RangeError(`cost ${String(params.cost)} out of 1…${MAX_COST}`);
    const keyLength = params.keyLength ?? 32;
    if (!Number.isInteger(keyLength) || keyLength < 1 || keyLength > 32) throw new RangeError(`keyLength ${String(keyLength)} out of 1…32`);
    for (const field of ['salt', 'nonce'] as const) {
      if (typeof params[field] !== 'string' || !HEX.test(params[field])) throw new RangeError(`${field} is not hex`);
    }
    const prefix = params.keyPrefix;
    if (typeof prefix !== 'string' || prefix.length === 0 || prefix.length > 2 * keyLength || !/^[0-9a-f]+$/.test(prefix)) {
      throw new RangeError('keyPrefix is not 1…2×keyLength hex digits');
    }
    const { counterStart, counterStep, counterMode } = range;
    if (!Number.isInteger(counterStart) || counterStart < 0 || counterStart > MAX_COUNTER) throw new RangeError(`counterStart ${String(counterStart)} out of range`);
    if (!Number.isInteger(counterStep) || counterStep < 1 || counterStep > 1024) throw new RangeError(`counterStep ${String(counterStep)} out of 1…1024`);
    if (counterMode !== 'uint32' && counterMode !== 'string') throw new RangeError(`counterMode ${String(counterMode)} unknown`);

    this.counter = counterStart;
    this.step = counterStep;
    this.mode = counterMode;
    this.cost = params.cost;
    this.keyLength = keyLength;
    const head = hexBytes(params.salt + params.nonce);
    this.head = head.length;
    this.input = new Uint8Array(head.length + (counterMode === 'uint32' ? 4 : 10));
    this.input.set(head);
    this.view = new DataView(this.input.buffer);
    this.prefix = hexBytes(prefix.slice(0, prefix.length - (prefix.length % 2)));
    this.lastNibble = prefix.length % 2 === 1 ? parseInt(prefix.at(-1)!, 16) : null;
    // One block holds up to 55 bytes of message (then 0x80 and the 64-bit bit length).
    if (this.cost === 1 && counterMode === 'uint32' && this.input.length <= 55) {
      const bytes = new Uint8Array(64);
      bytes.set(this.input);
      bytes[this.input.length] = 0x80;
      const block = new DataView(bytes.buffer);
      block.setUint32(60, this.input.length * 8, false);
      // The prefix's hex digits, left-aligned in 32-bit words, and which bits of each word they fix.
      const words = Math.ceil(prefix.length / 8);
      const want = new Int32Array(words);
      const mask = new Int32Array(words);
      for (let w = 0; w < words; w++) {
        const digits = prefix.slice(8 * w, 8 * w + 8);
        want[w] = parseInt(digits.padEnd(8, '0'), 16) | 0;
        mask[w] = parseInt('f'.repeat(digits.length).padEnd(8, '0'), 16) | 0;
      }
      this.fast = { block, sha: new OneBlock(), words: new Int32Array(8), want, mask };
    } else {
      this.fast = null;
    }
  }

  /**
   * Tries up to `attempts` counters from where the last call stopped. The key and its counter when one
   * matches; null when none did (call again), also once every counter up to 2³²−1 has been tried.
   */
  run(attempts: number): Found | null {
    if (this.fast) return this.runOneBlock(attempts, this.fast);
    for (let i = 0; i < attempts && this.counter <= MAX_COUNTER; i++) {
      const counter = this.counter;
      this.counter += this.step;
      const key = this.derive(counter);
      if (this.matches(key)) return { counter, derivedKey: toHex(key) };
    }
    return null;
  }

  private runOneBlock(attempts: number, f: NonNullable<ShaSearch['fast']>): Found | null {
    const { block, sha, words, want, mask } = f;
    const at = this.head;
    for (let i = 0; i < attempts && this.counter <= MAX_COUNTER; i++) {
      const counter = this.counter;
      this.counter += this.step;
      block.setUint32(at, counter, false);
      sha.hash(block, words);
      let w = 0;
      while (w < want.length && (words[w]! & mask[w]!) === want[w]) w++;
      if (w === want.length) {
        const key = new Uint8Array(32);
        const view = new DataView(key.buffer);
        for (let j = 0; j < 8; j++) view.setInt32(4 * j, words[j]!, false);
        return { counter, derivedKey: toHex(key.subarray(0, this.keyLength)) };
      }
    }
    return null;
  }

  /** Whether every counter of the range has been tried without a match. */
  get exhausted(): boolean {
    return this.counter > MAX_COUNTER;
  }

  private derive(counter: number): Uint8Array {
    let data: Uint8Array;
    if (this.mode === 'uint32') {
      this.view.setUint32(this.head, counter, false);
      data = this.input;
    } else {
      const digits = String(counter);
      for (let d = 0; d < digits.length; d++) this.input[this.head + d] = digits.charCodeAt(d);
      data = this.input.subarray(0, this.head + digits.length);
    }
    let key = sha256(data);
    for (let i = 1; i < this.cost; i++) key = sha256(key.subarray(0, this.keyLength));
    return key.subarray(0, this.keyLength);
  }

  private matches(key: Uint8Array): boolean {
    const p = this.prefix;
    for (let i = 0; i < p.length; i++) if (key[i] !== p[i]) return false;
    return this.lastNibble === null || key[p.length]! >> 4 === this.lastNibble;
  }
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
