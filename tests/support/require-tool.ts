import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { it } from 'vitest';

/**
 * Checks that need a tool ./preflight.sh installs (nginx, promtool, Chromium, ansible…). On a
 * developer's machine a missing tool skips them with a loud line; under CI it fails the run, so a
 * green CI means every such check ran. What no machine here can have (a MongoDB server, Docker) is
 * not a tool in this sense and stays a printed skip.
 */

export interface RequireToolDeps {
  env: NodeJS.ProcessEnv;
  warn: (line: string) => void;
  /** Registers a test that fails with `message` (vitest's `it` by default). */
  failingTest: (title: string, message: string) => void;
}

const defaults: RequireToolDeps = {
  env: process.env,
  warn: (line) => console.warn(line),
  failingTest: (title, message) =>
    it(title, () => {
      throw new Error(message);
    }),
};

/** CI is set by GitHub Actions and most runners (`true`); `CI=0` or `CI=false` means a local run. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI?.trim().toLowerCase();
  return !!v && v !== '0' && v !== 'false';
}

/** The first candidate that exists: absolute paths as they are, bare names looked up on PATH. */
export function findTool(candidates: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const c of candidates) {
    if (c.includes('/')) {
      if (existsSync(c)) return c;
      continue;
    }
    for (const d of dirs) if (existsSync(join(d, c))) return join(d, c);
  }
  return undefined;
}

export interface ToolNeed {
  /** The tool as a person would install it: "nginx", "promtool (Debian package prometheus)". */
  tool: string;
  /** Truthy when it is there (its path, or true). */
  present: unknown;
  /** What does not run without it, for the skip line and the failure. */
  checks: string;
  /** Why it is missing, when the caller knows more than "not installed". */
  why?: string;
}

function describeMissing(need: ToolNeed): string {
  return `${need.tool} ${need.why ?? 'is not installed'} (./preflight.sh installs it)`;
}

/**
 * For `describe.skipIf(skipWithoutTool(…))` / `it.skipIf(…)`, called while tests are collected.
 * Returns whether to skip. Under CI a missing tool also registers one failing test that names it.
 */
export function skipWithoutTool(need: ToolNeed, deps: RequireToolDeps = defaults): boolean {
  if (need.present) return false;
  if (isCi(deps.env)) {
    deps.failingTest(`requires ${need.tool}: ${need.checks}`, `${describeMissing(need)}, and CI is set: ${need.checks} must run in CI`);
  } else {
    deps.warn(`SKIPPED: ${describeMissing(need)}; ${need.checks} did not run`);
  }
  return true;
}

/**
 * For a check that finds out inside a running test that its tool is unusable (a broker it cannot reach):
 * throws under CI, so the test fails; otherwise prints the skip line and the test returns early.
 */
export function skipTestWithoutTool(need: Omit<ToolNeed, 'present'>, deps: Pick<RequireToolDeps, 'env' | 'warn'> = defaults): void {
  if (isCi(deps.env)) throw new Error(`${describeMissing({ ...need, present: false })}, and CI is set: ${need.checks} must run in CI`);
  deps.warn(`SKIPPED: ${describeMissing({ ...need, present: false })}; ${need.checks} did not run`);
}
