import { describe, expect, it } from 'vitest';
import { renderUnico, UNICO_TARGETS, type UnicoOutput } from './unico-report.js';

const latency = { count: 1, p50: 10, p95: 20, p99: 30, max: 40, mean: 12 };
const run = (votesPerSec: number, accepted: number) => ({ requests: accepted, wallSec: accepted / votesPerSec, accepted, votesPerSec, statuses: { '202': accepted }, acceptedLatency: latency });
const output = (o: { unicoPerSec: number; twoAccepted?: number; doubled?: number }): UnicoOutput => ({
  machine: { cpuModel: 'CPU', cores: 2, node: 'v20', date: '2026-12-05T00:48:00.000Z', command: 'npx tsx bench/unico.ts', gitCommit: 'abc1234', loadAvgBefore: [1, 2, 3], loadAvgAfter: [1, 2, 3] },
  settings: { voters: 100, concurrency: 8, apiWorkers: 2, target: 'the api directly', sessions: 'Sessions from the store.' },
  targets: UNICO_TARGETS,
  unico: { ...run(o.unicoPerSec, 100), requests: 200, statuses: { '202': 100, '409': 100 }, onePlusConflict: 100, twoAccepted: o.twoAccepted ?? 0, noneAccepted: 0 },
  torcida: run(1000, 100),
  counted: { unico: 100, torcida: 100, unicoRecount: 100, doubled: o.doubled ?? 0 },
});

describe('renderUnico', () => {
  it('when Único meets 500 votes/s and nobody is doubled, then both targets are met, with both paths in one table', () => {
    const md = renderUnico(output({ unicoPerSec: 600 }), 'bench/results/unico-x.json');
    expect(md).toContain('| Voto Único | 200 | 100 × 202, 100 × 409 |');
    expect(md).toContain('| Voto da Torcida | 100 |');
    expect(md).toContain('Targets: Único ≥ 500 votes/s ✅ (600); 0 persons doubled ✅.');
  });

  it('when Único is slower than the target, or a voter got two 202s, then the section says which target was missed', () => {
    expect(renderUnico(output({ unicoPerSec: 345 }), 's.json')).toContain('Único ≥ 500 votes/s ❌ (345)');
    expect(renderUnico(output({ unicoPerSec: 600, twoAccepted: 1 }), 's.json')).toContain('0 persons doubled ❌');
    expect(renderUnico(output({ unicoPerSec: 600, doubled: 2 }), 's.json')).toContain('persons counted twice: **2**');
  });
});
