// The paredão's rules; its shape is in contract.ts.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { paredaoSchema, slugify, type ParedaoInput, type Paredao } from '@paredao/contract';

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
