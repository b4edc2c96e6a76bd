import { z } from 'zod';

/** What travels on the queue from api to consumer (docs/ARCHITECTURE.md). */
export const voteMessageSchema = z.object({
  v: z.literal(1),
  voteId: z.string().min(8).max(128),
  paredaoId: z.string().min(1).max(64),
  candidateId: z.string().min(1).max(64),
  acceptedAt: z.number().int().positive(),
  reqId: z.string().max(128).optional(),
});
export type VoteMessage = z.infer<typeof voteMessageSchema>;

export type DecodeResult = { ok: true; vote: VoteMessage } | { ok: false; reason: string };

/** Parses a queue message body; anything else is poison and goes to the dead-letter queue. */
export function decodeVote(body: Buffer): DecodeResult {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = voteMessageSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues[0]?.message ?? 'invalid' };
  return { ok: true, vote: parsed.data };
}

export function encodeVote(vote: VoteMessage): Buffer {
  return Buffer.from(JSON.stringify(vote));
}

/** Start of the UTC hour containing `ms`, as ISO-8601 (`2026-11-23T14:00:00.000Z`). */
export function hourBucket(ms: number): string {
  return new Date(ms - (ms % 3_600_000)).toISOString();
}
