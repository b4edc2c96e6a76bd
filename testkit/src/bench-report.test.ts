import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderMarkdown, targets, type BenchOutput } from './bench-report.js';

// A committed run: the judging below reads its figures, it does not restate them.
const run = JSON.parse(readFileSync(new URL('../../bench/results/2026-12-05T07-01.json', import.meta.url), 'utf8')) as BenchOutput;
const step = (out: BenchOutput, rate: number) => out.steps.find((s) => s.kind === 'votes' && s.rate === rate)!;
const lowRate = (out: BenchOutput) => targets(out).find((t) => t.target.startsWith('CPU per vote at 1000/s'));

describe('the cost at 1000 votes/s against the cost at the ceiling', () => {
  it('is judged against the 5000/s step, with the floor\'s own ratio beside it', () => {
    const t = lowRate(run)!;
    const ratio = step(run, 1000).cpuUsPerVote / step(run, 5000).cpuUsPerVote;
    expect(t.measured).toContain(`= ${ratio.toFixed(2)}`);
    expect(t.measured).toContain("the bare-pipeline floor's own");
    expect(t.met).toBe(ratio <= 2);
  });

  it('shows the cost at the ceiling too, when the ceiling is another step', () => {
    const ceiling = run.ceilings!.votes.ceiling;
    expect(ceiling).not.toBe(5000);
    const ratio = step(run, 1000).cpuUsPerVote / step(run, ceiling).cpuUsPerVote;
    expect(lowRate(run)!.measured).toContain(`at the ceiling (${ceiling}/s): `);
    expect(lowRate(run)!.measured).toContain(`= ${ratio.toFixed(2)}`);
  });

  it('is met once 1000/s costs at most twice the saturated cost, and missed above that', () => {
    const at = (perVote: number) => {
      const copy = structuredClone(run);
      step(copy, 1000).cpuUsPerVote = perVote;
      return lowRate(copy)!.met;
    };
    const saturated = step(run, 5000).cpuUsPerVote;
    expect(at(saturated * 2)).toBe(true);
    expect(at(saturated * 2 + 1)).toBe(false);
  });
});

describe("the floor's table and target", () => {
  it('show the CPU per request by component, and what the stack adds to each', () => {
    const md = renderMarkdown(run);
    const floor5000 = run.floor!.find((f) => f.rate === 5000)!;
    const api = (floor5000.cpu.api!.cpuUs / floor5000.accepted).toFixed(0);
    expect(md).toMatch(new RegExp(`\\| 5000 \\| [^\\n]*\\| ${floor5000.cpuUsPerVote.toFixed(0)} \\([0-9]+ / ${api} / `));
    const added = targets(run).find((t) => t.target.startsWith('CPU per vote ≤ 1.1'))!.measured;
    const apiAdded = step(run, 5000).cpu.api!.cpuUs / step(run, 5000).accepted - Number(floor5000.cpu.api!.cpuUs / floor5000.accepted);
    expect(added).toContain(`api +${apiAdded.toFixed(0)}`);
  });

  it('say the comparison was not made, rather than leave it out, when the floor ran no step at that rate', () => {
    const without = { ...run, floor: run.floor!.filter((f) => f.rate !== 5000) };
    const t = targets(without).find((x) => x.target.startsWith('CPU per vote ≤ 1.1'))!;
    expect(t).toMatchObject({ measured: 'not measured: the floor ran no step at 5000/s', met: false });
  });
});
