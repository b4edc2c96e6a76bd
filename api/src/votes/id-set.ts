/**
 * A set of vote ids kept as 64-bit keys in typed arrays (open addressing, linear probing): 8 bytes per
 * slot and no object per id, where a Set<string> of 32-character ids costs about 100 bytes per id and
 * garbage for the collector. Vote ids are hex (128 bits of an HMAC); the first 64 bits are the key. Two
 * different votes sharing 64 bits among the few million held at once has a probability of about 10⁻⁶
 * per expiry period, and its cost is one voter asked to solve a new challenge (403 antibot_replayed).
 * Ids that are not hex are hashed (FNV-1a) into the same 64 bits.
 */
export class IdSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private used = 0;
  private live = 0;

  constructor(capacity = 1024) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.hi = new Uint32Array(size);
    this.lo = new Uint32Array(size);
  }

  get size(): number {
    return this.live;
  }

  /** Bytes held by the arrays. */
  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength;
  }

  has(id: string): boolean {
    return this.hasKey(idKey(id));
  }

  /** For a caller that looks one id up in several sets: derive its key once with idKey. */
  hasKey([h, l]: readonly [number, number]): boolean {
    return this.find(h, l) >= 0;
  }

  /** Adds the id; false if it was there already. */
  add(id: string): boolean {
    return this.addKey(idKey(id));
  }

  addKey([h, l]: readonly [number, number]): boolean {
    if (this.find(h, l) >= 0) return false;
    if ((this.used + 1) * 4 > this.hi.length * 3) this.grow();
    this.insert(h, l);
    return true;
  }

  delete(id: string): boolean {
    const [h, l] = idKey(id);
    const i = this.find(h, l);
    if (i < 0) return false;
    // A tombstone keeps later entries of the probe chain reachable.
    this.hi[i] = 0;
    this.lo[i] = TOMBSTONE;
    this.live--;
    return true;
  }

  private find(h: number, l: number): number {
    const mask = this.hi.length - 1;
    for (let i = slot(h, l) & mask; ; i = (i + 1) & mask) {
      const sh = this.hi[i]!;
      const sl = this.lo[i]!;
      if (sh === h && sl === l) return i;
      if (sh === 0 && sl === EMPTY) return -1;
    }
  }

  private insert(h: number, l: number): void {
    const mask = this.hi.length - 1;
    for (let i = slot(h, l) & mask; ; i = (i + 1) & mask) {
      if (this.hi[i] === 0 && (this.lo[i] === EMPTY || this.lo[i] === TOMBSTONE)) {
        if (this.lo[i] === EMPTY) this.used++;
        this.hi[i] = h;
        this.lo[i] = l;
        this.live++;
        return;
      }
    }
  }

  private grow(): void {
    const { hi, lo } = this;
    // Double only when live entries need it; otherwise rebuild at the same size to drop tombstones.
    const size = this.live * 2 >= hi.length / 2 ? hi.length * 2 : hi.length;
    this.hi = new Uint32Array(size);
    this.lo = new Uint32Array(size);
    this.used = 0;
    this.live = 0;
    for (let i = 0; i < hi.length; i++) {
      const h = hi[i]!;
      const l = lo[i]!;
      if (h === 0 && (l === EMPTY || l === TOMBSTONE)) continue;
      this.insert(h, l);
    }
  }
}

/** (0, 0) marks an empty slot and (0, 1) a deleted one; real keys with hi = 0 and lo ≤ 1 move to lo = 2. */
const EMPTY = 0;
const TOMBSTONE = 1;
const HEX64 = /^[0-9a-f]{16}/;

/** Mixes both halves, so ids that differ only in a few bits (not HMAC output) still spread out. */
function slot(h: number, l: number): number {
  let x = Math.imul(l, 0x9e3779b1) ^ Math.imul(h ^ (l >>> 16), 0x85ebca6b);
  x ^= x >>> 15;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 13)) >>> 0;
}

/** The 64-bit key of an id, as two unsigned 32-bit halves. */
export function idKey(id: string): [number, number] {
  let h: number;
  let l: number;
  if (HEX64.test(id)) {
    h = parseInt(id.slice(0, 8), 16) >>> 0;
    l = parseInt(id.slice(8, 16), 16) >>> 0;
  } else {
    // FNV-1a, twice with different offsets, for the two halves.
    h = 0x811c9dc5;
    l = 0x050c5d1f;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      h = Math.imul(h ^ c, 0x01000193) >>> 0;
      l = Math.imul(l ^ c, 0x01000193) >>> 0;
    }
  }
  if (h === 0 && l <= TOMBSTONE) l = 2;
  return [h, l];
}
