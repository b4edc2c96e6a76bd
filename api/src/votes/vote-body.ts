// The vote body's schema is part of the one HTTP contract (contract/src/contract.ts); the api validates with it.
export { voteRequestSchema as voteBody, type VoteRequest as VoteBody } from '@paredao/contract';
