import { deflateRawSync, inflateRawSync, constants } from 'node:zlib';
import { hourBucket, modeOf, type VoteMessage } from '../vote.js';
import type { VoteMode } from '@paredao/contract';

/**
 * The archive of counted vote ids (docs/ARCHITECTURE.md, "Bounded storage"): one blob per
 * (paredão, mode, hour of acceptance), written in the same transaction as the tallies, and merged per
 * hour once no vote can enter that hour any more.
 *
 * A blob is raw deflate of, per candidate: its id (length-prefixed UTF-8), how many ids follow (varint),
 * then the ids sorted, each front-coded against the one before (shared prefix length, suffix length,
 * suffix). Ids that are all lowercase hex of even length (the api's: 128 bits of a proof's HMAC) are
 * packed to bytes first, so a random 128-bit id costs its 16 bytes less the prefix sorting shares.
 */

/** The archived ids of one (paredão, mode, hour), per candidate. */
export interface ArchiveKey {
  paredaoId: string;
  mode: VoteMode;
  hour: string;
}

const HEX = /^(?:[0-9a-f]{2})+$/;
const FORMAT_TEXT = 1;
const FORMAT_HEX = 2;

/** Groups counted votes by archive key: `paredão\0mode\0hour` → candidate → ids. */
export function groupForArchive(votes: readonly VoteMessage[]): Map<string, { key: ArchiveKey; byCandidate: Map<string, string[]> }> {
  const out = new Map<string, { key: ArchiveKey; byCandidate: Map<string, string[]> }>();
  for (const v of votes) {
    const mode = modeOf(v);
    const hour = hourBucket(v.acceptedAt);
    const k = `${v.paredaoId}\u0000${mode}\u0000${hour}`;
    let g = out.get(k);
    if (!g) out.set(k, (g = { key: { paredaoId: v.paredaoId, mode, hour }, byCandidate: new Map() }));
    const ids = g.byCandidate.get(v.candidateId);
    if (ids) ids.push(v.voteId);
    else g.byCandidate.set(v.candidateId, [v.voteId]);
  }
  return out;
}

function pushVarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

/** Encodes ids per candidate into one compressed blob. The ids are sorted here. */
export function encodeIds(byCandidate: ReadonlyMap<string, readonly string[]>): Buffer {
  const all = [...byCandidate.values()].flat();
  const hex = all.every((id) => HEX.test(id) && id.length <= 510);
  const parts: Buffer[] = [Buffer.from([hex ? FORMAT_HEX : FORMAT_TEXT])];
  const head: number[] = [];
  for (const [candidate, ids] of [...byCandidate].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const name = Buffer.from(candidate, 'utf8');
    head.length = 0;
    pushVarint(head, name.length);
    parts.push(Buffer.from(head), name);
    head.length = 0;
    pushVarint(head, ids.length);
    parts.push(Buffer.from(head));
    const keys = ids.map((id) => Buffer.from(id, hex ? 'hex' : 'utf8')).sort(Buffer.compare);
    let prev: Buffer = Buffer.alloc(0);
    for (const k of keys) {
      if (k.length > 255) throw new Error(`vote id too long to archive (${k.length} bytes)`);
      let shared = 0;
      const max = Math.min(prev.length, k.length, 255);
      while (shared < max && prev[shared] === k[shared]) shared++;
      parts.push(Buffer.from([shared, k.length - shared]), k.subarray(shared));
      prev = k;
    }
  }
  return deflateRawSync(Buffer.concat(parts), { level: constants.Z_BEST_COMPRESSION, memLevel: 9 });
}

/** The ids of a blob per candidate, or only how many there are (`idsToo` false: the recount). */
export function decodeIds(blob: Buffer, idsToo = true): Map<string, { count: number; ids: string[] }> {
  const buf = inflateRawSync(blob);
  const out = new Map<string, { count: number; ids: string[] }>();
  let at = 0;
  const varint = () => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[at++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 128;
    }
  };
  const format = buf[at++];
  if (format !== FORMAT_HEX && format !== FORMAT_TEXT) throw new Error(`unknown archive blob format ${format}`);
  while (at < buf.length) {
    const nameLen = varint();
    const candidate = buf.toString('utf8', at, at + nameLen);
    at += nameLen;
    const count = varint();
    const ids: string[] = [];
    let prev = Buffer.alloc(0);
    for (let i = 0; i < count; i++) {
      const shared = buf[at]!;
      const rest = buf[at + 1]!;
      at += 2;
      if (idsToo) {
        const k = Buffer.concat([prev.subarray(0, shared), buf.subarray(at, at + rest)]);
        ids.push(k.toString(format === FORMAT_HEX ? 'hex' : 'utf8'));
        prev = k;
      }
      at += rest;
    }
    const seen = out.get(candidate);
    if (seen) {
      seen.count += count;
      seen.ids.push(...ids);
    } else out.set(candidate, { count, ids });
  }
  return out;
}

/** Merges blobs of one key into one (the hourly compaction). */
export function mergeBlobs(blobs: readonly Buffer[]): { blob: Buffer; votes: number } {
  const byCandidate = new Map<string, string[]>();
  let votes = 0;
  for (const b of blobs) {
    for (const [candidate, { ids }] of decodeIds(b)) {
      const list = byCandidate.get(candidate);
      if (list) list.push(...ids);
      else byCandidate.set(candidate, [...ids]);
      votes += ids.length;
    }
  }
  return { blob: encodeIds(byCandidate), votes };
}

/** Adds a blob's per-candidate counts to recount rows (mode, candidate → n). */
export function countInto(rows: Map<string, { mode: VoteMode; candidateId: string; n: number }>, mode: VoteMode, blob: Buffer): void {
  for (const [candidateId, { count }] of decodeIds(blob, false)) {
    const k = `${mode}\u0000${candidateId}`;
    const r = rows.get(k);
    if (r) r.n += count;
    else rows.set(k, { mode, candidateId, n: count });
  }
}
