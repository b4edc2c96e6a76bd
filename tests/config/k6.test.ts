import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createChallenge, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'loadtest/vote.ts');

/**
 * k6 cannot run here (not on Debian or npm), so the script is checked two ways: tsc against the pinned
 * @types/k6 with the project's own config, and by loading the script in Node with the few k6 modules it
 * imports replaced by their documented behaviour (k6/crypto's sha256 is Go's SHA-256; b64encode is
 * standard base64), to read its options and to check that its solver produces proofs altcha-lib accepts.
 */
interface K6Script {
  options: {
    scenarios: Record<string, { executor: string; rate: number; timeUnit: string; duration: string; preAllocatedVUs: number; maxVUs: number }>;
    thresholds: Record<string, string[]>;
  };
  solve: (p: unknown) => { counter: number; derivedKey: string };
}

async function loadScript(env: Record<string, string>): Promise<K6Script> {
  const dir = mkdtempSync(join(tmpdir(), 'k6-script-'));
  const stubs: Record<string, string> = {
    k6: `export function check(v, sets) { return Object.values(sets).every((f) => f(v)); }
         export function fail(msg) { throw new Error(msg); }`,
    'k6/crypto': `import { createHash } from 'node:crypto';
         export default { sha256: (input, enc) => createHash('sha256').update(typeof input === 'string' ? input : new Uint8Array(input)).digest(enc) };`,
    'k6/encoding': `export default { b64encode: (s) => Buffer.from(s).toString('base64') };`,
    'k6/http': `export default {};`,
    'k6/metrics': `export class Counter { add() {} }`,
  };
  let js = ts.transpileModule(readFileSync(SCRIPT, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  for (const [name, code] of Object.entries(stubs)) {
    const file = join(dir, `${name.replace('/', '-')}.mjs`);
    writeFileSync(file, code);
    js = js.replaceAll(`from '${name}'`, `from '${pathToFileURL(file).href}'`);
  }
  const scriptFile = join(dir, `vote-${Object.values(env).join('-') || 'default'}.mjs`);
  writeFileSync(scriptFile, js);
  (globalThis as { __ENV?: Record<string, string> }).__ENV = env;
  try {
    return (await import(pathToFileURL(scriptFile).href)) as K6Script;
  } finally {
    delete (globalThis as { __ENV?: Record<string, string> }).__ENV;
  }
}

describe('loadtest/vote.ts (k6)', () => {
  let script: K6Script;
  beforeAll(async () => {
    script = await loadScript({});
  });

  it('when type-checked with tsc against @types/k6 (loadtest/tsconfig.json), then there are no errors', () => {
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'loadtest'], { cwd: ROOT, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('when loaded without env, then it runs 1000 votes/s for 1 minute on a constant-arrival-rate scenario', () => {
    const scenarios = Object.values(script.options.scenarios);
    expect(scenarios).toHaveLength(1);
    expect(scenarios[0]).toMatchObject({ executor: 'constant-arrival-rate', rate: 1000, timeUnit: '1s', duration: '1m' });
    expect(scenarios[0]!.maxVUs).toBeGreaterThanOrEqual(scenarios[0]!.preAllocatedVUs);
  });

  it('when loaded, then it declares the failure-rate, p99-latency and dropped-iteration thresholds', () => {
    const t = script.options.thresholds;
    expect(t.http_req_failed).toEqual(['rate<0.001']);
    expect(t.http_req_duration).toEqual(['p(99)<100']);
    expect(t.dropped_iterations).toEqual(['count<10']);
  });

  it('when RATE and DURATION are set, then the scenario follows them', async () => {
    const s = await loadScript({ RATE: '50', DURATION: '10s' });
    expect(Object.values(s.options.scenarios)[0]).toMatchObject({ rate: 50, duration: '10s' });
  });

  it("when its solver meets altcha-lib challenges, then altcha-lib verifies every solution", async () => {
    for (const counter of [0, 777, 1500, 300_000]) {
      const challenge = await createChallenge({ algorithm: 'SHA-256', cost: 1, counter, deriveKey, hmacSignatureSecret: 'k6-sig', hmacKeySignatureSecret: 'k6-key' });
      const solution = script.solve(challenge.parameters);
      expect(solution.counter).toBe(counter);
      const result = await verifySolution({ challenge, solution, deriveKey, hmacSignatureSecret: 'k6-sig', hmacKeySignatureSecret: 'k6-key' });
      expect(result.verified).toBe(true);
    }
  });
});
