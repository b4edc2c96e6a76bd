import { resolve } from 'node:path';
import { openMongoStore } from './mongodb.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export type { Store, ApplyOutcome, Recount } from './types.js';
export { LowWatermark, watermarkSlackMs, type PruneOutcome } from './watermark.js';
export { decodeIds } from './archive.js';
export type { ClaimResult, UnicoClaim, UnicoStore } from './unico-types.js';
export type { ProofClaim, ProofClaimStore } from './proof-claim-types.js';
export type { VoterAccount, VoterCredential, VoterSession, VoterStore, WebauthnCeremony } from './voter-types.js';

/** `sqlite:<path>` (relative to `cwd`) or `mongodb://…` / `mongodb+srv://…` (README, Configuration). */
export async function openStore(url: string, cwd = process.cwd()): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    return openSqliteStore(path === ':memory:' ? path : resolve(cwd, path));
  }
  if (url.startsWith('mongodb://') || url.startsWith('mongodb+srv://')) return openMongoStore(url);
  throw new Error(`STORE_URL must start with sqlite: or mongodb:// (got ${url.split(':')[0]}:)`);
}
