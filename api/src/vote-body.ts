import { z } from 'zod';

/**
 * The body of POST /api/votes. Strict: an unknown key is a malformed vote, not something to ignore,
 * so a client bug shows up as a 400 instead of a silently dropped field. Whether the candidate exists
 * and whether the proof is valid are checked after this, by the route.
 */
export const voteBody = z
  .object({
    candidateId: z.string().min(1).max(64),
    altcha: z.string().max(4096).optional(),
    /** Honeypot: hidden from people, filled in by naive bots. */
    website: z.string().max(256).optional(),
  })
  .strict();

export type VoteBody = z.infer<typeof voteBody>;
