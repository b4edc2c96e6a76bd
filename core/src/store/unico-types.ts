/**
 * Voto Único's claims (docs/decisions/0005-voto-unico.md): one row per person per paredão, taken
 * synchronously by the api before it answers, and the vote's outbox until the consumer counts it.
 */
export interface UnicoClaim {
  paredaoId: string;
  /** The voter account's random id (never the CPF); a random value once the account is deleted. */
  voterKey: string;
  voteId: string;
  candidateId: string;
  /** When the api accepted the vote (epoch ms): the vote's acceptedAt, and the sweeper's clock. */
  acceptedAt: number;
}

export type ClaimResult =
  | { ok: true }
  /** This person already has a Único vote in this paredão: the claim that won. */
  | { ok: false; existing: { candidateId: string; voteId: string } }
  /** The account is gone (deleted between its session check and the claim). */
  | { ok: false; existing: null };

export interface UnicoStore {
  /**
   * Claims the person's one Único vote in the paredão; the unique key (paredaoId, voterKey) decides, so of
   * two concurrent claims one wins. A person whose deleted account (same CPF's HMAC) voted in this
   * paredão while it was open is refused too, with that vote.
   */
  claimUnico(claim: UnicoClaim): Promise<ClaimResult>;
  /** Claims accepted at or before `olderThan` and not counted yet, oldest first: the sweeper's work. */
  uncountedClaims(olderThan: number, limit: number): Promise<UnicoClaim[]>;
  /** Drops the CPF tombstones of deleted accounts whose paredão has closed by `now`; returns how many went. */
  dropSettledTombstones(now: number): Promise<number>;
}

/** Whose claim a Único vote of a batch is: the claim row is found by (paredaoId, voteId). */
export type ClaimRef = Pick<UnicoClaim, 'paredaoId' | 'voteId'>;
