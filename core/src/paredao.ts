import { readFileSync } from 'node:fs';
import { z } from 'zod';

const candidateSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
  name: z.string().min(1).max(80),
  imageUrl: z.string().min(1).optional(),
});

export const paredaoSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  title: z.string().min(1).max(120),
  status: z.enum(['open', 'closed']),
  candidates: z
    .array(candidateSchema)
    .min(2)
    .max(4)
    .refine((cs) => new Set(cs.map((c) => c.id)).size === cs.length, 'candidate ids must be unique'),
  opensAt: z.string().datetime().optional(),
  closesAt: z.string().datetime().optional(),
});
export type Paredao = z.infer<typeof paredaoSchema>;
export type Candidate = z.infer<typeof candidateSchema>;

/** Reads the current paredão from its config file (administration arrives with issue 9). */
export function loadParedao(path: string): Paredao {
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
