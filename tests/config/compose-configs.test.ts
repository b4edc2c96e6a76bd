// Top-level `configs:` as compose reads them. A config whose `content:` interpolates to nothing is
// taken for a file config with an empty path, that is the project folder: the whole repository ends
// up mounted where the service expects one small file.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeFiles, interpolate } from './compose-model.js';

const files = composeFiles();
const configs = files.flatMap(({ file, dir, doc }) => Object.entries(doc.configs ?? {}).map(([name, def]) => ({ name, def, file, dir })));

describe('compose configs', () => {
  it('there is at least one config to check', () => {
    expect(configs.length).toBeGreaterThan(0);
  });

  it.each(configs.map((c) => [c.name, c] as const))('%s: content is never empty with an empty .env, and a file is a file', (_name, c) => {
    if (c.def.content !== undefined) {
      expect(interpolate(c.def.content).trim(), `${c.name} in ${c.file}`).not.toBe('');
      // With the operator's value, that value is what the service reads.
      expect(interpolate(c.def.content, { ALERT_WEBHOOK_URL: 'https://hooks.example/x' })).not.toBe('');
    } else if (c.def.file !== undefined) {
      const path = resolve(c.dir, interpolate(c.def.file));
      expect(interpolate(c.def.file), `${c.name}: empty file path`).not.toBe('');
      expect(statSync(path).isFile(), `${c.name}: ${path} is not a file`).toBe(true);
    } else {
      expect(c.def.environment, `${c.name} has neither content, file nor environment`).toBeDefined();
    }
  });

  it('every config a service mounts is defined at the top level', () => {
    const defined = new Set(configs.map((c) => c.name));
    const used = files.flatMap(({ doc }) =>
      Object.values(doc.services ?? {}).flatMap((s) => (s.configs ?? []).map((c) => (typeof c === 'string' ? c : c.source))),
    );
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((u) => !defined.has(u))).toEqual([]);
  });

  it('with ALERT_WEBHOOK_URL set, Alertmanager reads exactly that URL', () => {
    const hook = configs.find((c) => c.name === 'alert-webhook-url')!;
    expect(interpolate(hook.def.content!, { ALERT_WEBHOOK_URL: 'https://hooks.example/x' })).toBe('https://hooks.example/x');
    // Without it, a name that never resolves (RFC 2606), so the failure in the logs says what is missing.
    expect(new URL(interpolate(hook.def.content!)).hostname).toMatch(/\.invalid$/);
  });
});
