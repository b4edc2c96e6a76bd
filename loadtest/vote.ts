/**
 * Prime time in k6: a constant arrival rate of votes through nginx, each carrying a real
 * ALTCHA proof of work, the way a phone would send it.
 *
 * Each iteration fetches a challenge, solves it with k6/crypto's sha256 and posts the vote. Solving per
 * iteration, not in setup(): setup() runs once in one VU, so 60k proofs there would be ~60M hashes
 * in a row, past the default setup timeout and past the challenges' 120 s expiry; and its return value
 * is copied to every VU. Per iteration the work is spread over the VUs, each proof is fresh, and the
 * api also serves the GET /api/challenge that every real vote needs. With ANTIBOT_DIFFICULTY=1 that is
 * about 1000 hashes per vote (docs/ANTIBOT.md). The stack under test needs RATE_LIMIT_PER_IP=0 (all
 * votes come from one address) and ANTIBOT_DIFFICULTY=1.
 *
 * Env: BASE_URL (http://proxy:8080 in compose), RATE (votes/s, 1000), DURATION (1m), PRE_ALLOCATED_VUS
 * (200), MAX_VUS (2000). In compose: `run -o experimental-prometheus-rw /scripts/vote.ts`.
 */
import { check, fail } from 'k6';
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import type { Options } from 'k6/options';

const BASE_URL = (__ENV.BASE_URL ?? 'http://localhost:8080').replace(/\/$/, '');
const RATE = Number(__ENV.RATE ?? 1000);
const DURATION = __ENV.DURATION ?? '1m';

export const options: Options = {
  scenarios: {
    votes: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
      // An iteration is a challenge round trip, ~1000 hashes and the vote: tens of ms, so a few
      // hundred VUs hold 1000/s; k6 adds more (up to maxVUs) when the system slows down.
      preAllocatedVUs: Number(__ENV.PRE_ALLOCATED_VUS ?? 200),
      maxVUs: Number(__ENV.MAX_VUS ?? 2000),
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.001'],
    http_req_duration: ['p(99)<100'],
    dropped_iterations: ['count<10'],
    // The vote alone, apart from the challenge requests.
    'http_req_duration{name:vote}': ['p(99)<100'],
    checks: ['rate>0.999'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(95)', 'p(99)', 'max'],
};

const votesAccepted = new Counter('paredao_votes_accepted');
const hashesComputed = new Counter('paredao_pow_hashes');

interface ChallengeParameters {
  algorithm: string;
  nonce: string;
  salt: string;
  cost: number;
  keyLength?: number;
  keyPrefix: string;
}
interface Challenge {
  parameters: ChallengeParameters;
  signature: string;
}

export function setup(): { candidates: string[] } {
  const res = http.get(`${BASE_URL}/api/paredao`, { tags: { name: 'paredao' } });
  if (res.status !== 200) fail(`GET /api/paredao: HTTP ${res.status}`);
  const paredao = res.json() as { status: string; candidates: { id: string }[] };
  if (paredao.status !== 'open') fail('voting is closed: open the paredão before the load test');
  return { candidates: paredao.candidates.map((c) => c.id) };
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** ALTCHA v2, SHA-256 with cost 1: key = sha256(salt ‖ nonce ‖ uint32be(counter)); find the counter whose key starts with keyPrefix. */
export function solve(p: ChallengeParameters): { counter: number; derivedKey: string } {
  if (p.algorithm !== 'SHA-256' || p.cost !== 1 || (p.keyLength ?? 32) !== 32) fail(`unsupported challenge: ${JSON.stringify(p)}`);
  const salt = hexToBytes(p.salt);
  const nonce = hexToBytes(p.nonce);
  const buf = new Uint8Array(salt.length + nonce.length + 4);
  buf.set(salt, 0);
  buf.set(nonce, salt.length);
  const view = new DataView(buf.buffer);
  const prefix = p.keyPrefix.toLowerCase();
  for (let counter = 0; counter <= 10_000_000; counter++) {
    view.setUint32(salt.length + nonce.length, counter, false);
    const key = crypto.sha256(buf.buffer, 'hex');
    if (key.startsWith(prefix)) {
      hashesComputed.add(counter + 1);
      return { counter, derivedKey: key };
    }
  }
  return fail('challenge not solved within 10 million hashes');
}

export default function vote(data: { candidates: string[] }): void {
  const ch = http.get(`${BASE_URL}/api/challenge`, { tags: { name: 'challenge' } });
  if (!check(ch, { 'challenge 200': (r) => r.status === 200 })) return;
  const challenge = ch.json() as unknown as Challenge;
  const solution = solve(challenge.parameters);
  const altcha = encoding.b64encode(JSON.stringify({ challenge, solution }));
  const candidateId = data.candidates[Math.floor(Math.random() * data.candidates.length)];
  const res = http.post(`${BASE_URL}/api/votes`, JSON.stringify({ candidateId, altcha }), {
    headers: { 'content-type': 'application/json' },
    tags: { name: 'vote' },
  });
  if (check(res, { 'vote accepted (202)': (r) => r.status === 202 })) votesAccepted.add(1);
}
