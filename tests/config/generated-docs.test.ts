import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_DOCS, regenerate, ROOT, sectionsOf } from '@paredao/testkit/docs';

// Every figure in README, BENCHMARKS.md, RELIABILITY.md and SCALING.md is generated from a committed raw output:
// the section names its source, and regenerating it from that file must give the page as it is.

const text = (doc: string) => readFileSync(join(ROOT, doc), 'utf8');

describe('generated sections of the docs', () => {
  it.each(GENERATED_DOCS)('%s is exactly what its sources give (npm run gen:docs)', (doc) => {
    const now = text(doc);
    expect(regenerate(now)).toBe(now);
  });

  it.each([
    ['README.md', 'bench-headline'],
    ['docs/BENCHMARKS.md', 'bench-run'],
    ['docs/RELIABILITY.md', 'faults'],
    ['docs/SCALING.md', 'capacity'],
    ['docs/BENCHMARKS.md', 'phone'],
    ['docs/ANTIBOT.md', 'phone-difficulty'],
    ['docs/BENCHMARKS.md', 'overload'],
    ['docs/BENCHMARKS.md', 'unico'],
  ])('%s has its %s section', (doc, kind) => {
    expect(sectionsOf(text(doc)).map(([k]) => k)).toContain(kind);
  });

  it('every source a section names is a file committed to the repository', () => {
    const sources = GENERATED_DOCS.flatMap((doc) => sectionsOf(text(doc)).flatMap(([, s]) => s));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      const tracked = spawnSync('git', ['-C', ROOT, 'ls-files', '--error-unmatch', source], { encoding: 'utf8' });
      expect(tracked.status, `${source} is not committed (git add it)`).toBe(0);
    }
  });

  it('when a source file says something else, then the regenerated section differs', () => {
    const doc = text('docs/BENCHMARKS.md');
    const [, [source]] = sectionsOf(doc).find(([k]) => k === 'bench-run')! as [string, [string]];
    const changed = doc.replace(/\| 1000 \| 1000 \|/, '| 1000 | 999 |');
    expect(changed).not.toBe(doc);
    expect(regenerate(changed)).toBe(doc);
    expect(source).toMatch(/^bench\/results\/.+\.json$/);
  });

  it('when a figure of the capacity plan is edited by hand, then regenerating restores it from its two sources', () => {
    const doc = text('docs/SCALING.md');
    const [, sources] = sectionsOf(doc).find(([k]) => k === 'capacity')!;
    expect(sources.some((s) => /^bench\/results\/quorum-.+\.json$/.test(s))).toBe(true);
    expect(sources.some((s) => /^bench\/results\/[^/]+\.json$/.test(s) && !s.includes('quorum-'))).toBe(true);
    const changed = doc.replace(/(\| nginx \| )\d+/, '$1999999');
    expect(changed).not.toBe(doc);
    expect(regenerate(changed)).toBe(doc);
  });

  it('when a new bench run or quorum run is given, then the capacity section names it in place of the old file of its kind only', () => {
    const doc = text('docs/SCALING.md');
    const [, [first, second]] = sectionsOf(doc).find(([k]) => k === 'capacity')! as [string, [string, string]];
    const quorum = [first, second].find((s) => s.includes('quorum-'))!;
    const bench = [first, second].find((s) => !s.includes('quorum-'))!;
    // Same files under other names would not exist, so only the marker is compared: point at the same files.
    const again = regenerate(doc, { bench, quorum });
    expect(sectionsOf(again).find(([k]) => k === 'capacity')![1]).toEqual([first, second]);
    expect(() => regenerate(doc, { quorum: 'bench/results/quorum-missing.json' })).toThrow(/quorum-missing/);
    expect(() => regenerate(doc, { bench: 'bench/results/missing.json' })).toThrow(/missing\.json/);
  });
});
