import { VOTE_MODES, voteModeSchema, type VoteMode } from '@paredao/contract';
import { z } from 'zod';

/** The last instant a JavaScript Date can hold (ECMA-262: 10^8 days after the epoch). */
const MAX_DATE_MS = 8.64e15;

/** One vote as it travels on the queue from api to consumer (docs/ARCHITECTURE.md). */
export const voteMessageSchema = z.object({
  v: z.literal(1),
  voteId: z.string().min(8).max(128),
  paredaoId: z.string().min(1).max(64),
  candidateId: z.string().min(1).max(64),
  // At most the last instant a Date can hold: the hour bucket of a later one throws, and the store's
  // write with it, so one such entry would fail its whole batch on every retry and stall the queue.
  acceptedAt: z.number().int().positive().max(MAX_DATE_MS),
  reqId: z.string().max(128).optional(),
  // Absent in messages from api processes older than the modes (a rolling deploy): those are Torcida.
  mode: voteModeSchema.optional(),
});
export type VoteMessage = z.infer<typeof voteMessageSchema>;

/** The mode a vote was cast in: a message without one is Torcida. */
export function modeOf(v: Pick<VoteMessage, 'mode'>): VoteMode {
  return v.mode ?? 'torcida';
}

/** A vote inside a batch message: the single-vote message without its version field. */
const batchedVoteSchema = voteMessageSchema.omit({ v: true });

/**
 * What a queue message holds, either format: `votes` are the valid ones, `rejected` the entries of a
 * batch that are not votes (each on its own: one bad entry never holds back the others). A message that
 * is neither format at all is poison (`ok: false`) and goes to the dead-letter queue whole.
 */
export type DecodeResult =
  | { ok: true; votes: VoteMessage[]; rejected: { index: number; reason: string }[] }
  | { ok: false; reason: string };

/**
 * Parses a queue message body. Two formats live in the queue during a rolling deploy: the single vote
 * (`{ v: 1, voteId, … }`, from older api processes) and the batch (`{ v: 2, votes: [{ voteId, … }] }`,
 * the votes one api process accepted while its previous publish awaited a confirm).
 */
export function decodeMessage(body: Buffer): DecodeResult {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (json !== null && typeof json === 'object' && (json as { v?: unknown }).v === 2) {
    const list = (json as { votes?: unknown }).votes;
    if (!Array.isArray(list) || list.length === 0) return { ok: false, reason: 'batch without votes' };
    const votes: VoteMessage[] = [];
    const rejected: { index: number; reason: string }[] = [];
    for (let i = 0; i < list.length; i++) {
      const plain = plainEntry(list[i]);
      if (plain) {
        votes.push(plain);
        continue;
      }
      const parsed = batchedVoteSchema.safeParse(list[i]);
      if (parsed.success) votes.push({ v: 1, ...parsed.data });
      else rejected.push({ index: i, reason: issueText(parsed.error) });
    }
    return { ok: true, votes, rejected };
  }
  const parsed = voteMessageSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: issueText(parsed.error) };
  return { ok: true, votes: [parsed.data], rejected: [] };
}

const isText = (x: unknown, min: number, max: number): x is string => typeof x === 'string' && x.length >= min && x.length <= max;

/**
 * A batch entry that plainly satisfies `batchedVoteSchema`, checked by hand, else null and the schema
 * decides (with its reason). The schema's checks cost as much as the rest of the consumer's decode, and
 * nearly every entry is plain. Accepts nothing the schema refuses (vote.test.ts holds the two together).
 */
function plainEntry(entry: unknown): VoteMessage | null {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return null;
  const { voteId, paredaoId, candidateId, acceptedAt, reqId, mode } = entry as Record<string, unknown>;
  if (!isText(voteId, 8, 128) || !isText(paredaoId, 1, 64) || !isText(candidateId, 1, 64)) return null;
  if (typeof acceptedAt !== 'number' || !Number.isSafeInteger(acceptedAt) || acceptedAt <= 0 || acceptedAt > MAX_DATE_MS) return null;
  if (reqId !== undefined && !isText(reqId, 0, 128)) return null;
  if (mode !== undefined && !(VOTE_MODES as readonly unknown[]).includes(mode)) return null;
  const vote: VoteMessage = { v: 1, voteId, paredaoId, candidateId, acceptedAt };
  if (reqId !== undefined) vote.reqId = reqId;
  if (mode !== undefined) vote.mode = mode as VoteMode;
  return vote;
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid';
}

/** The single-vote format (v1): still read by the consumer; tests and older api processes write it. */
export function encodeVote(vote: VoteMessage): Buffer {
  return Buffer.from(JSON.stringify(vote));
}

/** One vote as a batch entry, serialised once when accepted (the publisher joins entries as they are). */
export function encodeBatchEntry(vote: Omit<VoteMessage, 'v'>): string {
  return JSON.stringify({ voteId: vote.voteId, paredaoId: vote.paredaoId, candidateId: vote.candidateId, acceptedAt: vote.acceptedAt, reqId: vote.reqId, mode: vote.mode });
}

/** The batch format (v2) from entries made by `encodeBatchEntry`. */
export function encodeBatch(entries: readonly string[]): Buffer {
  return Buffer.from(`{"v":2,"votes":[${entries.join(',')}]}`);
}

/** The last hour formatted: a batch's votes nearly all fall in one hour, and formatting is the cost. */
let lastHour = { start: NaN, text: '' };

/** Start of the UTC hour containing `ms`, as ISO-8601 (`2026-11-23T14:00:00.000Z`). */
export function hourBucket(ms: number): string {
  const start = ms - (ms % 3_600_000);
  if (start !== lastHour.start) lastHour = { start, text: new Date(start).toISOString() };
  return lastHour.text;
}
