import { gzipSync } from 'node:zlib';
import { ADMIN_PASSWORD, ADMIN_USER } from '@paredao/testkit/admin';

/**
 * Hostile requests for the vote api. Each case is raw bytes on a fresh TCP connection, so
 * we can send what fetch refuses to: bad framing, duplicate headers, invalid UTF-8, broken chunking.
 * The harness fills in `{HOST}`. Every case must end in a 4xx (a JSON error when the api answered, any
 * clean refusal when nginx did) or, where `closeOk` says so, a closed connection. Nothing may be queued.
 */
export interface HostileCase {
  name: string;
  /** The whole request; `{HOST}` is replaced by host:port. */
  raw: Buffer;
  /** The error code the api must give if the request reaches it (nginx may refuse it first). */
  code?: string | string[];
  /** A closed connection without a response is a clean refusal too (framing the server cannot trust). */
  closeOk?: boolean;
  /** Send FIN after the request. */
  halfClose?: boolean;
  /** A non-4xx refusal that is still clean and correct here, with the reason. */
  alsoOk?: { status: number; why: string };
  /** A known bug in the api: the case runs as `it.fails` until it is fixed (see docs/SECURITY.md). */
  bug?: string;
}

const VOTE = '/api/votes';
const CANDIDATE = 'participante-1';

function request(method: string, path: string, headers: [string, string][], body: Buffer | string = ''): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = [`${method} ${path} HTTP/1.1`, 'Host: {HOST}', 'Connection: close', ...headers.map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), b]);
}

/** A POST of `body` with a correct Content-Length and the given content type. */
function post(body: Buffer | string, contentType: string | null = 'application/json', extra: [string, string][] = [], path = VOTE): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const headers: [string, string][] = [...(contentType === null ? [] : [['Content-Type', contentType] as [string, string]]), ['Content-Length', String(b.length)], ...extra];
  return request('POST', path, headers, b);
}

const json = (v: unknown) => post(JSON.stringify(v));
/** A structurally valid ALTCHA payload whose signature was never issued by us. */
const forged = Buffer.from(
  JSON.stringify({
    challenge: { parameters: { algorithm: 'SHA-256', nonce: '00', salt: '00', cost: 1, keyLength: 32, keyPrefix: '00', expiresAt: 4102444800 }, signature: 'a'.repeat(64) },
    solution: { counter: 1, derivedKey: '00'.repeat(32) },
  }),
).toString('base64');

const bodies: HostileCase[] = [
  { name: 'body is a number', raw: json(42), code: 'invalid_body' },
  { name: 'body is a string', raw: json(CANDIDATE), code: 'invalid_body' },
  { name: 'body is an array', raw: json([{ candidateId: CANDIDATE }]), code: 'invalid_body' },
  { name: 'body is null', raw: json(null), code: 'invalid_body' },
  { name: 'body is true', raw: json(true), code: 'invalid_body' },
  { name: 'body is an empty object', raw: json({}), code: 'invalid_body' },
  { name: 'empty body', raw: post(''), code: 'invalid_body' },
  { name: 'candidateId is a number', raw: json({ candidateId: 1 }), code: 'invalid_body' },
  { name: 'candidateId is null', raw: json({ candidateId: null }), code: 'invalid_body' },
  { name: 'candidateId is an array', raw: json({ candidateId: [CANDIDATE] }), code: 'invalid_body' },
  { name: 'candidateId is an object', raw: json({ candidateId: { $ne: '' } }), code: 'invalid_body' },
  { name: 'candidateId is empty', raw: json({ candidateId: '' }), code: 'invalid_body' },
  { name: 'candidateId is 65 characters', raw: json({ candidateId: 'x'.repeat(65) }), code: 'invalid_body' },
  { name: 'candidateId missing', raw: json({ altcha: forged }), code: 'invalid_body' },
  { name: 'unknown candidate', raw: json({ candidateId: 'participante-99', altcha: forged }), code: 'unknown_candidate' },
  { name: 'candidate with a NUL byte', raw: json({ candidateId: `${CANDIDATE}\u0000` }), code: 'unknown_candidate' },
  { name: 'candidate with a lone surrogate escape', raw: post(`{"candidateId":"\\ud800${CANDIDATE}"}`), code: 'unknown_candidate' },
  { name: 'unknown extra field', raw: json({ candidateId: CANDIDATE, altcha: forged, admin: true }), code: 'invalid_body' },
  { name: '__proto__ pollution', raw: post(`{"__proto__":{"candidateId":"${CANDIDATE}"}}`), code: 'invalid_body' },
  { name: 'constructor.prototype pollution', raw: json({ candidateId: CANDIDATE, constructor: { prototype: { isAdmin: true } } }), code: 'invalid_body' },
  { name: 'altcha is a number', raw: json({ candidateId: CANDIDATE, altcha: 12345 }), code: 'invalid_body' },
  { name: 'altcha is an object', raw: json({ candidateId: CANDIDATE, altcha: { counter: 1 } }), code: 'invalid_body' },
  { name: 'altcha is 5000 characters', raw: json({ candidateId: CANDIDATE, altcha: 'A'.repeat(5000) }), code: 'invalid_body' },
  { name: 'altcha missing', raw: json({ candidateId: CANDIDATE }), code: 'antibot_missing' },
  { name: 'altcha is not base64 JSON', raw: json({ candidateId: CANDIDATE, altcha: 'bm90IGpzb24=' }), code: 'antibot_malformed' },
  { name: 'altcha forged signature', raw: json({ candidateId: CANDIDATE, altcha: forged }), code: ['antibot_invalid', 'antibot_expired'] },
  { name: 'honeypot filled', raw: json({ candidateId: CANDIDATE, altcha: forged, website: 'http://spam.example' }), code: 'antibot_honeypot' },
  { name: 'JSON with a trailing comma', raw: post(`{"candidateId":"${CANDIDATE}",}`), code: 'invalid_body' },
  { name: 'JSON with single quotes', raw: post(`{'candidateId':'${CANDIDATE}'}`), code: 'invalid_body' },
  { name: 'truncated JSON', raw: post(`{"candidateId":"${CANDIDATE}`), code: 'invalid_body' },
  { name: 'two JSON documents', raw: post(`{"candidateId":"${CANDIDATE}"}{"candidateId":"${CANDIDATE}"}`), code: 'invalid_body' },
  { name: 'deeply nested arrays (3000 levels)', raw: post(`${'['.repeat(3000)}${']'.repeat(3000)}`), code: 'invalid_body' },
  { name: 'deeply nested objects inside a field', raw: post(`{"candidateId":${'{"a":'.repeat(1200)}1${'}'.repeat(1200)}}`), code: 'invalid_body' },
  { name: 'body of 9 KiB (over the api limit, under nginx)', raw: json({ candidateId: CANDIDATE, altcha: 'A'.repeat(9 * 1024) }), code: 'payload_too_large' },
  { name: 'body of 1 MiB', raw: json({ candidateId: CANDIDATE, pad: 'A'.repeat(1024 * 1024) }), code: 'payload_too_large', closeOk: true },
  { name: 'invalid UTF-8 bytes in a string', raw: post(Buffer.concat([Buffer.from('{"candidateId":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')])), code: ['unknown_candidate', 'invalid_body'] },
  { name: 'overlong UTF-8 encoding of a quote', raw: post(Buffer.concat([Buffer.from('{"candidateId":"a'), Buffer.from([0xc0, 0xa2]), Buffer.from('"}')])), code: ['unknown_candidate', 'invalid_body'] },
  // body-parser decodes any utf-* charset, so this is read as a vote without a proof.
  { name: 'UTF-16 body', raw: post(Buffer.from(`{"candidateId":"${CANDIDATE}"}`, 'utf16le'), 'application/json; charset=utf-16'), code: ['antibot_missing', 'unsupported_media_type'] },
];

const types: HostileCase[] = [
  { name: 'Content-Type text/plain', raw: post(JSON.stringify({ candidateId: CANDIDATE }), 'text/plain'), code: 'unsupported_media_type' },
  { name: 'no Content-Type', raw: post(JSON.stringify({ candidateId: CANDIDATE }), null), code: 'unsupported_media_type' },
  { name: 'form-urlencoded', raw: post(`candidateId=${CANDIDATE}`, 'application/x-www-form-urlencoded'), code: 'unsupported_media_type' },
  { name: 'multipart form', raw: post(`--x\r\nContent-Disposition: form-data; name="candidateId"\r\n\r\n${CANDIDATE}\r\n--x--\r\n`, 'multipart/form-data; boundary=x'), code: 'unsupported_media_type' },
  { name: 'charset latin1', raw: post(JSON.stringify({ candidateId: CANDIDATE }), 'application/json; charset=latin1'), code: 'unsupported_media_type' },
  { name: 'Content-Type with garbage parameters', raw: post(JSON.stringify({ candidateId: CANDIDATE }), 'application/json;;;; charset="'), code: ['unsupported_media_type', 'invalid_body', 'antibot_missing'] },
  {
    name: 'duplicate Content-Type (json then text)',
    raw: request('POST', VOTE, [['Content-Type', 'application/json'], ['Content-Type', 'text/plain'], ['Content-Length', String(JSON.stringify({ candidateId: CANDIDATE }).length)]], JSON.stringify({ candidateId: CANDIDATE })),
    code: ['antibot_missing', 'unsupported_media_type'],
  },
  {
    name: 'Content-Encoding gzip with a body that is not gzip',
    raw: post(JSON.stringify({ candidateId: CANDIDATE }), 'application/json', [['Content-Encoding', 'gzip']]),
    code: ['invalid_body', 'unsupported_media_type', 'bad_request'],
  },
  { name: 'Content-Encoding unknown', raw: post(JSON.stringify({ candidateId: CANDIDATE }), 'application/json', [['Content-Encoding', 'x-evil']]), code: 'unsupported_media_type' },
  { name: 'gzip bomb (4 MiB of spaces in 4 KiB)', raw: post(gzipSync(Buffer.alloc(4 * 1024 * 1024, ' ')), 'application/json', [['Content-Encoding', 'gzip']]), code: ['payload_too_large', 'unsupported_media_type'] },
];

const body = JSON.stringify({ candidateId: CANDIDATE });
const framing: HostileCase[] = [
  { name: 'huge header (20 KiB cookie)', raw: request('POST', VOTE, [['Cookie', `a=${'x'.repeat(20 * 1024)}`], ['Content-Type', 'application/json'], ['Content-Length', String(body.length)]], body), closeOk: true },
  { name: 'many headers (3000)', raw: request('POST', VOTE, [...Array.from({ length: 3000 }, (_, i): [string, string] => [`X-H${i}`, 'v'.repeat(8)]), ['Content-Type', 'application/json'], ['Content-Length', String(body.length)]], body), closeOk: true },
  { name: 'Content-Length not a number', raw: request('POST', VOTE, [['Content-Type', 'application/json'], ['Content-Length', 'abc']], body), closeOk: true },
  { name: 'Content-Length negative', raw: request('POST', VOTE, [['Content-Type', 'application/json'], ['Content-Length', '-1']], body), closeOk: true },
  { name: 'two different Content-Lengths', raw: request('POST', VOTE, [['Content-Type', 'application/json'], ['Content-Length', String(body.length)], ['Content-Length', '5']], body), closeOk: true },
  // The rest of the body is read as a second, garbage request: Node may answer that one (bare 400) first.
  { name: 'Content-Length shorter than the body', raw: request('POST', VOTE, [['Content-Type', 'application/json'], ['Content-Length', '5']], body), code: 'invalid_body', closeOk: true },
  { name: 'Content-Length longer than the body, then half-close', raw: request('POST', VOTE, [['Content-Type', 'application/json'], ['Content-Length', '400']], body), code: ['request_aborted', 'invalid_body'], closeOk: true, halfClose: true },
  { name: 'Transfer-Encoding chunked plus Content-Length (smuggling)', raw: request('POST', VOTE, [['Content-Type', 'application/json'], ['Content-Length', '4'], ['Transfer-Encoding', 'chunked']], `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\nGET /api/votes HTTP/1.1\r\nHost: x\r\n\r\n`), code: 'antibot_missing', closeOk: true },
  { name: 'Transfer-Encoding with a bad chunk size', raw: request('POST', VOTE, [['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']], `zz\r\n${body}\r\n0\r\n\r\n`), closeOk: true },
  { name: 'Transfer-Encoding gzip, chunked', raw: request('POST', VOTE, [['Content-Type', 'application/json'], ['Transfer-Encoding', 'gzip, chunked']], `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`), closeOk: true, alsoOk: { status: 501, why: 'nginx refuses a transfer coding it does not know with 501, as RFC 9112 §6.1 asks' } },
  { name: 'Transfer-Encoding obfuscated (xchunked)', raw: request('POST', VOTE, [['Content-Type', 'application/json'], ['Transfer-Encoding', 'xchunked']], `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`), closeOk: true, alsoOk: { status: 501, why: 'nginx refuses a transfer coding it does not know with 501, as RFC 9112 §6.1 asks' } },
  { name: 'Transfer-Encoding chunked, body without a vote proof', raw: request('POST', VOTE, [['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']], `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`), code: 'antibot_missing' },
  { name: 'no Host header', raw: Buffer.from(`POST ${VOTE} HTTP/1.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`), closeOk: true },
  { name: 'header value with a bare LF', raw: Buffer.from(`POST ${VOTE} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\nX-A: a\nX-Injected: b\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`), code: 'antibot_missing', closeOk: true },
  { name: 'header name with a space', raw: request('POST', VOTE, [['Content Type', 'application/json'], ['Content-Length', String(body.length)]], body), code: 'unsupported_media_type', closeOk: true },
  { name: 'HTTP/2 preface on the HTTP/1 port', raw: Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), closeOk: true },
  { name: 'garbage request line', raw: Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello\r\n\r\n', 'latin1'), closeOk: true },
  { name: 'URL of 100 KiB', raw: request('GET', `/api/results?${'a'.repeat(100 * 1024)}`, []), closeOk: true },
  { name: 'vote URL with a 6 KiB query', raw: request('POST', `${VOTE}?${'q'.repeat(6 * 1024)}`, [['Content-Type', 'application/json'], ['Content-Length', String(body.length)]], body), code: 'antibot_missing' },
];

const methods: HostileCase[] = ['PUT', 'DELETE', 'TRACE', 'PATCH', 'CONNECT', 'FOO'].map((m) => ({
  name: `${m} /api/votes`,
  raw: request(m, m === 'CONNECT' ? '127.0.0.1:5672' : VOTE, [['Content-Type', 'application/json'], ['Content-Length', String(body.length)]], body),
  code: 'not_found',
  closeOk: m === 'CONNECT' || m === 'FOO',
}));
methods.push({ name: 'GET /api/votes', raw: request('GET', VOTE, []), code: 'not_found' });

/** Must never leak a file from outside the web root. */
const traversal: HostileCase[] = [
  '/../../etc/passwd',
  '/..%2f..%2fetc%2fpasswd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/%252e%252e/%252e%252e/etc/passwd',
  '/assets/../../../../etc/passwd',
  '/assets/..%2f..%2f..%2f..%2fetc%2fpasswd',
  '//etc/passwd',
  '/..\\..\\etc\\passwd',
  '/index.html%00.txt',
  '/api/../../../etc/passwd',
  '/.%2e/.%2e/etc/passwd',
  '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
].map((p) => ({ name: `GET ${p}`, raw: request('GET', p, []), code: 'not_found', closeOk: false }));

/** The production team's routes refuse anyone without a valid session. */
const admin: HostileCase[] = [
  { name: 'admin list without a session', raw: request('GET', '/api/admin/paredoes', []), code: 'unauthenticated' },
  { name: 'admin close without a session', raw: request('POST', '/api/admin/paredoes/bbb26-paredao-1/close', [['Content-Length', '0']]), code: 'unauthenticated' },
  { name: 'admin with a forged session cookie', raw: request('GET', '/api/admin/paredoes', [['Cookie', 'paredao_admin=eyJ1IjoiYWRtaW4ifQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']]), code: 'unauthenticated' },
  { name: 'admin with a cookie of 6 KiB', raw: request('GET', '/api/admin/session', [['Cookie', `paredao_admin=${'A'.repeat(6 * 1024)}`]]), code: 'unauthenticated' },
  { name: 'admin login with a wrong password', raw: post(JSON.stringify({ username: 'admin', password: 'wrong' }), 'application/json', [], '/api/admin/login'), code: ['invalid_credentials', 'rate_limited'] },
  { name: 'admin login with password as an object', raw: post(JSON.stringify({ username: 'admin', password: { $gt: '' } }), 'application/json', [], '/api/admin/login'), code: ['invalid_credentials', 'invalid_body', 'rate_limited'] },
];

/**
 * Other spellings of the vote and challenge routes, which nginx's exact-match limits do not
 * cover, must not reach a handler; admin changes from another origin are refused even with the right
 * password.
 */
const validLooking = JSON.stringify({ candidateId: CANDIDATE, altcha: forged });
const login = JSON.stringify({ username: ADMIN_USER, password: ADMIN_PASSWORD });
const issue14: HostileCase[] = [
  ...['/api/Votes', '/api/votes/', '/API/VOTES', '/api/votes//'].map((p) => ({ name: `vote posted to ${p} (around the rate limit)`, raw: post(validLooking, 'application/json', [], p), code: 'not_found' })),
  ...['/api/Challenge', '/api/challenge/'].map((p) => ({ name: `challenge fetched from ${p} (around the rate limit)`, raw: request('GET', p, []), code: 'not_found' })),
  { name: 'admin login with the right password from another origin', raw: post(login, 'application/json', [['Origin', 'https://evil.example']], '/api/admin/login'), code: ['cross_origin', 'rate_limited'] },
  { name: 'admin login with the right password from a cross-site page', raw: post(login, 'application/json', [['Sec-Fetch-Site', 'cross-site']], '/api/admin/login'), code: ['cross_origin', 'rate_limited'] },
  { name: 'admin logout from another origin', raw: request('POST', '/api/admin/logout', [['Content-Length', '0'], ['Origin', 'http://evil.example']]), code: 'cross_origin' },
];

export const corpus: HostileCase[] = [...bodies, ...types, ...framing, ...methods, ...traversal, ...admin, ...issue14];
