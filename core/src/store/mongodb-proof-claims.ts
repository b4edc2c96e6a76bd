import { MongoBulkWriteError, type Db } from 'mongodb';
import type { ProofClaim, ProofClaimStore } from './proof-claim-types.js';
import { groupPerTurn } from './turn-group.js';

/** `_id` is the proof's id: the unique key that decides. `until` carries a TTL index. */
interface ProofClaimDoc {
  _id: string;
  spentOn: string;
  until: Date;
}

/**
 * The proof claims of the MongoDB store: the claims of one turn are one unordered insertMany with
 * majority write concern (a claim a failover could roll back would let a second host take the proof);
 * a duplicate key names a proof claimed already, whose use is then read. MongoDB's TTL monitor drops
 * claims whose proof has expired (it runs about once a minute; an expired proof is refused anyway).
 */
export async function mongoProofClaims(db: Db): Promise<ProofClaimStore> {
  const claims = db.collection<ProofClaimDoc>('proof_claims');
  await claims.createIndex({ until: 1 }, { expireAfterSeconds: 0, name: 'expired_proofs' });

  const claimAll = async (batch: ProofClaim[]): Promise<boolean[]> => {
    const docs = batch.map((c) => ({ _id: c.id, spentOn: c.spentOn, until: new Date(c.until) }));
    const held = new Set<number>();
    try {
      await claims.insertMany(docs, { ordered: false, writeConcern: { w: 'majority' } });
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError)) throw err;
      const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      // Only duplicate keys are answers; any other error (a write concern not met included) fails the group.
      if (errors.length === 0 || errors.some((e) => e.code !== 11000) || err.result.getWriteConcernError()) throw err;
      for (const e of errors) held.add(e.index);
    }
    if (held.size === 0) return batch.map(() => true);
    const ids = [...held].map((i) => batch[i]!.id);
    const uses = new Map((await claims.find({ _id: { $in: ids } }, { projection: { spentOn: 1 } }).toArray()).map((d) => [d._id, d.spentOn]));
    // A claim gone between the insert and the read was dropped as expired: its proof has expired, so
    // refusing it changes nothing.
    return batch.map((c, i) => !held.has(i) || uses.get(c.id) === c.spentOn);
  };
  return { claimProof: groupPerTurn(claimAll) };
}
