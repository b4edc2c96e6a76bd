import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  chunkGelf,
  FIELD_VALUE_MAX,
  isChunk,
  MAX_CHUNKS,
  MAX_DATAGRAM_BYTES,
  parseGelfUrl,
  SHORT_MESSAGE_MAX,
  syslogLevel,
  toGelf,
} from './gelf.js';

const base = { level: 30, time: 1_763_900_000_123, service: 'api', hostname: 'api-1', pid: 42 };

describe('toGelf', () => {
  it('maps the GELF 1.1 required fields from a pino record', () => {
    const gelf = toGelf({ ...base, msg: 'vote accepted' });
    expect(gelf).toMatchObject({
      version: '1.1',
      host: 'api-1',
      short_message: 'vote accepted',
      timestamp: 1_763_900_000.123,
      level: 6,
      _service: 'api',
      _pid: 42,
    });
    expect(gelf).not.toHaveProperty('_msg');
    expect(gelf).not.toHaveProperty('_time');
    expect(gelf).not.toHaveProperty('_hostname');
  });

  it.each([
    [10, 7],
    [20, 7],
    [30, 6],
    [40, 4],
    [50, 3],
    [60, 2],
  ])('pino level %i becomes syslog level %i', (pino, syslog) => {
    expect(syslogLevel(pino)).toBe(syslog);
    expect(toGelf({ ...base, level: pino, msg: 'x' }).level).toBe(syslog);
  });

  it('when there is no msg, then the error message is the short message and the stack the full one', () => {
    const gelf = toGelf({
      ...base,
      level: 50,
      err: { type: 'Error', message: 'broker down', stack: 'Error: broker down\n    at x', code: 'ECONNREFUSED' },
    });
    expect(gelf.short_message).toBe('broker down');
    expect(gelf.full_message).toBe('Error: broker down\n    at x');
    expect(gelf._err_type).toBe('Error');
    expect(gelf._err_code).toBe('ECONNREFUSED');
    expect(gelf).not.toHaveProperty('_err_stack');
  });

  it('when there is neither msg nor err, then the short message is "-"', () => {
    expect(toGelf({ ...base }).short_message).toBe('-');
    expect(toGelf({ ...base, msg: '' }).short_message).toBe('-');
  });

  it('keeps the short message to one short line and the whole text in full_message', () => {
    const long = `${'a'.repeat(SHORT_MESSAGE_MAX * 2)}\nsecond line`;
    const gelf = toGelf({ ...base, msg: long });
    expect(gelf.short_message.length).toBeLessThanOrEqual(SHORT_MESSAGE_MAX);
    expect(gelf.short_message).not.toContain('\n');
    expect(gelf.full_message).toBe(long);
  });

  it('flattens nested objects with "_" joins and keeps only strings and numbers', () => {
    const gelf = toGelf({
      ...base,
      msg: 'x',
      req: { method: 'POST', headers: { 'content-type': 'application/json' } },
      ok: true,
      n: null,
      tags: ['a', 'b'],
      big: 10n,
      when: new Date(0),
    });
    expect(gelf._req_method).toBe('POST');
    expect(gelf['_req_headers_content-type']).toBe('application/json');
    expect(gelf._ok).toBe('true');
    expect(gelf).not.toHaveProperty('_n');
    expect(gelf._tags).toBe('["a","b"]');
    expect(gelf._big).toBe('10');
    expect(gelf._when).toBe('1970-01-01T00:00:00.000Z');
    for (const [key, value] of Object.entries(gelf)) {
      if (!key.startsWith('_')) continue;
      expect(key).toMatch(/^_[\w.-]*$/);
      expect(['string', 'number']).toContain(typeof value);
    }
  });

  it('never emits _id and renames fields Graylog reserves', () => {
    const gelf = toGelf({ ...base, msg: 'x', id: 'abc', _id: 'def', source: 's', message: 'm', gl2_source_input: 'i' });
    expect(gelf).not.toHaveProperty('_id');
    expect(gelf._id_).toBe('abc');
    expect(gelf.__id_).toBe('def');
    expect(gelf._source_).toBe('s');
    expect(gelf._message_).toBe('m');
    expect(gelf._gl2_source_input_).toBe('i');
  });

  it('replaces characters GELF keys may not contain', () => {
    const gelf = toGelf({ ...base, msg: 'x', 'weird key!': 1, 'ação': 2 });
    expect(gelf._weird_key_).toBe(1);
    expect(Object.keys(gelf).filter((k) => k.startsWith('_')).every((k) => /^[\w.-]*$/.test(k))).toBe(true);
  });

  it('clips huge field values so one field cannot make a record unshippable', () => {
    const gelf = toGelf({ ...base, msg: 'x', body: 'b'.repeat(FIELD_VALUE_MAX * 3) });
    expect(String(gelf._body).length).toBe(FIELD_VALUE_MAX);
  });

  it('turns non-finite numbers into strings (JSON has no NaN)', () => {
    expect(toGelf({ ...base, msg: 'x', ratio: Number.NaN })._ratio).toBe('NaN');
  });
});

describe('chunkGelf', () => {
  const id = Buffer.from('01234567');

  it('sends a payload that fits as one plain datagram', () => {
    const payload = Buffer.alloc(MAX_DATAGRAM_BYTES, 1);
    const datagrams = chunkGelf(payload, MAX_DATAGRAM_BYTES, id);
    expect(datagrams).toEqual([payload]);
    expect(isChunk(payload)).toBe(false);
  });

  it('splits a larger payload into headed chunks no bigger than the datagram limit that reassemble exactly', () => {
    const payload = Buffer.from(Array.from({ length: 30_000 }, (_, i) => i % 251));
    const chunks = chunkGelf(payload, MAX_DATAGRAM_BYTES, id);
    expect(chunks).not.toBeNull();
    const list = chunks as Buffer[];
    expect(list).toHaveLength(Math.ceil(30_000 / (MAX_DATAGRAM_BYTES - 12)));
    list.forEach((chunk, seq) => {
      expect(chunk.length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
      expect(isChunk(chunk)).toBe(true);
      expect(chunk.subarray(2, 10)).toEqual(id);
      expect(chunk[10]).toBe(seq);
      expect(chunk[11]).toBe(list.length);
    });
    expect(Buffer.concat(list.map((c) => c.subarray(12)))).toEqual(payload);
  });

  it('allows exactly 128 chunks and refuses 129', () => {
    const size = 100;
    expect(chunkGelf(Buffer.alloc((size - 12) * MAX_CHUNKS), size, id)).toHaveLength(MAX_CHUNKS);
    expect(chunkGelf(Buffer.alloc((size - 12) * MAX_CHUNKS + 1), size, id)).toBeNull();
  });

  it('uses a fresh 8-byte id per message', () => {
    const a = chunkGelf(Buffer.alloc(20_000)) as Buffer[];
    const b = chunkGelf(Buffer.alloc(20_000)) as Buffer[];
    expect(a[0]?.subarray(2, 10)).not.toEqual(b[0]?.subarray(2, 10));
  });

  it('chunks gzip output like any other payload', () => {
    const json = Buffer.from(JSON.stringify({ version: '1.1', short_message: randomBytes(5_000).toString('hex') }));
    const gz = gzipSync(json);
    const chunks = chunkGelf(gz, 200, id) as Buffer[];
    expect(chunks.length).toBeGreaterThan(1);
    expect(gunzipSync(Buffer.concat(chunks.map((c) => c.subarray(12))))).toEqual(json);
  });
});

describe('parseGelfUrl', () => {
  it('reads protocol, host and port', () => {
    expect(parseGelfUrl('udp://graylog:12201')).toMatchObject({ protocol: 'udp', host: 'graylog', port: 12201, compress: false });
    expect(parseGelfUrl('tcp://127.0.0.1:12201')).toMatchObject({ protocol: 'tcp', host: '127.0.0.1', port: 12201 });
    expect(parseGelfUrl('tcp://[::1]:12201').host).toBe('::1');
  });

  it('reads the optional compress and buffer settings', () => {
    expect(parseGelfUrl('udp://g:1?compress=gzip').compress).toBe(true);
    expect(parseGelfUrl('tcp://g:1?buffer=500').maxBufferedRecords).toBe(500);
  });

  it.each(['graylog:12201', 'http://graylog:12201', 'udp://graylog', 'tcp://:12201', 'udp://g:1?compress=zstd', 'tcp://g:1?buffer=0'])(
    'rejects %s with a message naming GELF_URL',
    (url) => {
      expect(() => parseGelfUrl(url)).toThrow(/GELF_URL/);
    },
  );
});
