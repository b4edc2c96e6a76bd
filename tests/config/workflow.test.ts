import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findTool, skipWithoutTool } from '../support/require-tool.js';

/**
 * The CI workflow (.github/workflows/), checked offline: GitHub's own workflow parser
 * (@actions/workflow-parser, from actions/languageservices) accepts it, and it does what the docs say
 * it does. It runs on GitHub, not here: nothing in this file claims it ran.
 */
const root = resolve(import.meta.dirname, '../..');
const workflowsDir = join(root, '.github/workflows');
const workflowFiles = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f));
const work = mkdtempSync(join(tmpdir(), 'paredao-workflow-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The parser's errors for each workflow text: what GitHub would refuse before running anything. */
function workflowErrors(files: { name: string; content: string }[]): string[][] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'tests/support/workflow-errors.ts')], { cwd: root, input: JSON.stringify(files), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`workflow parser failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[][];
}

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number>;
}
interface Job {
  'runs-on': string;
  container?: string;
  env?: Record<string, string>;
  steps: Step[];
}
const ci = parse(readFileSync(join(workflowsDir, 'ci.yml'), 'utf8')) as { jobs: Record<string, Job> };
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { image?: string }> };
const stepIndex = (job: Job, run: string) => job.steps.findIndex((s) => s.run?.trim() === run);

describe('.github/workflows: valid for GitHub', () => {
  it("every workflow passes GitHub's workflow parser with no error, and the parser refuses broken ones", () => {
    const good = readFileSync(join(workflowsDir, 'ci.yml'), 'utf8');
    const broken = [
      { name: 'typo.yml', content: good.replace('    steps:\n', '    step:\n') },
      { name: 'bad-key.yml', content: good.replace('timeout-minutes: 90', 'timeout-minute: 90') },
      { name: 'no-runner.yml', content: good.replace('    runs-on: ubuntu-24.04\n    timeout-minutes: 90\n', '    timeout-minutes: 90\n') },
      { name: 'bad-if.yml', content: good.replace('if: always()', 'if: ${{ always(( }}') },
      { name: 'bad-context.yml', content: good.replace('${{ job.container.network }}', '${{ jobs.container.network }}') },
    ];
    for (const b of broken) expect(b.content, b.name).not.toBe(good);
    const files = workflowFiles.map((f) => ({ name: f, content: readFileSync(join(workflowsDir, f), 'utf8') }));
    const errors = workflowErrors([...files, ...broken]);
    files.forEach((f, i) => expect(errors[i], f.name).toEqual([]));
    broken.forEach((b, i) => expect(errors[files.length + i]!.length, b.name).toBeGreaterThan(0));
  });

  it('every action is pinned: a full commit id with its tag beside it, or a Docker image with an exact version', () => {
    for (const file of workflowFiles) {
      const text = readFileSync(join(workflowsDir, file), 'utf8');
      const uses = [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length).toBeGreaterThan(0);
      for (const [, ref, rest] of uses) {
        if (ref!.startsWith('docker://')) expect(ref, file).toMatch(/^docker:\/\/[\w./-]+:\d+\.\d+\.\d+[\w.-]*$/);
        else {
          expect(ref, file).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
          expect(rest, `${ref}: say which tag the commit is`).toMatch(/# v\d+\.\d+\.\d+/);
        }
      }
    }
  });

  it('passes yamllint with the repository settings', () => {
    if (skipWithoutTool({ tool: 'yamllint', present: findTool(['yamllint']), checks: 'yamllint of .github/' })) return;
    const r = spawnSync('yamllint', ['--strict', '-c', '.yamllint', '.github/'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

describe('the test job: ./preflight.sh && npm test against a MongoDB replica set', () => {
  const job = ci.jobs.test!;

  it('runs on Debian 12 as root, preflight before the tests, on a Node that package.json accepts', () => {
    expect(job.container).toBe('debian:bookworm');
    const pre = stepIndex(job, './preflight.sh');
    const test = stepIndex(job, 'npm test');
    expect(pre).toBeGreaterThan(-1);
    expect(test).toBeGreaterThan(pre);
    const node = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(Number(node?.with?.['node-version'])).toBeGreaterThanOrEqual(22);
    expect((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node).toBe('>=20.19');
  });

  it("starts MongoDB before the tests with compose's image, as a replica set under the name MONGO_URL uses", () => {
    const url = new URL(job.env!.MONGO_URL!);
    expect(url.hostname).toBe('mongo');
    expect(url.searchParams.get('replicaSet')).toBe('rs0');
    const start = job.steps.findIndex((s) => s.with?.args === '.github/scripts/mongo-replica-set.sh start');
    expect(start).toBeGreaterThan(-1);
    expect(start).toBeLessThan(stepIndex(job, 'npm test'));
    expect(job.steps[start]!.env?.MONGO_IMAGE).toBe(compose.services.mongo!.image);
    expect(job.steps[start]!.env?.NETWORK).toBe('${{ job.container.network }}');
    const stop = job.steps.find((s) => s.with?.args === '.github/scripts/mongo-replica-set.sh stop');
    expect(stop?.if).toBe('always()');
  });
});

describe('.github/scripts/mongo-replica-set.sh', () => {
  const script = join(root, '.github/scripts/mongo-replica-set.sh');

  it('passes shellcheck (it runs under the docker:cli image, which has busybox sh)', () => {
    if (skipWithoutTool({ tool: 'shellcheck', present: findTool(['shellcheck']), checks: 'shellcheck of .github/scripts/' })) return;
    const r = spawnSync('shellcheck', ['--shell=sh', script], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  // No Docker engine here: a stand-in `docker` records what the script asks for and answers as
  // mongosh does, so the arguments and the order of the steps can be checked.
  it('starts mongod with --replSet after the image, initiates the set with the address clients use, and waits until primary', () => {
    const bin = join(work, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    const log = join(work, 'docker.log');
    writeFileSync(
      join(bin, 'docker'),
      [
        '#!/bin/sh',
        `printf '%s\\n' "$*" >> ${log}`,
        'case "$*" in',
        '  *ping*) echo 1 ;;',
        `  *isWritablePrimary*) n=$(grep -c isWritablePrimary ${log}); if [ "$n" -ge 2 ]; then echo true; else echo false; fi ;;`,
        "  *rs.initiate*) echo '{ ok: 1 }' ;;",
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(join(bin, 'docker'), 0o755);
    const r = spawnSync('sh', [script, 'start'], { env: { PATH: `${bin}:/usr/bin:/bin`, NETWORK: 'github_network_x', MONGO_IMAGE: 'mongo:8.0.17' }, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls[0]).toBe('run --detach --name paredao-ci-mongo --network github_network_x --network-alias mongo mongo:8.0.17 --replSet rs0 --bind_ip_all');
    const initiate = calls.findIndex((c) => c.includes('rs.initiate'));
    expect(calls[initiate]).toContain("members: [{ _id: 0, host: 'mongo:27017' }]");
    expect(calls.findIndex((c) => c.includes('ping'))).toBeLessThan(initiate);
    expect(calls.filter((c) => c.includes('isWritablePrimary'))).toHaveLength(2);
    expect(r.stdout).toMatch(/replica set rs0 primary at mongo:27017/);
  });

  it('refuses to start without the job network', () => {
    const r = spawnSync('sh', [script, 'start'], { env: { PATH: '/usr/bin:/bin', MONGO_IMAGE: 'mongo:8.0.17' }, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/NETWORK/);
  });
});

describe('the compose-smoke job: up --wait with the logging profile, the smoke check, down -v', () => {
  const job = ci.jobs['compose-smoke']!;

  it('runs on a runner with Docker, with the logging profile and the logs sent to Graylog', () => {
    expect(job['runs-on']).toMatch(/^ubuntu-/);
    expect(job.container).toBeUndefined();
    expect(job.env?.COMPOSE_PROFILES?.split(',')).toContain('logging');
    expect(job.env?.GELF_URL).toBe('udp://graylog:12201');
    expect(job.env?.NGINX_ACCESS_LOG).toMatch(/^syslog:server=graylog:1514,/);
  });

  it('brings the stack up with --wait (through run.sh), runs the smoke check, and always takes it down with its volumes', () => {
    const up = stepIndex(job, './run.sh compose up');
    const smoke = stepIndex(job, './run.sh compose smoke');
    const down = stepIndex(job, './run.sh compose down -v');
    expect(up).toBeGreaterThan(stepIndex(job, './preflight.sh docker'));
    expect(smoke).toBeGreaterThan(up);
    expect(down).toBeGreaterThan(smoke);
    expect(job.steps[down]!.if).toBe('always()');
    expect(readFileSync(join(root, 'run.sh'), 'utf8')).toMatch(/docker compose up --detach --build --wait/);
    expect(stepIndex(job, 'npm ci --no-audit --no-fund')).toBeLessThan(smoke);
  });
});
