import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseEnv, port, redactUrl } from './env.js';

describe('parseEnv', () => {
  const schema = z.object({ API_PORT: port(3000), NAME: z.string().min(3) });

  it('when a variable is invalid, then the error names it', () => {
    expect(() => parseEnv(schema, { API_PORT: 'eighty', NAME: 'paredao' })).toThrow(ConfigError);
    expect(() => parseEnv(schema, { API_PORT: 'eighty', NAME: 'paredao' })).toThrow(/API_PORT/);
  });
  it('when a variable is empty, then its default applies', () => {
    expect(parseEnv(schema, { API_PORT: '', NAME: 'paredao' }).API_PORT).toBe(3000);
  });
});

describe('redactUrl', () => {
  it('when a URL carries a password, then it is hidden and the rest kept', () => {
    expect(redactUrl('amqp://paredao:s3cret@rabbitmq:5672')).toBe('amqp://paredao:***@rabbitmq:5672');
    expect(redactUrl('sqlite:data/paredao.db')).toBe('sqlite:data/paredao.db');
  });
});
