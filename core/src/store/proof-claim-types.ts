/**
 * One use per anti-bot proof across api hosts (PROOF_CLAIMS=store, docs/decisions/0006-proof-claims-in-store.md): the store's unique
 * key on the proof's id decides what the proof was spent on. Within a host the cluster primary has
 * already let one copy through; across hosts a copy spent on the same thing (the same vote sent again,
 * e.g. nginx's retry on another replica after one died) is the same vote, which the consumer counts
 * once by its id, and a copy spent on anything else (another candidate) is refused.
 */
export interface ProofClaim {
  /** The proof's id (the vote id it becomes). */
  id: string;
  /** What it is spent on: the candidate voted for, or a sign-up's request id. */
  spentOn: string;
  /** Epoch ms after which the proof has expired, so the claim no longer matters and may be dropped. */
  until: number;
}

export interface ProofClaimStore {
  /**
   * Claims the proof for `spentOn` unless it was spent on something else: true when the claim is new or
   * names the same use, false when it names another. Claims of one turn share one write.
   */
  claimProof(claim: ProofClaim): Promise<boolean>;
}
