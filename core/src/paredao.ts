import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const slug = /^[a-z0-9][a-z0-9-]{0,62}$/;
const isoDate = z.string().datetime({ offset: true });

const candidateSchema = z.object({
  id: z.string().regex(slug, 'lowercase letters, digits and dashes'),
  name: z.string().trim().min(1).max(80),
  imageUrl: z.string().min(1).max(2048).optional(),
});

export const paredaoStatus = z.enum(['draft', 'open', 'closed']);
export type ParedaoStatus = z.infer<typeof paredaoStatus>;

const uniqueIds = (cs: { id: string }[]) => new Set(cs.map((c) => c.id)).size === cs.length;

/** A paredão as stored and served (SPEC, HTTP contract; issue 9). Times are ISO-8601 UTC. */
export const paredaoSchema = z.object({
  id: z.string().regex(slug),
  title: z.string().trim().min(1).max(120),
  status: paredaoStatus,
  candidates: z.array(candidateSchema).min(2).max(4).refine(uniqueIds, 'candidate ids must be unique'),
  /** Scheduled opening and closing, if any. */
  opensAt: isoDate.optional(),
  closesAt: isoDate.optional(),
  /** When voting really opened and when it closes or closed: votes count only if accepted in between. */
  openedAt: isoDate.optional(),
  closedAt: isoDate.optional(),
  createdAt: isoDate.optional(),
});
export type Paredao = z.infer<typeof paredaoSchema>;
export type Candidate = z.infer<typeof candidateSchema>;

/** What the production team sends to create or edit a draft. */
export const paredaoInputSchema = z
  .object({
    title: z.string().trim().min(1).max(120),
    candidates: z
      .array(z.object({ name: z.string().trim().min(1).max(80), imageUrl: z.string().trim().max(2048).optional() }).strict())
      .min(2, 'de 2 a 4 participantes')
      .max(4, 'de 2 a 4 participantes'),
    opensAt: isoDate.optional(),
    closesAt: isoDate.optional(),
  })
  .strict()
  .refine((p) => new Set(p.candidates.map((c) => slugify(c.name))).size === p.candidates.length, 'nomes de participantes repetidos')
  .refine((p) => !p.opensAt || !p.closesAt || Date.parse(p.opensAt) < Date.parse(p.closesAt), 'o fechamento deve ser depois da abertura');
export type ParedaoInput = z.infer<typeof paredaoInputSchema>;

export function slugify(text: string): string {
  const s = text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return s || 'participante';
}

/** A new draft from the team's input: ids derived from the names, plus a random suffix for the paredão. */
export function draftFromInput(input: ParedaoInput, now: Date, id = `${slugify(input.title).slice(0, 40)}-${randomBytes(3).toString('hex')}`): Paredao {
  return {
    id,
    title: input.title,
    status: 'draft',
    candidates: input.candidates.map((c) => ({ id: slugify(c.name), name: c.name, ...(c.imageUrl ? { imageUrl: c.imageUrl } : {}) })),
    ...(input.opensAt ? { opensAt: new Date(input.opensAt).toISOString() } : {}),
    ...(input.closesAt ? { closesAt: new Date(input.closesAt).toISOString() } : {}),
    createdAt: now.toISOString(),
  };
}

/**
 * Whether a vote accepted at `t` (epoch ms) counts for this paredão: after it opened and before it
 * closed (or its scheduled closing). The api refuses votes outside this window with 409, and the
 * consumer applies the same rule to queued votes, inside the store's atomic write.
 */
export function acceptsVotesAt(p: Pick<Paredao, 'status' | 'openedAt' | 'closedAt' | 'closesAt'>, t: number): boolean {
  if (p.status === 'draft' || !p.openedAt) return false;
  if (t < Date.parse(p.openedAt)) return false;
  if (p.closedAt && t >= Date.parse(p.closedAt)) return false;
  if (p.closesAt && t >= Date.parse(p.closesAt)) return false;
  return true;
}

/** Reads the seed paredão from its config file: the store takes it on first start if it has none. */
export function loadParedaoFile(path: string): Paredao {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read paredão file ${path}: ${(err as Error).message}`);
  }
  const parsed = paredaoSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid paredão file ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
