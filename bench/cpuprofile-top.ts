/**
 * Top functions by self time in V8 .cpuprofile files (node --cpu-prof), and the same time grouped by
 * package, so a profile of the api under load reads as a short list.
 *   npx tsx bench/cpuprofile-top.ts <file.cpuprofile | dir> [more…] [--top=20]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface Row {
  key: string;
  selfMs: number;
  share: number;
}

/** Where a script lives, in words: a package name, node's own internals, or our workspace path. */
export function origin(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/(api|consumer|core)\/(dist|src)\//.exec(url);
  return m ? `@paredao/${m[1]}` : url.replace(/^file:\/\//, '');
}

export function topSelf(profiles: CpuProfile[], top = 20): { total: number; functions: Row[]; packages: Row[] } {
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  let total = 0;
  for (const p of profiles) {
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const samples = p.samples ?? [];
    const deltas = p.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      const n = nodes.get(samples[i]!);
      const us = deltas[i] ?? 0;
      if (!n || us <= 0) continue;
      const { functionName, url, lineNumber } = n.callFrame;
      const file = url ? `${url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/(api|consumer|core)\//, '$1/')}:${lineNumber + 1}` : '';
      const key = `${functionName || '(anonymous)'}${file ? ` ${file}` : ''}`;
      byFn.set(key, (byFn.get(key) ?? 0) + us);
      const pkg = functionName === '(idle)' ? '(idle)' : functionName === '(garbage collector)' ? '(garbage collector)' : origin(url);
      byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
      total += us;
    }
  }
  const rows = (m: Map<string, number>) =>
    [...m]
      .map(([key, us]) => ({ key, selfMs: us / 1000, share: total ? us / total : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top);
  return { total: total / 1000, functions: rows(byFn), packages: rows(byPkg) };
}

function files(args: string[]): string[] {
  return args.flatMap((a) => (statSync(a).isDirectory() ? readdirSync(a).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(a, f)) : [a]));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: args, positionals } = parseArgs({ options: { top: { type: 'string', default: '20' } }, allowPositionals: true, strict: true });
  const top = Number(args.top);
  const paths = files(positionals);
  if (paths.length === 0) {
    console.error('usage: tsx bench/cpuprofile-top.ts <file.cpuprofile | dir> [--top=20]');
    process.exit(2);
  }
  const profiles = paths.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile);
  const { total, functions, packages } = topSelf(profiles, top);
  const busy = total - (packages.find((p) => p.key === '(idle)')?.selfMs ?? 0);
  console.log(`${paths.length} profile(s), ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s not idle\n`);
  console.log(`| # | self ms | % of samples | function (file:line) |\n|---:|---:|---:|---|`);
  functions.forEach((r, i) => console.log(`| ${i + 1} | ${r.selfMs.toFixed(0)} | ${(r.share * 100).toFixed(1)} | \`${r.key}\` |`));
  console.log(`\n| self ms | % of samples | package |\n|---:|---:|---|`);
  for (const r of packages) console.log(`| ${r.selfMs.toFixed(0)} | ${(r.share * 100).toFixed(1)} | ${r.key} |`);
}
