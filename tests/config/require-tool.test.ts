import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTool, isCi, skipTestWithoutTool, skipWithoutTool, type RequireToolDeps } from '../support/require-tool.js';

const root = resolve(import.meta.dirname, '../..');

function recorder(env: NodeJS.ProcessEnv) {
  const warned: string[] = [];
  const failing: { title: string; message: string }[] = [];
  const deps: RequireToolDeps = { env, warn: (l) => warned.push(l), failingTest: (title, message) => failing.push({ title, message }) };
  return { deps, warned, failing };
}

describe('tests/support/require-tool.ts: a missing tool skips locally and fails under CI', () => {
  it('reads CI the way runners set it', () => {
    expect(isCi({ CI: 'true' })).toBe(true);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({})).toBe(false);
    expect(isCi({ CI: '' })).toBe(false);
    expect(isCi({ CI: 'false' })).toBe(false);
    expect(isCi({ CI: '0' })).toBe(false);
  });

  it('finds a tool by absolute path or on PATH, and nothing when it is in neither', () => {
    const sh = findTool(['sh']);
    expect(sh).toMatch(/\/sh$/);
    expect(findTool(['/no/such/tool', sh!])).toBe(sh);
    expect(findTool(['sh'], { PATH: '/no/such/dir' })).toBeUndefined();
    expect(findTool(['paredao-no-such-tool'])).toBeUndefined();
  });

  it('when the tool is there, then nothing is skipped, printed or failed', () => {
    for (const env of [{}, { CI: 'true' }]) {
      const r = recorder(env);
      expect(skipWithoutTool({ tool: 'nginx', present: '/usr/sbin/nginx', checks: 'nginx -t' }, r.deps)).toBe(false);
      expect(r.warned).toEqual([]);
      expect(r.failing).toEqual([]);
    }
  });

  it('when the tool is missing on a developer machine, then the checks are skipped with a line that names it', () => {
    const r = recorder({});
    expect(skipWithoutTool({ tool: 'promtool', present: undefined, checks: 'the promtool checks' }, r.deps)).toBe(true);
    expect(r.warned).toEqual(['SKIPPED: promtool is not installed (./preflight.sh installs it); the promtool checks did not run']);
    expect(r.failing).toEqual([]);
  });

  it('when the tool is missing under CI, then a failing test names it', () => {
    const r = recorder({ CI: 'true' });
    expect(skipWithoutTool({ tool: 'rabbitmqctl', present: false, why: 'cannot manage the local broker', checks: 'the per-role users' }, r.deps)).toBe(true);
    expect(r.warned).toEqual([]);
    expect(r.failing).toHaveLength(1);
    expect(r.failing[0]!.title).toBe('requires rabbitmqctl: the per-role users');
    expect(r.failing[0]!.message).toMatch(/^rabbitmqctl cannot manage the local broker \(\.\/preflight\.sh installs it\), and CI is set/);
  });

  it('inside a running test: returns with a skip line locally, throws under CI', () => {
    const local = recorder({});
    expect(() => skipTestWithoutTool({ tool: 'RabbitMQ', why: 'does not answer', checks: 'the definitions check' }, local.deps)).not.toThrow();
    expect(local.warned[0]).toMatch(/^SKIPPED: RabbitMQ does not answer/);
    expect(() => skipTestWithoutTool({ tool: 'RabbitMQ', why: 'does not answer', checks: 'the definitions check' }, recorder({ CI: 'true' }).deps)).toThrow(/RabbitMQ does not answer .*CI is set/);
  });

  // The same decision through vitest itself: a file whose tool is missing passes locally (skipped)
  // and makes the run fail under CI. The scratch folder sits under node_modules so vitest resolves.
  describe('in a real vitest run', () => {
    const cache = join(root, 'node_modules/.cache');
    mkdirSync(cache, { recursive: true });
    const work = mkdtempSync(join(cache, 'paredao-require-tool-'));
    afterAll(() => rmSync(work, { recursive: true, force: true }));
    writeFileSync(join(work, 'vitest.config.mjs'), 'export default { test: { include: ["*.test.ts"] } };\n');
    writeFileSync(
      join(work, 'needs-tool.test.ts'),
      [
        "import { describe, expect, it } from 'vitest';",
        `import { findTool, skipWithoutTool } from ${JSON.stringify(join(root, 'tests/support/require-tool.ts'))};`,
        "describe.skipIf(skipWithoutTool({ tool: 'paredao-no-such-tool', present: findTool(['paredao-no-such-tool']), checks: 'the fixture check' }))('needs the tool', () => {",
        "  it('runs', () => expect(1).toBe(1));",
        '});',
        "it('something else', () => expect(1).toBe(1));",
        '',
      ].join('\n'),
    );
    const vitest = (ci: string | undefined) => {
      const env = { ...process.env };
      delete env.CI;
      if (ci !== undefined) env.CI = ci;
      const r = spawnSync(join(root, 'node_modules/.bin/vitest'), ['run', '--root', work, '--config', join(work, 'vitest.config.mjs')], { env, encoding: 'utf8', timeout: 60_000 });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    };

    it('locally, the run passes and says what was skipped', () => {
      const r = vitest(undefined);
      expect(r.out).toMatch(/SKIPPED: paredao-no-such-tool is not installed/);
      expect(r.status, r.out).toBe(0);
    });

    it('with CI=true, the run fails and names the tool', () => {
      const r = vitest('true');
      expect(r.out).toMatch(/requires paredao-no-such-tool: the fixture check/);
      expect(r.status, r.out).not.toBe(0);
    });
  });
});

// A skip printed by hand never fails under CI, so a green CI run could hide a check that never ran.
// Only what ./preflight.sh cannot install may be a printed skip; anything else goes through the helper.
describe('every test that skips for a missing tool goes through the helper', () => {
  const printedSkipAllowed: Record<string, string> = {
    'tests/component/store.test.ts': 'a MongoDB server (none on the development machines; CI sets MONGO_URL)',
    'tests/config/audit.test.ts': "the registry's audit endpoint (network)",
    'tests/config/preflight-tls.test.ts': 'root (it runs preflight as another user)',
    'tests/config/proxy-tls-key.test.ts': 'root (it runs nginx as other users)',
    'tests/config/compose-proxy.test.ts': 'root and unshare -m',
    'tests/e2e/login-burst.test.ts': 'a memory cgroup (the file throws under CI by itself)',
    'tests/config/compose.test.ts': 'a compose file the tree includes (not a tool)',
  };
  const helper = ['tests/support/require-tool.ts', 'tests/config/require-tool.test.ts'];

  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sources(p);
      return /\.(ts|mjs)$/.test(e.name) ? [p] : [];
    });
  }
  // A skip line printed by hand, or a silent skip on a file's existence (a tool's path).
  const printedSkip = /console\.(warn|log|error)\(\s*[`'"][^`'"]*SKIPPED|\.(skipIf|runIf)\(\s*!?\s*existsSync\(/;
  const printing = ['tests', 'testkit']
    .flatMap((d) => sources(join(root, d)))
    .map((f) => relative(root, f))
    .filter((f) => !helper.includes(f) && printedSkip.test(readFileSync(join(root, f), 'utf8')));

  it('finds the printed skips it allows, so the scan itself works', () => {
    expect(printing).toContain('tests/component/store.test.ts');
  });

  it('no other test file prints its own skip line', () => {
    expect(printing.filter((f) => !(f in printedSkipAllowed))).toEqual([]);
  });
});
