/**
 * The paredão's size limits, in a module without imports: the contract's schemas (contract.ts) enforce
 * them and the admin page checks a draft against these very numbers before sending it.
 */
export const PAREDAO_LIMITS = { minCandidates: 2, maxCandidates: 4, maxTitle: 120, maxName: 80 } as const;
