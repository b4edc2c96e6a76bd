import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { amqpUrls, ConfigError, parseEnv, port, redactUrl, serviceEnv } from './env.js';

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

describe('AMQP_URL', () => {
  const schema = z.object({ AMQP_URL: serviceEnv.AMQP_URL });
  it('when it lists several nodes separated by commas, then each becomes one address, in order', () => {
    expect(parseEnv(schema, { AMQP_URL: 'amqp://u:pass@10.0.0.1:5672, amqp://u:pass@10.0.0.2:5672,amqp://u:pass@10.0.0.3' }).AMQP_URL).toEqual([
      'amqp://u:pass@10.0.0.1:5672',
      'amqp://u:pass@10.0.0.2:5672',
      'amqp://u:pass@10.0.0.3',
    ]);
  });
  it('when it is unset, then the local broker is the one address', () => {
    expect(parseEnv(schema, {}).AMQP_URL).toEqual(['amqp://guest:guest@127.0.0.1:5672']);
  });
  it('when one entry is not an AMQP URL, then the error names AMQP_URL', () => {
    expect(() => parseEnv(schema, { AMQP_URL: 'amqp://a:5672,http://b:5672' })).toThrow(/AMQP_URL/);
    expect(() => parseEnv(schema, { AMQP_URL: ',' })).toThrow(/AMQP_URL/);
    expect(amqpUrls.safeParse('rabbitmq:5672').success).toBe(false);
  });
  it('when a list is redacted for a log line, then every password is hidden', () => {
    expect(redactUrl('amqp://u:secret1@a:5672,amqp://u:secret2@b:5672')).toBe('amqp://u:***@a:5672,amqp://u:***@b:5672');
  });
});
