// The workspaces' boundaries (docs/ARCHITECTURE.md, Packages and folders): one package reaches another
// only by its name, declared in its package.json; the contract stays browser-safe; the service image
// copies every package its service runs on. Each rule is also tried on a deliberately bad case, so a rule
// that stopped finding anything would fail here too.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { instructions, root } from './compose-model.js';

type Manifest = { name: string; workspaces?: string[]; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
type Source = { path: string; text: string };

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Manifest;
const rootManifest = manifest('.');
const workspaces = rootManifest.workspaces ?? [];
const manifests = new Map<string, Manifest>([['.', rootManifest], ...workspaces.map((w) => [w, manifest(w)] as const)]);
const trackedSources: Source[] = execFileSync('git', ['ls-files', '*.ts', '*.mts', '*.mjs', '*.cjs'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean)
  .map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));

/** The workspace folder a path lies in, or '.' for the root package (tests, bench, faults, scripts, …). */
function packageOf(path: string): string {
  const top = path.split('/')[0]!;
  return workspaces.includes(top) ? top : '.';
}

/** Every module a file names: static and dynamic imports and re-exports, comments and strings aside. */
function importsOf(source: Source): string[] {
  return ts.preProcessFile(source.text, true, true).importedFiles.map((f) => f.fileName);
}

/** (a) A relative import that lands in another workspace's folder. */
function relativeCrossings(sources: Source[]): string[] {
  const found: string[] = [];
  for (const s of sources) {
    for (const spec of importsOf(s)) {
      if (!spec.startsWith('.')) continue;
      const target = normalize(join(dirname(s.path), spec));
      const owner = packageOf(target);
      if (owner !== '.' && owner !== packageOf(s.path)) found.push(`${s.path} imports ${spec}`);
    }
  }
  return found;
}

/** (b) An @paredao/* import that the importing package's package.json does not declare. */
function undeclaredPackages(sources: Source[]): string[] {
  const found: string[] = [];
  for (const s of sources) {
    const own = manifests.get(packageOf(s.path))!;
    const declared = { ...own.dependencies, ...own.devDependencies };
    for (const spec of importsOf(s)) {
      if (!spec.startsWith('@paredao/')) continue;
      const name = spec.split('/').slice(0, 2).join('/');
      if (name !== own.name && !(name in declared)) found.push(`${s.path} imports ${name}, not in ${packageOf(s.path)}/package.json`);
    }
  }
  return found;
}

const NODE_GLOBALS = new Set(['Buffer', 'process', 'require', 'module', '__dirname', '__filename', 'global', 'setImmediate']);

/** (c) What would keep the contract out of a browser: Node's modules and globals, packages but zod. */
function contractLeaks(sources: Source[]): string[] {
  const found: string[] = [];
  for (const s of sources) {
    if (packageOf(s.path) !== 'contract' || s.path.endsWith('.test.ts')) continue;
    for (const spec of importsOf(s)) {
      if (!spec.startsWith('.') && spec !== 'zod') found.push(`${s.path} imports ${spec}`);
    }
    const file = ts.createSourceFile(s.path, s.text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      const parent = node.parent;
      const isMemberName = (ts.isPropertyAccessExpression(parent) || ts.isPropertyAssignment(parent)) && parent.name === node;
      if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && !isMemberName) found.push(`${s.path} uses ${node.text}`);
      ts.forEachChild(node, visit);
    };
    ts.forEachChild(file, visit);
  }
  return found;
}

/** The workspaces a package runs on: itself and every @paredao/* dependency, transitively. */
function runsOn(workspace: string, seen = new Set<string>()): Set<string> {
  seen.add(workspace);
  for (const name of Object.keys(manifests.get(workspace)!.dependencies ?? {})) {
    const dep = workspaces.find((w) => manifests.get(w)!.name === name);
    if (dep && !seen.has(dep)) runsOn(dep, seen);
  }
  return seen;
}

describe('workspace boundaries', () => {
  it('no file imports another workspace folder by a relative path (it imports @paredao/<name>/<path>)', () => {
    expect(relativeCrossings(trackedSources)).toEqual([]);
    // The check itself, on a deliberately bad import.
    expect(relativeCrossings([{ path: 'tests/component/x.test.ts', text: "import { startApi } from '../../api/src/platform/worker.js';" }])).toEqual([
      'tests/component/x.test.ts imports ../../api/src/platform/worker.js',
    ]);
  });

  it('every @paredao/* package a file imports is declared in its own package.json (tests, bench, faults: the root one)', () => {
    expect(undeclaredPackages(trackedSources)).toEqual([]);
    expect(undeclaredPackages([{ path: 'contract/src/x.ts', text: "import { openStore } from '@paredao/core';" }])).toEqual([
      'contract/src/x.ts imports @paredao/core, not in contract/package.json',
    ]);
  });

  it('the contract is browser-safe: zod its one package, no node: module, no Node global', () => {
    expect(contractLeaks(trackedSources)).toEqual([]);
    const bad = "import { randomBytes } from 'node:crypto';\nexport const id = () => Buffer.from(randomBytes(4)).toString('hex') + process.pid;";
    expect(contractLeaks([{ path: 'contract/src/x.ts', text: bad }])).toEqual([
      'contract/src/x.ts imports node:crypto',
      'contract/src/x.ts uses Buffer',
      'contract/src/x.ts uses process',
    ]);
  });

  it('the service image copies, builds and ships every workspace that api and consumer run on', () => {
    const ins = instructions(join(root, 'Dockerfile'));
    const copies = ins.filter((i) => i.op === 'COPY').map((i) => i.args);
    const run = ins.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    // npm ci needs the manifest of every workspace in the root package.json, whichever service it builds.
    for (const w of workspaces) expect(copies, `COPY ${w}/package.json`).toContain(`${w}/package.json ${w}/`);
    for (const service of ['api', 'consumer']) {
      for (const w of [...runsOn(service)].filter((x) => x !== service)) {
        expect(copies, `${service} runs on ${w}: COPY ${w}/`).toContain(`${w}/ ${w}/`);
        expect(run, `${service} runs on ${w}: built by tsc -b`).toMatch(new RegExp(`tsc -b [^\\n]*\\b${w}\\b`));
        expect(run, `${service} runs on ${w}: its dist shipped`).toContain(`cp -a ${w}/package.json ${w}/dist /out/${w}/`);
      }
    }
  });
});
