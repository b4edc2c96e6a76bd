// Worker for presolve() in load.ts: solves ALTCHA v2 challenges (SHA-256, cost 1) synchronously.
// Plain JS so it loads the same under node, tsx and vitest.
//
// altcha-lib derives key = SHA-256(salt ‖ nonce ‖ uint32be(counter)) (v2/pow.js PasswordBuffer,
// v2/algorithms/sha.js). With 16-byte salt and nonce the message is 36 bytes: one SHA-256 block whose
// first 8 words never change. So the first 8 rounds are computed once per challenge (a "midstate") and
// each counter costs the remaining 56 rounds in plain int32 arithmetic. node:crypto's createHash costs
// several µs per call here (object and binding overhead), this costs well under 1 µs.
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const H0 = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const W = new Int32Array(64);
const rotr = (x, n) => (x >>> n) | (x << (32 - n));

/** Runs rounds [from, 64) of SHA-256 from state s (8 ints) over W; returns the first 4 output words in out. */
function rounds(s, from, to, out) {
  let a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
  for (let i = from; i < to; i++) {
    const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
    const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  out[0] = a; out[1] = b; out[2] = c; out[3] = d; out[4] = e; out[5] = f; out[6] = g; out[7] = h;
}

const mid = new Int32Array(8);
const fin = new Int32Array(8);

/** Finds the counter whose derived key starts with prefix; returns { counter, derivedKey } (hex). */
function solve(params, maxCounter) {
  const salt = Buffer.from(params.salt, 'hex');
  const nonce = Buffer.from(params.nonce, 'hex');
  const prefix = Buffer.from(params.keyPrefix, 'hex');
  if (params.algorithm !== 'SHA-256' || params.cost !== 1 || (params.keyLength ?? 32) !== 32 || params.keyPrefix.length % 2 !== 0) {
    throw new Error(`presolve handles SHA-256, cost 1, keyLength 32, even-length prefixes only (got ${JSON.stringify(params)})`);
  }
  if (salt.length + nonce.length !== 32 || prefix.length < 4) return solveGeneric(salt, nonce, prefix, maxCounter);
  const msg = Buffer.concat([salt, nonce]);
  for (let i = 0; i < 8; i++) W[i] = msg.readInt32BE(i * 4);
  W[9] = 0x80000000 | 0;
  W[10] = W[11] = W[12] = W[13] = W[14] = 0;
  W[15] = 36 * 8;
  rounds(H0, 0, 8, mid);
  const want0 = prefix.readInt32BE(0);
  for (let counter = 0; counter <= maxCounter; counter++) {
    W[8] = counter | 0;
    for (let i = 16; i < 64; i++) {
      const w15 = W[i - 15], w2 = W[i - 2];
      W[i] = (((rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10)) + W[i - 7] + (rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3)) + W[i - 16]) | 0);
    }
    rounds(mid, 8, 64, fin);
    if (((fin[0] + H0[0]) | 0) !== want0) continue;
    // First word matches (1 in 2^32 by chance): confirm the whole prefix with the real hash.
    const key = derive(salt, nonce, counter);
    if (key.subarray(0, prefix.length).equals(prefix)) return { counter, derivedKey: key.toString('hex') };
  }
  return null;
}

function derive(salt, nonce, counter) {
  const c = Buffer.alloc(4);
  c.writeUInt32BE(counter);
  return createHash('sha256').update(Buffer.concat([salt, nonce, c])).digest();
}

function solveGeneric(salt, nonce, prefix, maxCounter) {
  for (let counter = 0; counter <= maxCounter; counter++) {
    const key = derive(salt, nonce, counter);
    if (key.subarray(0, prefix.length).equals(prefix)) return { counter, derivedKey: key.toString('hex') };
  }
  return null;
}

parentPort.on('message', ({ id, challenges, maxCounter }) => {
  try {
    const solutions = challenges.map((c) => solve(c.parameters, maxCounter));
    parentPort.postMessage({ id, solutions });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err?.stack ?? err) });
  }
});
