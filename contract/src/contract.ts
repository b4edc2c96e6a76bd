// The HTTP contract, written once: the api validates requests with these schemas and builds its
// answers to these types, api/src/platform/openapi.ts generates the OpenAPI document served at
// /api/docs from them, and the web pages import the types.
import { z } from 'zod';
import { isAllowedImageUrl } from './image-url.js';
import { PAREDAO_LIMITS as L } from './limits.js';
import { slugify } from './slug.js';

const slug = /^[a-z0-9][a-z0-9-]{0,62}$/;
const isoDate = z.string().datetime({ offset: true });
const count = z.number().int().min(0);
const countsById = z.record(z.string(), count);

export const candidateSchema = z.object({
  id: z.string().regex(slug, 'lowercase letters, digits and dashes'),
  name: z.string().trim().min(1).max(L.maxName),
  imageUrl: z.string().min(1).max(2048).optional(),
});
export type Candidate = z.infer<typeof candidateSchema>;

/** `draft` paredões are being prepared by the production team and take no votes yet. */
export const paredaoStatus = z.enum(['draft', 'open', 'closed']);
export type ParedaoStatus = z.infer<typeof paredaoStatus>;

const uniqueIds = (cs: { id: string }[]) => new Set(cs.map((c) => c.id)).size === cs.length;

/**
 * The two ways to vote since BBB24: `torcida` (anyone, as often as they like, a proof of work per
 * vote) and `unico` (one vote per person per paredão, from a signed-in voter account).
 */
export const VOTE_MODES = ['torcida', 'unico'] as const;
export const voteModeSchema = z.enum(VOTE_MODES);
export type VoteMode = z.infer<typeof voteModeSchema>;

const percentWeight = z.number().int().min(0).max(100);

/**
 * A paredão's voting rules, set by the production team while it is a draft and fixed once it opens.
 * `weights` are the modes' shares of the final result in percent (they add up to 100); they matter only
 * when both modes are on. `showPartials: false` hides per-participant numbers from voters while voting
 * is open (totals only); the panel always shows everything.
 */
export const votingSchema = z
  .object({
    modes: z
      .array(voteModeSchema)
      .min(1, 'ao menos um modo de votação')
      .refine((ms) => new Set(ms).size === ms.length, 'modos repetidos'),
    weights: z.object({ unico: percentWeight, torcida: percentWeight }).strict().refine((w) => w.unico + w.torcida === 100, 'os pesos devem somar 100'),
    showPartials: z.boolean(),
  })
  .strict();
export type Voting = z.infer<typeof votingSchema>;

/** The rules of a paredão stored without any (every paredão from before the modes): Torcida only, as the brief's vote. */
export const DEFAULT_VOTING: Voting = Object.freeze({ modes: ['torcida'], weights: { unico: 50, torcida: 50 }, showPartials: true }) as Voting;

/** One change of a paredão's voting rules, kept with it: who set what, and when. */
export const votingChangeSchema = z.object({ at: isoDate, by: z.string(), voting: votingSchema });
export type VotingChange = z.infer<typeof votingChangeSchema>;

/** A paredão as stored and served. Times are ISO-8601 UTC. */
export const paredaoSchema = z.object({
  id: z.string().regex(slug),
  title: z.string().trim().min(1).max(L.maxTitle),
  status: paredaoStatus,
  candidates: z.array(candidateSchema).min(L.minCandidates).max(L.maxCandidates).refine(uniqueIds, 'candidate ids must be unique'),
  /** Scheduled opening and closing, if any. */
  opensAt: isoDate.optional(),
  closesAt: isoDate.optional(),
  /** When voting really opened and when it closes or closed: votes count only if accepted in between. */
  openedAt: isoDate.optional(),
  closedAt: isoDate.optional(),
  createdAt: isoDate.optional(),
  /** The voting rules; absent means DEFAULT_VOTING (read it with votingOf). */
  voting: votingSchema.optional(),
  /** Every change of `voting`, oldest first (the admin audit); never served to voters. */
  votingChanges: z.array(votingChangeSchema).optional(),
});
export type Paredao = z.infer<typeof paredaoSchema>;

/** A paredão's voting rules, the default for one stored without them; modes in canonical order. */
export function votingOf(p: Pick<Paredao, 'voting'>): Voting {
  const v = p.voting ?? DEFAULT_VOTING;
  return { ...v, modes: VOTE_MODES.filter((m) => v.modes.includes(m)) };
}

/** Whether a mode is on for this paredão. */
export function modeOn(p: Pick<Paredao, 'voting'>, mode: VoteMode): boolean {
  return (p.voting ?? DEFAULT_VOTING).modes.includes(mode);
}

/** The paredão as voters see it (GET /api/paredao, the stream): its rules filled in, without the admin audit. */
export function publicParedao(p: Paredao): Paredao {
  const { votingChanges: _audit, ...rest } = p;
  return { ...rest, voting: votingOf(p) };
}

export { isAllowedImageUrl };

/** A candidate's photo in what the production team sends: see isAllowedImageUrl. */
const imageUrlInput = z
  .string()
  .trim()
  .max(2048)
  // Empty: no photo (the admin page sends the field empty when none was chosen).
  .refine((url) => url === '' || isAllowedImageUrl(url), 'use uma imagem enviada aqui (/api/images/…) ou um endereço https://')
  .describe('An image uploaded here (/api/images/{id}) or an https: URL; empty for none');

/** What the production team sends to create or edit a draft. */
export const paredaoInputSchema = z
  .object({
    title: z.string().trim().min(1).max(L.maxTitle),
    candidates: z
      .array(z.object({ name: z.string().trim().min(1).max(L.maxName), imageUrl: imageUrlInput.optional() }).strict())
      .min(L.minCandidates, `de ${L.minCandidates} a ${L.maxCandidates} participantes`)
      .max(L.maxCandidates, `de ${L.minCandidates} a ${L.maxCandidates} participantes`),
    opensAt: isoDate.optional(),
    closesAt: isoDate.optional(),
  })
  .strict()
  .refine((p) => new Set(p.candidates.map((c) => slugify(c.name))).size === p.candidates.length, 'nomes de participantes repetidos')
  .refine((p) => !p.opensAt || !p.closesAt || Date.parse(p.opensAt) < Date.parse(p.closesAt), 'o fechamento deve ser depois da abertura');
export type ParedaoInput = z.infer<typeof paredaoInputSchema>;

/**
 * The body of POST /api/votes. Strict: an unknown key is a malformed vote, not something to ignore,
 * so a client bug shows up as a 400 instead of a silently dropped field. Whether the candidate exists
 * and whether the proof is valid are checked after this, by the route. `altcha` is optional here
 * because its absence is answered 403 `antibot_missing`, not 400.
 */
export const voteRequestSchema = z
  .object({
    candidateId: z.string().min(1).max(64),
    altcha: z.string().max(4096).optional().describe('The ALTCHA widget payload (base64 JSON of challenge and solution)'),
    website: z.string().max(256).optional().describe('Honeypot, hidden from people: must be empty'),
  })
  .strict();
export type VoteRequest = z.infer<typeof voteRequestSchema>;

/** An ALTCHA v2 challenge (altcha-lib 2.x format, SHA-256, deterministic mode), signed; the widget or altcha-lib solves it. */
export const challengeSchema = z.object({
  parameters: z.object({
    algorithm: z.string(),
    cost: z.number(),
    expiresAt: z.number().int(),
    keyLength: z.number().int(),
    keyPrefix: z.string(),
    keySignature: z.string(),
    nonce: z.string(),
    salt: z.string(),
  }),
  signature: z.string(),
});

/** The 202: the vote's id, and a fresh challenge for the voter's next vote (no GET /api/challenge needed). */
export const voteAcceptedSchema = z.object({ voteId: z.string(), challenge: challengeSchema });
export type VoteAccepted = z.infer<typeof voteAcceptedSchema>;

const candidateResultSchema = z.object({ id: z.string(), name: z.string(), votes: count, percent: z.number().min(0).max(100) });
const hourResultSchema = z.object({ hour: isoDate, total: count, byCandidate: countsById });

/** One mode's count: its total, per participant (percentages of this mode alone) and per UTC hour. */
export const modeResultsSchema = z.object({
  total: count,
  candidates: z.array(candidateResultSchema),
  hourly: z.array(hourResultSchema),
});
export type ModeResults = z.infer<typeof modeResultsSchema>;

const modeWeights = z.object({ unico: percentWeight, torcida: percentWeight });

/**
 * Totals overall, per participant and per UTC hour; percentages add up to exactly 100. With one mode
 * on (Torcida only, the default) every top-level field means what it always did. With both on, `votes`
 * and `total` count both modes together and `percent` is the weighted final percentage:
 * Σ weight × the mode's percentage, over the modes that have votes (a mode without votes yet takes no
 * part: its weight goes to the other), rounded so the shares still add up to exactly 100.
 */
export const resultsSchema = z.object({
  paredaoId: z.string(),
  total: count,
  candidates: z.array(candidateResultSchema),
  hourly: z.array(hourResultSchema),
  updatedAt: isoDate,
  /** Always false here: this is the full view. */
  partialsHidden: z.literal(false),
  /** Per mode, only the modes that are on. */
  modes: z.object({ torcida: modeResultsSchema.optional(), unico: modeResultsSchema.optional() }),
  /** The weights the paredão sets, and those `percent` used (a mode off or without votes gets 0, the other 100). */
  weights: modeWeights,
  weightsUsed: modeWeights,
});
export type Results = z.infer<typeof resultsSchema>;

/**
 * What voters get while voting is open on a paredão that hides partials: totals only, with no
 * per-participant vote or percentage anywhere (hourly rows included).
 */
const hiddenHourSchema = z.object({ hour: isoDate, total: count }).strict();
const hiddenModeSchema = z.object({ total: count, hourly: z.array(hiddenHourSchema) }).strict();
/** Strict all through: a per-participant number anywhere in it is not this schema. */
export const hiddenResultsSchema = z
  .object({
    paredaoId: z.string(),
    total: count,
    candidates: z.array(z.object({ id: z.string(), name: z.string() }).strict()),
    hourly: z.array(hiddenHourSchema),
    updatedAt: isoDate,
    partialsHidden: z.literal(true),
    modes: z.object({ torcida: hiddenModeSchema.optional(), unico: hiddenModeSchema.optional() }).strict(),
    weights: modeWeights,
  })
  .strict();
export type HiddenResults = z.infer<typeof hiddenResultsSchema>;

/** GET /api/results and its stream: the full results, or totals only while partials are hidden. */
export const publicResultsSchema = z.discriminatedUnion('partialsHidden', [resultsSchema, hiddenResultsSchema]);
export type PublicResults = z.infer<typeof publicResultsSchema>;

/** Every error answer: `code` is stable (clients branch on it), `message` is for people. */
export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ErrorBody = z.infer<typeof errorSchema>;

/** Every 403 `antibot_*` of POST /api/votes: the error, and a fresh challenge to solve instead. */
export const antibotRefusalSchema = errorSchema.extend({ challenge: challengeSchema });

export const healthSchema = z.object({ status: z.literal('ok') });
export const readinessSchema = z.object({ status: z.enum(['ready', 'not ready']), reasons: z.array(z.string()).optional() });

// --- The production team's API (/api/admin) ----------------------------------------------------------

export const loginRequestSchema = z.object({ username: z.string(), password: z.string() });
export const sessionSchema = z.object({ username: z.string(), expiresAt: isoDate });
export type Session = z.infer<typeof sessionSchema>;
/** The anti-bot difficulty the operator sets at run time (PUT /api/admin/antibot): thousands of hashes per vote. */
export const antibotSettingSchema = z.object({ difficulty: z.number().int().min(1).max(100_000) }).strict();

/** A paredão's results as the admin API sends them: with its status and when voting closed. */
export const adminResultsSchema = resultsSchema.extend({ status: paredaoStatus, closedAt: isoDate.nullable() });
export type AdminResults = z.infer<typeof adminResultsSchema>;

const auditCountsSchema = z.object({ tally: countsById, recomputed: countsById, hourlyTotal: count, total: count });

/** The stored vote records recounted and compared with the tallies: both modes together, and each mode. */
export const auditSchema = auditCountsSchema.extend({
  matches: z.boolean(),
  modes: z.object({ torcida: auditCountsSchema, unico: auditCountsSchema }),
});
export type Audit = z.infer<typeof auditSchema>;

export const exportSchema = z.object({ paredao: paredaoSchema, results: resultsSchema });
export const imageUploadedSchema = z.object({ imageUrl: z.string().describe('Where the image is served: /api/images/{id}') });
