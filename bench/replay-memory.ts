/**
 * Memory of the replay guard at the record peak: 25 000 votes/s into one api process for
 * longer than two expiry periods (default 120 s), simulated time, random 128-bit ids. Prints the ids
 * held and the bytes they take, for the guard as it is (compact IdSet buckets by expiry) and for the
 * design it replaced (two Set<string> generations rotated every expiry period), measured the same way.
 *
 *   node --expose-gc --max-old-space-size=4096 --import tsx bench/replay-memory.ts [--rate=25000] [--seconds=250]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ExpiringIdSet } from '@paredao/api/votes/replay-guard';

const { values: args } = parseArgs({ options: { rate: { type: 'string', default: '25000' }, seconds: { type: 'string', default: '250' } }, strict: true });
const rate = Number(args.rate);
const seconds = Number(args.seconds);
const expiryMs = 120_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** The previous design, kept here only to measure against. */
class TwoGenerationSets {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt = 0;
  claim(id: string, now: number): boolean {
    if (now - this.rotatedAt >= expiryMs) {
      this.previous = this.current;
      this.current = new Set();
      this.rotatedAt = now;
    }
    if (this.current.has(id) || this.previous.has(id)) return false;
    this.current.add(id);
    return true;
  }
  get size() {
    return this.current.size + this.previous.size;
  }
}

// Random ids drawn a second's worth at a time, so the generator is not much of what is measured.
let pool = '';
let at = 0;
const randomId = () => {
  if (at >= pool.length) {
    pool = randomBytes(16 * 8192).toString('hex');
    at = 0;
  }
  at += 32;
  return pool.slice(at - 32, at);
};

function used(): number {
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function run(name: string, claim: (id: string, now: number) => boolean, size: () => number) {
  const before = used();
  const started = process.cpuUsage();
  let peakIds = 0;
  let peakBytes = 0;
  for (let s = 0; s < seconds; s++) {
    for (let i = 0; i < rate; i++) claim(randomId(), s * 1000 + Math.floor((i * 1000) / rate));
    if (s % 10 === 9) {
      peakIds = Math.max(peakIds, size());
      peakBytes = Math.max(peakBytes, used() - before);
    }
  }
  const cpu = process.cpuUsage(started);
  const perClaimUs = (cpu.user + cpu.system) / (rate * seconds);
  console.log(
    `${name}: ${rate} claims/s for ${seconds} s (expiry ${expiryMs / 1000} s): peak ${peakIds.toLocaleString('en')} ids held, ` +
      `peak ${(peakBytes / 2 ** 20).toFixed(0)} MiB (heap + array buffers over the start, after GC), ${(peakBytes / Math.max(1, peakIds)).toFixed(1)} bytes/id, ` +
      `${perClaimUs.toFixed(2)} µs CPU per claim (including id generation)`,
  );
}

// What each api process's ReplayGuard (and the cluster primary's arbiter) holds.
const held = new ExpiringIdSet(expiryMs);
run('ReplayGuard (IdSet buckets by expiry)', (id, now) => held.claim(id, now + expiryMs, now), () => held.size);
const sets = new TwoGenerationSets();
run('previous design (two Set<string> generations)', (id, now) => sets.claim(id, now), () => sets.size);
