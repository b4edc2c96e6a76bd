import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

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
