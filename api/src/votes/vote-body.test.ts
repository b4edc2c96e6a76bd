import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { voteBody } from './vote-body.js';

const KEYS = new Set(['candidateId', 'altcha', 'website']);

/** An independent statement of what a well-formed vote body is, to check the schema against. */
function wellFormed(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (!Object.keys(o).every((k) => KEYS.has(k))) return false;
  const { candidateId, altcha, website } = o;
  if (typeof candidateId !== 'string' || candidateId.length < 1 || candidateId.length > 64) return false;
  if (altcha !== undefined && (typeof altcha !== 'string' || altcha.length > 4096)) return false;
  if (website !== undefined && (typeof website !== 'string' || website.length > 256)) return false;
  return true;
}

/** Objects that look like votes, with each field sometimes the wrong type, too long or extra. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ arbitrary: good, weight: 5 }, { arbitrary: bad, weight: 1 });
/** Present in about one case out of `of`. */
const rarely = <T>(arb: fc.Arbitrary<T>, of: number) => fc.oneof({ arbitrary: fc.constant(null), weight: of - 1 }, { arbitrary: arb, weight: 1 });
const nearVote = fc
  .record({
    candidateId: fc.option(mostly(fc.string({ minLength: 1, maxLength: 64 }), fc.oneof(fc.string({ maxLength: 70 }), fc.jsonValue({ maxDepth: 2 }))), { freq: 8 }),
    altcha: fc.option(mostly(fc.string({ maxLength: 40 }), fc.oneof(fc.string({ minLength: 4090, maxLength: 4100 }), fc.jsonValue({ maxDepth: 2 }))), { freq: 3 }),
    website: rarely(mostly(fc.string({ maxLength: 256 }), fc.oneof(fc.string({ minLength: 250, maxLength: 260 }), fc.integer())), 4),
    extra: rarely(fc.jsonValue({ maxDepth: 1 }), 5),
  })
  // null stands for "absent"; drop those keys so that absence is tested, not null.
  .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as Record<string, unknown>);

// Property tests run as part of the unit layer, so they are kept to a few hundred runs each.
describe('the vote body schema', () => {
  it('when given any JSON value, then it accepts exactly the well-formed bodies and never throws', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const r = voteBody.safeParse(value);
        expect(r.success).toBe(wellFormed(value));
      }),
      { numRuns: 500 },
    );
  });

  it('when given objects that are almost votes, then the verdict matches the definition', () => {
    const verdicts = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(nearVote, (value) => {
        const r = voteBody.safeParse(value);
        expect(r.success).toBe(wellFormed(value));
        if (!r.success) expect(r.error.issues.length).toBeGreaterThan(0);
        verdicts[r.success ? 'accepted' : 'rejected']++;
      }),
      { numRuns: 500 },
    );
    // The generator must exercise both sides, or the property says little.
    expect(verdicts.accepted).toBeGreaterThan(50);
    expect(verdicts.rejected).toBeGreaterThan(50);
  });

  it('when a body is parsed from any JSON text, then parsing never throws and keeps only known keys', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 3 }), (text) => {
        const r = voteBody.safeParse(JSON.parse(text));
        if (r.success) expect(Object.keys(r.data).every((k) => KEYS.has(k))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('when a vote has the shape the page sends, then it is accepted', () => {
    expect(voteBody.safeParse({ candidateId: 'participante-1', altcha: 'eyJ9' }).success).toBe(true);
    expect(voteBody.safeParse({ candidateId: 'participante-1', altcha: 'x', extra: 1 }).success).toBe(false);
    expect(voteBody.safeParse({ candidateId: '' }).success).toBe(false);
    expect(voteBody.safeParse(['participante-1']).success).toBe(false);
  });
});
