import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLogger, gelfTransportTarget } from './logger.js';

describe('gelfTransportTarget', () => {
  it('points at a transport file that exists, with a loader only when it is TypeScript', () => {
    const { target, execArgv } = gelfTransportTarget();
    expect(existsSync(target)).toBe(true);
    if (target.endsWith('.ts')) expect(execArgv?.join(' ')).toMatch(/--import file:.*tsx/);
    else expect(execArgv).toBeUndefined();
  });
});

describe('createLogger', () => {
  it('when GELF_URL is malformed, then it fails at once naming GELF_URL', () => {
    expect(() => createLogger({ service: 'api', level: 'info', gelfUrl: 'graylog:12201' })).toThrow(/GELF_URL/);
  });

});
