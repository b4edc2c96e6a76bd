import { describe, expect, it } from 'vitest';
import type { FaultRow } from './fault-audit.js';
import { apiShape } from './fault-report.js';

const row = (scenario: string, apiWorkers?: number) => ({ scenario, ...(apiWorkers === undefined ? {} : { apiWorkers }) }) as FaultRow;

describe('how a fault run describes the api it ran', () => {
  it('when no row recorded its api processes (runs before they were recorded), then it says two workers, as those runs had', () => {
    expect(apiShape([row('1. consumer SIGKILL'), row('4. api worker SIGTERM')])).toBe('api ×2');
  });

  it('when every row ran the api as one process, then it says so', () => {
    expect(apiShape([row('1. consumer SIGKILL', 1), row('11. api SIGKILL (one process)', 1)])).toBe('the api (one process)');
  });

  it('when the rows differ, then it names the scenarios of each shape', () => {
    expect(apiShape([row('1. consumer SIGKILL', 1), row('11. api SIGKILL (one process)', 1), row('4. api worker SIGTERM', 2), row('5. api worker SIGKILL', 2), row('6. cluster: leader SIGKILL', 1)])).toBe(
      'the api (one process in 1, 6, 11; 2 cluster workers in 4, 5)',
    );
  });
});
