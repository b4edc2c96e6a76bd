// Pure GELF 1.1 encoding: pino record → GELF object, UDP chunking, GELF_URL parsing.
// Spec: https://go2docs.graylog.org/current/getting_in_log_data/gelf.html
import { randomBytes } from 'node:crypto';

export type GelfValue = string | number;

export interface GelfMessage {
  version: '1.1';
  host: string;
  short_message: string;
  full_message?: string;
  timestamp: number;
  level: number;
  [field: `_${string}`]: GelfValue;
}

export interface GelfTarget {
  protocol: 'udp' | 'tcp';
  host: string;
  port: number;
  /** UDP only: gzip each datagram before chunking. */
  compress: boolean;
  /** TCP only: records kept in memory while Graylog is unreachable. */
  maxBufferedRecords: number;
}

export const DEFAULT_MAX_BUFFERED_RECORDS = 20_000;
/** The GELF UDP limit, chunk header included. */
export const MAX_DATAGRAM_BYTES = 8192;
export const MAX_CHUNKS = 128;
const CHUNK_HEADER_BYTES = 12;
/** Enough for a one-line summary in Graylog's message table; the rest goes to full_message. */
export const SHORT_MESSAGE_MAX = 250;
/** Keeps one field from turning every record into a chunked one. */
export const FIELD_VALUE_MAX = 16_384;
const MAX_DEPTH = 5;

/**
 * Fields that GELF or Graylog own: Graylog ignores an additional field with these names (or lets it
 * overwrite its own, for the gl2_ ones), so they are renamed with a trailing underscore.
 * Source: graylog2-server GelfCodec and Message.RESERVED_FIELDS.
 */
const RESERVED = new Set([
  'id', '_id', 'message', 'full_message', 'short_message', 'source', 'timestamp', 'level', 'host',
  'version', 'facility', 'file', 'line', 'streams', 'failed_message_streams',
  '_ttl', '_source', '_all', '_index', '_type', '_score',
]);
/** Record keys that become GELF's own fields rather than additional fields. */
const CONSUMED = new Set(['msg', 'time', 'level', 'hostname']);

/** pino levels 10/20/30/40/50/60 → syslog severities (debug 7, info 6, warning 4, error 3, critical 2). */
export function syslogLevel(pinoLevel: unknown): number {
  if (typeof pinoLevel !== 'number') return 6;
  if (pinoLevel >= 60) return 2;
  if (pinoLevel >= 50) return 3;
  if (pinoLevel >= 40) return 4;
  if (pinoLevel >= 30) return 6;
  return 7;
}

export function sanitizeKey(key: string): string {
  const clean = key.replace(/[^\w.-]/g, '_');
  return clean === '' ? '_' : clean;
}

function fieldName(path: string): `_${string}` {
  const name = RESERVED.has(path) || path.startsWith('gl2_') ? `${path}_` : path;
  return `_${name}`;
}

function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

function scalar(value: unknown): GelfValue | undefined {
  switch (typeof value) {
    case 'string':
      return clip(value, FIELD_VALUE_MAX);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return undefined;
  }
}

function flattenInto(out: GelfMessage, path: string, value: unknown, depth: number): void {
  if (value === null || value === undefined || typeof value === 'function' || typeof value === 'symbol') return;
  const simple = scalar(value);
  if (simple !== undefined) {
    out[fieldName(path)] = simple;
    return;
  }
  if (value instanceof Date) {
    out[fieldName(path)] = value.toISOString();
    return;
  }
  if (depth >= MAX_DEPTH || Array.isArray(value)) {
    // Arrays stay one field: Graylog cannot search `_tags_0`, `_tags_1` as a list anyway.
    let json: string;
    try {
      json = JSON.stringify(value) ?? '';
    } catch {
      json = '[unserializable]';
    }
    out[fieldName(path)] = clip(json, FIELD_VALUE_MAX);
    return;
  }
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    flattenInto(out, `${path}_${sanitizeKey(key)}`, inner, depth + 1);
  }
}

/** One pino record (already parsed JSON) → one GELF 1.1 message. */
export function toGelf(record: Record<string, unknown>, fallbackHost = 'unknown'): GelfMessage {
  const err = record.err as { message?: unknown; stack?: unknown } | undefined;
  const errMessage = typeof err?.message === 'string' && err.message !== '' ? err.message : undefined;
  const msg = typeof record.msg === 'string' && record.msg !== '' ? record.msg : undefined;
  const text = msg ?? errMessage ?? '-';
  const newline = text.indexOf('\n');
  const firstLine = newline >= 0 ? text.slice(0, newline) : text;
  const time = typeof record.time === 'number' ? record.time : Date.now();
  const host = typeof record.hostname === 'string' && record.hostname !== '' ? record.hostname : fallbackHost;

  const gelf: GelfMessage = {
    version: '1.1',
    host,
    short_message: clip(firstLine, SHORT_MESSAGE_MAX) || '-',
    timestamp: Math.round(time) / 1000,
    level: syslogLevel(record.level),
  };
  if (typeof err?.stack === 'string') {
    gelf.full_message = clip(err.stack, FIELD_VALUE_MAX);
  } else if (text !== gelf.short_message) {
    gelf.full_message = clip(text, FIELD_VALUE_MAX);
  }
  for (const [key, value] of Object.entries(record)) {
    if (CONSUMED.has(key)) continue;
    if (key === 'err' && value !== null && typeof value === 'object') {
      // The stack is already the full_message; keep the rest (type, message, code, cause…).
      const { stack: _stack, ...rest } = value as Record<string, unknown>;
      flattenInto(gelf, 'err', rest, 1);
      continue;
    }
    flattenInto(gelf, sanitizeKey(key), value, 1);
  }
  return gelf;
}

/** A fresh 8-byte GELF message id. */
export function messageId(): Buffer {
  return randomBytes(8);
}

/**
 * Splits one encoded GELF payload into datagrams of at most `maxDatagram` bytes.
 * Small payloads come back as one unchunked datagram; `null` means more than 128 chunks (drop it).
 */
export function chunkGelf(payload: Buffer, maxDatagram = MAX_DATAGRAM_BYTES, id: Buffer = messageId()): Buffer[] | null {
  if (payload.length <= maxDatagram) return [payload];
  const size = maxDatagram - CHUNK_HEADER_BYTES;
  if (size <= 0) throw new RangeError(`datagram size ${maxDatagram} leaves no room for a chunk`);
  const count = Math.ceil(payload.length / size);
  if (count > MAX_CHUNKS) return null;
  if (id.length !== 8) throw new RangeError('GELF message id must be 8 bytes');
  const chunks: Buffer[] = [];
  for (let seq = 0; seq < count; seq++) {
    const body = payload.subarray(seq * size, (seq + 1) * size);
    const chunk = Buffer.allocUnsafe(CHUNK_HEADER_BYTES + body.length);
    chunk[0] = 0x1e;
    chunk[1] = 0x0f;
    id.copy(chunk, 2);
    chunk[10] = seq;
    chunk[11] = count;
    body.copy(chunk, CHUNK_HEADER_BYTES);
    chunks.push(chunk);
  }
  return chunks;
}

/** Whether a datagram is a GELF chunk (magic bytes 0x1e 0x0f). */
export function isChunk(datagram: Buffer): boolean {
  return datagram.length >= CHUNK_HEADER_BYTES && datagram[0] === 0x1e && datagram[1] === 0x0f;
}

/**
 * `udp://host:port` or `tcp://host:port`, with optional query `compress=gzip` (UDP) and
 * `buffer=<records>` (TCP). Throws with a message naming GELF_URL when malformed.
 */
export function parseGelfUrl(raw: string): GelfTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`GELF_URL must look like udp://host:12201 or tcp://host:12201, got "${raw}"`);
  }
  const protocol = url.protocol.replace(/:$/, '');
  if (protocol !== 'udp' && protocol !== 'tcp') {
    throw new Error(`GELF_URL scheme must be udp or tcp, got "${protocol}"`);
  }
  const port = Number(url.port);
  if (!url.hostname || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`GELF_URL needs a host and a port, got "${raw}"`);
  }
  const compressParam = url.searchParams.get('compress');
  if (compressParam !== null && compressParam !== 'gzip' && compressParam !== 'none') {
    throw new Error(`GELF_URL compress must be gzip or none, got "${compressParam}"`);
  }
  const bufferParam = url.searchParams.get('buffer');
  const maxBufferedRecords = bufferParam === null ? DEFAULT_MAX_BUFFERED_RECORDS : Number(bufferParam);
  if (!Number.isInteger(maxBufferedRecords) || maxBufferedRecords < 1) {
    throw new Error(`GELF_URL buffer must be a positive integer, got "${bufferParam}"`);
  }
  return {
    protocol,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    compress: compressParam === 'gzip',
    maxBufferedRecords,
  };
}
