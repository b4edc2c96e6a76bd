// The vote body's schema is part of the one HTTP contract (core/src/contract.ts); the api validates with it.
export { voteRequestSchema as voteBody, type VoteRequest as VoteBody } from '@paredao/core';
