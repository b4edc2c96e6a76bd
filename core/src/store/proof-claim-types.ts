/**
 * One claim per anti-bot proof across api hosts (PROOF_CLAIMS=store, docs/ANTIBOT.md): the store's
 * unique key on the proof's id decides which host's copy is the vote. Within a host the cluster primary
 * has already decided between its workers, so the holder is the host, not the worker: a copy that
 * nginx retries on another worker of the same host after a worker died finds its own host's claim.
 */
export interface ProofClaim {
  /** The proof's id (the vote id it becomes). */
  id: string;
  /** The claiming host's id, random per start of its api (ArbiterClient.holder / ReplayGuard). */
  holder: string;
  /** Epoch ms after which the proof has expired, so the claim no longer matters and may be dropped. */
  until: number;
}

export interface ProofClaimStore {
  /**
   * Takes the proof for `holder` unless another holder has it: true when the claim is `holder`'s (new,
   * or taken by it before), false when another host's. Claims of one turn share one write.
   */
  claimProof(claim: ProofClaim): Promise<boolean>;
}
