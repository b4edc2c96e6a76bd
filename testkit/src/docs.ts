/**
 * The generated sections of the docs: every figure they show comes from a committed raw output
 * (bench/results/*.json, faults/results/*.json), named in the section's opening marker:
 *
 *   <!-- generated:bench-run source=bench/results/2026-12-01T18-10.json -->  …  <!-- generated:end -->
 *
 * Kinds: bench-run (a run's tables and targets), bench-headline (README's paragraph), faults (the fault
 * table; several sources, later ones replacing a scenario's row). `npm run gen:docs` rewrites them;
 * tests/config/generated-docs.test.ts fails when one differs from what its sources give.
 *
 *   npm run gen:docs                              regenerate every section from the sources it names
 *   npm run gen:docs -- --bench FILE              point the bench sections at FILE first
 *   npm run gen:docs -- --faults FILE[,FILE…]     point the faults section at these files first
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderFaults, type FaultsOutput } from './fault-report.js';
import { renderHeadline, renderMarkdown, type BenchOutput } from './bench-report.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const GENERATED_DOCS = ['README.md', 'docs/BENCHMARKS.md', 'docs/RELIABILITY.md'];

const SECTION = /<!-- generated:([a-z-]+) source=([^ ]+) -->\n[\s\S]*?<!-- generated:end -->/g;

const read = <T>(source: string): T => JSON.parse(readFileSync(join(ROOT, source), 'utf8')) as T;

function render(kind: string, sources: string[]): string {
  switch (kind) {
    case 'bench-run':
      return renderMarkdown(read<BenchOutput>(sources[0]!));
    case 'bench-headline':
      return renderHeadline(read<BenchOutput>(sources[0]!), sources[0]!);
    case 'faults':
      return renderFaults(sources.map((source) => ({ source, out: read<FaultsOutput>(source) })));
    default:
      throw new Error(`unknown generated section kind: ${kind}`);
  }
}

/** `text` with every generated section rewritten from its sources (optionally pointed at new ones first). */
export function regenerate(text: string, newSources: Partial<Record<'bench' | 'faults', string>> = {}): string {
  return text.replace(SECTION, (_all, kind: string, source: string) => {
    const family = kind.startsWith('bench') ? 'bench' : kind;
    const src = newSources[family as 'bench' | 'faults'] ?? source;
    return `<!-- generated:${kind} source=${src} -->\n${render(kind, src.split(','))}\n<!-- generated:end -->`;
  });
}

/** The generated sections of one document, as [kind, sources] pairs. */
export function sectionsOf(text: string): [string, string[]][] {
  return [...text.matchAll(SECTION)].map((m) => [m[1]!, m[2]!.split(',')]);
}

/** Rewrites the documents that changed; returns their paths. */
export function writeGeneratedDocs(newSources: Partial<Record<'bench' | 'faults', string>> = {}): string[] {
  const changed: string[] = [];
  for (const doc of GENERATED_DOCS) {
    const path = join(ROOT, doc);
    const before = readFileSync(path, 'utf8');
    const after = regenerate(before, newSources);
    if (after !== before) {
      writeFileSync(path, after);
      changed.push(doc);
    }
  }
  return changed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { bench: { type: 'string' }, faults: { type: 'string' } }, strict: true });
  const changed = writeGeneratedDocs({ ...(values.bench ? { bench: values.bench } : {}), ...(values.faults ? { faults: values.faults } : {}) });
  console.log(changed.length ? `regenerated: ${changed.join(', ')}` : 'every generated section is current');
}
