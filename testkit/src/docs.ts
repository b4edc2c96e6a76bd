/**
 * The generated sections of the docs: every figure they show comes from a committed raw output
 * (bench/results/*.json, faults/results/*.json), named in the section's opening marker:
 *
 *   <!-- generated:bench-run source=bench/results/2026-12-01T18-10.json -->  …  <!-- generated:end -->
 *
 * Kinds: bench-run (a run's tables and targets), bench-headline (README's paragraph), faults (the fault
 * table; several sources, later ones replacing a scenario's row), capacity (docs/SCALING.md's plan: a
 * bench run and a bench/quorum-leader.ts run, `source=bench/results/A.json,bench/results/quorum-B.json`),
 * storage (bounded dedup window and archive on a virtual clock, bench/storage-sim.ts), phone and phone-difficulty (the voter's wait on a throttled phone, bench/phone.ts, and what it says of
 * the default difficulty), overload (2× and 3× the ceiling, bench/overload.ts), unico (Voto Único beside Torcida, bench/unico.ts). A new run of a kind replaces that kind's file in every section that names one.
 * `npm run gen:docs` rewrites them;
 * tests/config/generated-docs.test.ts fails when one differs from what its sources give.
 *
 *   npm run gen:docs                              regenerate every section from the sources it names
 *   npm run gen:docs -- --bench FILE              point the bench sections at FILE first
 *   npm run gen:docs -- --quorum FILE             point the capacity section's quorum run at FILE first
 *   npm run gen:docs -- --faults FILE[,FILE…]     point the faults section at these files first
 *   npm run gen:docs -- --phone FILE              point the phone sections at FILE first
 *   npm run gen:docs -- --overload FILE           point the overload section at FILE first
 *   npm run gen:docs -- --storage FILE            point the storage section at FILE first
 *   npm run gen:docs -- --unico FILE              point the unico section at FILE first
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderFaults, type FaultsOutput } from './fault-report.js';
import { renderHeadline, renderMarkdown, type BenchOutput } from './bench-report.js';
import { renderCapacity } from './capacity.js';
import { renderOverload, type OverloadOutput } from './overload-report.js';
import { renderStorage, type StorageOutput } from './storage-report.js';
import { parsePhoneOutput, renderDifficulty, renderPhone } from './phone-report.js';
import { renderUnico, type UnicoOutput } from './unico-report.js';
import type { QuorumOutput } from './quorum.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const GENERATED_DOCS = ['README.md', 'docs/BENCHMARKS.md', 'docs/RELIABILITY.md', 'docs/SCALING.md', 'docs/ANTIBOT.md'];

const SECTION = /<!-- generated:([a-z-]+) source=([^ ]+) -->\n[\s\S]*?<!-- generated:end -->/g;

/** A new source for each family of sections: bench runs, quorum-leader runs, fault runs. */
export type Sources = Partial<Record<'bench' | 'quorum' | 'faults' | 'phone' | 'overload' | 'storage' | 'unico', string>>;

const read = <T>(source: string): T => JSON.parse(readFileSync(join(ROOT, source), 'utf8')) as T;

function render(kind: string, sources: string[]): string {
  switch (kind) {
    case 'bench-run':
      return renderMarkdown(read<BenchOutput>(sources[0]!));
    case 'bench-headline':
      return renderHeadline(read<BenchOutput>(sources[0]!), sources[0]!);
    case 'faults':
      return renderFaults(sources.map((source) => ({ source, out: read<FaultsOutput>(source) })));
    case 'capacity': {
      const bench = sources.find((s) => familyOf(s) === 'bench');
      const quorum = sources.find((s) => familyOf(s) === 'quorum');
      if (!bench || !quorum) throw new Error(`a capacity section names a bench run and a quorum run: ${sources.join(',')}`);
      return renderCapacity({ source: bench, out: read<BenchOutput>(bench) }, { source: quorum, out: read<QuorumOutput>(quorum) });
    }
    case 'phone':
      return renderPhone(parsePhoneOutput(read(sources[0]!)), sources[0]!);
    case 'phone-difficulty':
      return renderDifficulty(parsePhoneOutput(read(sources[0]!)), sources[0]!);
    case 'overload':
      return renderOverload(read<OverloadOutput>(sources[0]!), sources[0]!);
    case 'storage':
      return renderStorage(read<StorageOutput>(sources[0]!), sources[0]!);
    case 'unico':
      return renderUnico(read<UnicoOutput>(sources[0]!), sources[0]!);
    default:
      throw new Error(`unknown generated section kind: ${kind}`);
  }
}

/** Which family a result file belongs to, by its name. */
function familyOf(source: string): keyof Sources {
  if (source.startsWith('faults/')) return 'faults';
  if (/\/quorum-[^/]*$/.test(source)) return 'quorum';
  if (/\/overload-[^/]*$/.test(source)) return 'overload';
  if (/\/storage-[^/]*$/.test(source)) return 'storage';
  if (/\/unico-[^/]*$/.test(source)) return 'unico';
  return /\/phone-[^/]*$/.test(source) ? 'phone' : 'bench';
}

/** A section's sources pointed at the new ones given: faults replaces the list, bench and quorum their own file. */
function pointAt(kind: string, sources: string[], newSources: Sources): string[] {
  if (kind === 'faults') return newSources.faults ? newSources.faults.split(',') : sources;
  return sources.map((s) => newSources[familyOf(s)] ?? s);
}

/** `text` with every generated section rewritten from its sources (optionally pointed at new ones first). */
export function regenerate(text: string, newSources: Sources = {}): string {
  return text.replace(SECTION, (_all, kind: string, source: string) => {
    const src = pointAt(kind, source.split(','), newSources);
    return `<!-- generated:${kind} source=${src.join(',')} -->\n${render(kind, src)}\n<!-- generated:end -->`;
  });
}

/** The generated sections of one document, as [kind, sources] pairs. */
export function sectionsOf(text: string): [string, string[]][] {
  return [...text.matchAll(SECTION)].map((m) => [m[1]!, m[2]!.split(',')]);
}

/** Rewrites the documents that changed; returns their paths. */
export function writeGeneratedDocs(newSources: Sources = {}): string[] {
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
  const { values } = parseArgs({ options: { bench: { type: 'string' }, quorum: { type: 'string' }, faults: { type: 'string' }, phone: { type: 'string' }, overload: { type: 'string' }, storage: { type: 'string' }, unico: { type: 'string' } }, strict: true });
  const changed = writeGeneratedDocs(values);
  console.log(changed.length ? `regenerated: ${changed.join(', ')}` : 'every generated section is current');
}
