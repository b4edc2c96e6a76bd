import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '../..');
const architecture = readFileSync(join(root, 'docs/ARCHITECTURE.md'), 'utf8');

describe('docs/ARCHITECTURE.md describes the code as it is', () => {
  it('names every module of api, consumer, contract and core (a new module gets its line there)', () => {
    const modules = execFileSync('git', ['ls-files', 'api/src', 'consumer/src', 'contract/src', 'core/src'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(modules.length).toBeGreaterThan(30);
    const unnamed = modules.filter((f) => !architecture.includes(`\`${f.split('/src/')[1]}\``));
    expect(unnamed, 'add a line for each to the module tables of docs/ARCHITECTURE.md').toEqual([]);
  });

  it('the README and docs/ name only files that exist (built output under dist/ aside)', () => {
    const tracked = new Set(execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n'));
    const docs = ['README.md', ...[...tracked].filter((f) => /^docs\/[^/]+\.md$/.test(f))];
    const folders = 'api|consumer|contract|core|web|proxy|scripts|tests|monitoring|logging|deploy|ansible|bench|faults|config|loadtest';
    const missing = docs.flatMap((doc) =>
      [...readFileSync(join(root, doc), 'utf8').matchAll(new RegExp(`\`((?:${folders})/[\\w./-]+\\.\\w+)\``, 'g'))]
        .map((m) => m[1]!)
        .filter((p) => !p.includes('/dist/') && !tracked.has(p))
        .map((p) => `${doc}: ${p}`),
    );
    expect(missing).toEqual([]);
  });
});

// Compose, the CI workflow and MongoDB have not run where these tests run (no Docker engine, no
// MongoDB server): the docs must say where each has run, and a reader of the README's compose line
// must find the check that proves a stack works.
describe('what has run where', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const deploy = readFileSync(join(root, 'docs/DEPLOY.md'), 'utf8');
  const section = deploy.slice(deploy.indexOf('## 4. What has run where'));
  const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| what ') && !l.startsWith('|---'));

  it("the README's compose paragraph points at the smoke check and at docs/DEPLOY.md", () => {
    const paragraph = readme.split('\n\n').find((p) => p.includes('./run.sh compose up')) ?? '';
    expect(paragraph).toContain('`./run.sh compose smoke`');
    expect(paragraph).toContain('docs/DEPLOY.md');
  });

  it("docs/DEPLOY.md has a row for each CI job, the smoke check by hand and the MongoDB store contract, each saying where it ran", () => {
    expect(section.length, 'docs/DEPLOY.md has a section "What has run where"').toBeGreaterThan(30);
    const workflow = parse(readFileSync(join(root, '.github/workflows/ci.yml'), 'utf8')) as { jobs: Record<string, unknown> };
    const jobs = Object.keys(workflow.jobs);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(rows.filter((r) => r.includes(`job \`${job}\``)), job).toHaveLength(1);
    expect(rows.some((r) => r.includes('`./run.sh compose smoke` by hand'))).toBe(true);
    expect(rows.some((r) => r.includes('MongoDB store contract'))).toBe(true);
    // Every row has three cells, none of them empty.
    for (const r of rows) expect(r.split('|').slice(1, -1).map((c) => c.trim()).filter(Boolean), r).toHaveLength(3);
  });

  it('until a CI run is linked, the workflow is said to be written for GitHub Actions, not run there', () => {
    const linked = /https:\/\/github\.com\/[^\s)]+\/actions\/runs\/\d+/.test(section);
    if (!linked) expect(section).toMatch(/Until a CI run is linked here, read "GitHub Actions" above as "written for", not "ran"/);
  });
});
