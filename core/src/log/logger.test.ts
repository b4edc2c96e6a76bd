import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLogger, gelfTransportTarget, redactUrl } from './logger.js';

describe('redactUrl', () => {
  it.each([
    ['amqp://guest:guest@127.0.0.1:5672', 'amqp://guest:***@127.0.0.1:5672'],
    ['mongodb://paredao:s3cr%40t@mongo:27017/paredao?replicaSet=rs0', 'mongodb://paredao:***@mongo:27017/paredao?replicaSet=rs0'],
    ['amqp://127.0.0.1:5672', 'amqp://127.0.0.1:5672'],
    ['sqlite:data/paredao.db', 'sqlite:data/paredao.db'],
    ['mongodb://a:b@h1:27017,h2:27017/db', 'mongodb://a:***@h1:27017,h2:27017/db'],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

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
