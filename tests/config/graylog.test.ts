// Graylog as code, checked offline: Graylog itself cannot run here (no Docker engine), so the compose
// overlay and the REST payloads are checked against the shapes graylog2-server 6.1 declares
// (CreateStreamRequest, CreateStreamRuleRequest, InputCreateRequest, CreateExtractorRequest, ViewDTO,
// ViewStateDTO, WidgetDTO, Search/Query, and ViewsResource.validateSearchProperties).
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { skipWithoutTool } from '../support/require-tool.js';

const ROOT = join(import.meta.dirname, '..', '..');
const LOGGING = join(ROOT, 'logging');
const PROVISION = join(LOGGING, 'provision');

type Json = Record<string, any>;
const payload = (name: string): any => JSON.parse(readFileSync(join(PROVISION, name), 'utf8'));

const compose = parse(readFileSync(join(LOGGING, 'docker-compose.graylog.yml'), 'utf8')) as Json;
const services = compose.services as Record<string, Json>;
const inputs = payload('inputs.json') as Json[];
const streams = payload('streams.json') as Json[];
const extractors = payload('extractors.json') as Json[];
const views = { search: payload('search-api-live.json') as Json, dashboard: payload('dashboard-logs.json') as Json };

describe('docker-compose.graylog.yml', () => {
  it('defines the four services the root compose file relies on, and the back network', () => {
    expect(Object.keys(services).sort()).toEqual(['graylog', 'graylog-mongo', 'graylog-opensearch', 'graylog-provision']);
    expect(compose.networks).toHaveProperty('back');
    expect(services.graylog?.networks).toContain('back');
  });

  it('pins every image to an exact version', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.image, name).toMatch(/^[\w./-]+:\d+\.\d+\.\d+(-[\w.]+)?$/);
    }
    expect(services.graylog?.image).toMatch(/^graylog\/graylog:6\.1\.\d+$/);
    expect(services['graylog-opensearch']?.image).toBe('opensearchproject/opensearch:2.15.0');
    expect(services['graylog-mongo']?.image).toMatch(/^mongo:7\.0\.\d+$/);
  });

  it('gives every long-running service a healthcheck and a memory limit', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.deploy?.resources?.limits?.memory, name).toMatch(/^\d+[mg]$/);
      if (name === 'graylog-provision') continue;
      expect(Array.isArray(service.healthcheck?.test) && service.healthcheck.test.length > 1, name).toBe(true);
      expect(['CMD', 'CMD-SHELL']).toContain(service.healthcheck.test[0]);
    }
  });

  it('starts Graylog only on healthy stores and provisions only a healthy Graylog, once', () => {
    expect(services.graylog?.depends_on).toEqual({
      'graylog-mongo': { condition: 'service_healthy' },
      'graylog-opensearch': { condition: 'service_healthy' },
    });
    const provision = services['graylog-provision'] as Json;
    expect(provision.depends_on).toEqual({ graylog: { condition: 'service_healthy' } });
    expect(provision.restart).toBe('no');
    expect(provision.healthcheck).toBeUndefined();
    expect(provision.command).toEqual(['node', '/provision/provision.mjs']);
    const mount = (provision.volumes as string[]).find((v) => v.endsWith(':/provision:ro')) as string;
    expect(existsSync(join(LOGGING, mount.split(':')[0] as string, 'provision.mjs'))).toBe(true);
  });

  it('talks to plain OpenSearch (no Data Node preflight) and takes its secrets from .env', () => {
    const env = services.graylog?.environment as Json;
    expect(env.GRAYLOG_ELASTICSEARCH_HOSTS).toBe('http://graylog-opensearch:9200');
    expect(env.GRAYLOG_MONGODB_URI).toBe('mongodb://graylog-mongo:27017/graylog');
    expect(env.GRAYLOG_PASSWORD_SECRET).toMatch(/^\$\{GRAYLOG_PASSWORD_SECRET:\?.+\}$/);
    expect(env.GRAYLOG_ROOT_PASSWORD_SHA2).toMatch(/^\$\{GRAYLOG_ROOT_PASSWORD_SHA2:\?.+\}$/);
    expect(env.GRAYLOG_HTTP_EXTERNAL_URI).toMatch(/\/\}?$/);
    expect(services['graylog-provision']?.environment.GRAYLOG_PASSWORD).toMatch(/^\$\{GRAYLOG_ROOT_PASSWORD:\?.+\}$/);
    const os = services['graylog-opensearch']?.environment as Json;
    expect(os.DISABLE_SECURITY_PLUGIN).toBe('true');
    expect(os['discovery.type']).toBe('single-node');
  });

  /**
   * What the image's entrypoint passes to OpenSearch (opensearch-build,
   * docker/release/config/opensearch/opensearch-docker-entrypoint-2.x.sh): one -E option per variable
   * named like a setting (two dot-separated lowercase words, non-empty value), then
   * -Eplugins.security.disabled=true when DISABLE_SECURITY_PLUGIN=true. OpenSearch refuses a setting
   * given twice ("setting [...] already set", exit 64: EnvironmentAwareCommand).
   */
  function openSearchSettings(env: Record<string, unknown>): string[] {
    const keys = Object.entries(env)
      .filter(([k, v]) => (/^[a-z0-9_]+\.[a-z0-9_]+/.test(k) || k === 'processors') && String(v ?? '') !== '')
      .map(([k]) => k);
    if (String(env.DISABLE_SECURITY_PLUGIN) === 'true') keys.push('plugins.security.disabled');
    return keys;
  }

  it('gives OpenSearch no setting twice (the entrypoint adds one for DISABLE_SECURITY_PLUGIN)', () => {
    const settings = openSearchSettings(services['graylog-opensearch']?.environment as Json);
    expect(settings.filter((k, i) => settings.indexOf(k) !== i)).toEqual([]);
    expect(settings).toContain('plugins.security.disabled');
    // The rule above catches the defect it guards against.
    const both = openSearchSettings({ 'plugins.security.disabled': 'true', DISABLE_SECURITY_PLUGIN: 'true' });
    expect(both.filter((k, i) => both.indexOf(k) !== i)).toEqual(['plugins.security.disabled']);
  });

  it('publishes GELF UDP/TCP 12201, syslog UDP 1514 and the web UI on 127.0.0.1 only', () => {
    const ports = services.graylog?.ports as string[];
    expect(ports).toEqual(
      expect.arrayContaining([
        '127.0.0.1:9000:9000/tcp',
        '127.0.0.1:12201:12201/udp',
        '127.0.0.1:12201:12201/tcp',
        '127.0.0.1:1514:1514/udp',
      ]),
    );
    for (const port of ports) expect(port.startsWith('127.0.0.1:')).toBe(true);
  });

  it('declares every named volume it mounts', () => {
    for (const service of Object.values(services)) {
      for (const volume of (service.volumes ?? []) as string[]) {
        const source = volume.split(':')[0] as string;
        if (source.startsWith('.') || source.startsWith('/')) continue;
        expect(compose.volumes).toHaveProperty(source);
      }
    }
  });
});

describe('inputs.json (POST /api/system/inputs, InputCreateRequest)', () => {
  it('creates GELF UDP 12201, GELF TCP 12201 and syslog UDP 1514, all global', () => {
    const byType = Object.fromEntries(inputs.map((i) => [i.type, i]));
    expect(byType['org.graylog2.inputs.gelf.udp.GELFUDPInput']?.configuration.port).toBe(12201);
    expect(byType['org.graylog2.inputs.gelf.tcp.GELFTCPInput']?.configuration.port).toBe(12201);
    expect(byType['org.graylog2.inputs.syslog.udp.SyslogUDPInput']?.configuration.port).toBe(1514);
    expect(new Set(inputs.map((i) => i.title)).size).toBe(inputs.length);
  });

  it.each(inputs.map((i) => [i.title, i]))('%s has the fields Graylog needs', (_title, input) => {
    expect(Object.keys(input).sort()).toEqual(['configuration', 'global', 'title', 'type']);
    expect(typeof input.title).toBe('string');
    expect(input.global).toBe(true);
    const config = input.configuration as Json;
    expect(config.bind_address).toBe('0.0.0.0');
    expect(Number.isInteger(config.port)).toBe(true);
    expect(Number.isInteger(config.recv_buffer_size)).toBe(true);
    expect(Number.isInteger(config.number_worker_threads)).toBe(true);
    for (const value of Object.values(config)) expect(['string', 'number', 'boolean']).toContain(typeof value);
  });

  it('keeps GELF TCP NUL-delimited, as the logger sends it', () => {
    const tcp = inputs.find((i) => i.type.endsWith('GELFTCPInput')) as Json;
    expect(tcp.configuration.use_null_delimiter).toBe(true);
  });
});

describe('extractors.json (POST /api/system/inputs/{id}/extractors, CreateExtractorRequest)', () => {
  const nginxLine =
    'proxy-1 nginx: {"time":"2026-11-23T13:00:00+00:00","remote_addr":"10.0.0.2","request_method":"POST","request_uri":"/api/votes","status":503,"body_bytes_sent":80,"request_time":0.012,"upstream_response_time":"0.011","request_id":"9f86d081884c7d65","http_user_agent":"k6","limit_req":"","limit_conn":"REJECTED"}';

  it.each(extractors.map((e) => [e.extractor.title, e]))('%s is complete and names an existing input', (_t, entry) => {
    expect(inputs.map((i) => i.title)).toContain(entry.input);
    const e = entry.extractor as Json;
    for (const key of ['title', 'source_field', 'target_field', 'extractor_type']) expect(e[key]).toMatch(/\S/);
    expect(['copy', 'cut']).toContain(e.cursor_strategy);
    expect(['none', 'string', 'regex']).toContain(e.condition_type);
    expect(Array.isArray(e.converters)).toBe(true);
    expect(Number.isInteger(e.order)).toBe(true);
  });

  it('pulls status, request time, request id and an edge refusal out of an nginx JSON access line', () => {
    const extract = (target: string) => {
      const e = extractors.find((x) => x.extractor.target_field === target)?.extractor as Json;
      expect(nginxLine.includes(e.condition_value)).toBe(true);
      return new RegExp(e.extractor_config.regex_value).exec(nginxLine)?.[1];
    };
    expect(extract('http_status')).toBe('503');
    expect(extract('http_request_time')).toBe('0.012');
    expect(extract('reqId')).toBe('9f86d081884c7d65');
    // A vote nginx refused itself (NGINX_VOTES_IN_FLIGHT): searchable as limit_conn:REJECTED.
    expect(extract('limit_conn')).toBe('REJECTED');
  });
});

describe('streams.json (POST /api/streams, CreateStreamRequest)', () => {
  it.each(streams.map((s) => [s.title, s]))('%s has the shape Graylog expects', (_title, stream) => {
    expect(typeof stream.title).toBe('string');
    expect(typeof stream.description).toBe('string');
    expect(['AND', 'OR']).toContain(stream.matching_type);
    expect(typeof stream.remove_matches_from_default_stream).toBe('boolean');
    expect(stream.index_set_id).toBe('{{INDEX_SET}}');
    expect(stream.rules.length).toBeGreaterThan(0);
    for (const rule of stream.rules as Json[]) {
      expect(typeof rule.field).toBe('string');
      expect(Number.isInteger(rule.type)).toBe(true);
      expect(rule.type).toBeGreaterThanOrEqual(1);
      expect(rule.type).toBeLessThanOrEqual(8);
      expect(typeof rule.value).toBe('string');
      expect(typeof rule.inverted).toBe('boolean');
    }
  });

  it('routes by the fields the logger and the syslog input set', () => {
    const rule = (title: string) => (streams.find((s) => s.title === title) as Json).rules[0];
    expect(rule('Paredão API')).toMatchObject({ field: 'service', type: 1, value: 'api', inverted: false });
    expect(rule('Paredão consumer')).toMatchObject({ field: 'service', type: 1, value: 'consumer', inverted: false });
    // StreamRuleType 4 is "smaller than": level < 4 is syslog error (3) and worse.
    expect(rule('Paredão erros')).toMatchObject({ field: 'level', type: 4, value: '4', inverted: false });
    expect(rule('Paredão proxy')).toMatchObject({ type: 8, value: '{{INPUT:Paredão syslog UDP (nginx)}}' });
  });
});

function searchTypes(view: Json): Json[] {
  return (view.search.queries as Json[]).flatMap((q) => q.search_types as Json[]);
}

describe.each(Object.entries(views))('%s view (POST /api/views/search, then POST /api/views)', (_name, doc) => {
  it('has a search whose queries and search types are complete', () => {
    expect(doc.search.parameters).toEqual([]);
    for (const query of doc.search.queries as Json[]) {
      expect(typeof query.id).toBe('string');
      expect(query.timerange).toMatchObject({ type: 'relative' });
      expect(Number.isInteger(query.timerange.range)).toBe(true);
      expect(query.query).toMatchObject({ type: 'elasticsearch' });
      expect(typeof query.query.query_string).toBe('string');
    }
    const ids = searchTypes(doc).map((st) => st.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const st of searchTypes(doc)) {
      expect(['pivot', 'messages']).toContain(st.type);
      if (st.type === 'pivot') {
        for (const key of ['row_groups', 'column_groups', 'series', 'sort']) expect(Array.isArray(st[key])).toBe(true);
        expect(typeof st.rollup).toBe('boolean');
      } else {
        expect(Number.isInteger(st.limit)).toBe(true);
      }
    }
  });

  it('passes the consistency checks of ViewsResource.validateSearchProperties', () => {
    const view = doc.view as Json;
    const queryIds = new Set((doc.search.queries as Json[]).map((q) => q.id));
    const typeIds = new Set(searchTypes(doc).map((st) => st.id));
    for (const [queryId, state] of Object.entries(view.state as Record<string, Json>)) {
      expect(queryIds.has(queryId)).toBe(true);
      for (const mapped of Object.values(state.widget_mapping as Record<string, string[]>).flat()) expect(typeIds.has(mapped)).toBe(true);
      for (const widget of state.widgets as Json[]) expect(state.positions).toHaveProperty(widget.id);
    }
  });

  it('has a ViewDTO with widgets matching their search types', () => {
    const view = doc.view as Json;
    expect(['SEARCH', 'DASHBOARD']).toContain(view.type);
    expect(view.search_id).toBe('{{SEARCH_ID}}');
    for (const key of ['title', 'summary', 'description']) expect(typeof view[key]).toBe('string');
    const byId = new Map(searchTypes(doc).map((st) => [st.id, st]));
    for (const state of Object.values(view.state as Record<string, Json>)) {
      expect(state.titles.tab.title).toMatch(/\S/);
      for (const widget of state.widgets as Json[]) {
        expect(state.titles.widget[widget.id]).toMatch(/\S/);
        expect(Array.isArray(widget.streams)).toBe(true);
        const [mapped] = state.widget_mapping[widget.id] as string[];
        const st = byId.get(mapped as string) as Json;
        if (widget.type === 'aggregation') {
          expect(st.type).toBe('pivot');
          for (const key of ['row_pivots', 'column_pivots', 'series', 'sort']) expect(Array.isArray(widget.config[key])).toBe(true);
          expect(typeof widget.config.visualization).toBe('string');
          for (const series of widget.config.series as Json[]) expect(series.function).toBe('count()');
          // The widget's pivots and the search type's groups must agree, or the chart shows nothing.
          expect(widget.config.row_pivots.map((p: Json) => p.fields)).toEqual(st.row_groups.map((g: Json) => g.fields));
          expect(widget.config.column_pivots.map((p: Json) => p.fields)).toEqual(st.column_groups.map((g: Json) => g.fields));
        } else {
          expect(widget.type).toBe('messages');
          expect(st.type).toBe('messages');
          expect(Array.isArray(widget.config.fields)).toBe(true);
          expect(typeof widget.config.show_message_row).toBe('boolean');
        }
        for (const position of ['col', 'row', 'height']) expect(Number.isInteger(state.positions[widget.id][position])).toBe(true);
      }
    }
  });

  it('refers only to streams and inputs that provisioning creates', async () => {
    const { substitute } = await import('../../logging/provision/provision.mjs');
    const ids = {
      indexSet: 'index-set',
      searchId: 'search',
      inputs: Object.fromEntries(inputs.map((i) => [i.title, `input:${i.title}`])),
      streams: Object.fromEntries(streams.map((s) => [s.title, `stream:${s.title}`])),
    };
    const resolved = JSON.stringify(substitute(doc, ids));
    expect(resolved).not.toMatch(/\{\{/);
    expect(() => substitute('{{STREAM:nope}}', ids)).toThrow(/no id/);
  });
});

describe('the saved search and the dashboard say what docs/LOGGING.md promises', () => {
  it('saved search: API stream, last 5 minutes, count by level and a message table', () => {
    const { search, view } = views.search;
    expect(view.title).toBe('Paredão — eventos da API em tempo real');
    expect(view.type).toBe('SEARCH');
    const query = search.queries[0];
    expect(query.timerange).toEqual({ type: 'relative', range: 300 });
    expect(query.filter).toEqual({ type: 'or', filters: [{ type: 'stream', id: '{{STREAM:Paredão API}}' }] });
    const pivots = searchTypes(views.search).filter((st) => st.type === 'pivot');
    expect(pivots.some((p) => JSON.stringify(p.column_groups).includes('"level"') && p.row_groups[0].type === 'time')).toBe(true);
    expect(searchTypes(views.search).some((st) => st.type === 'messages')).toBe(true);
  });

  it('dashboard: events by level over time and proxy status codes', () => {
    const { view } = views.dashboard;
    expect(view.title).toBe('Paredão — logs');
    expect(view.type).toBe('DASHBOARD');
    const widgets = Object.values(view.state as Record<string, Json>).flatMap((s) => s.widgets as Json[]);
    const columns = (w: Json) => JSON.stringify(w.config.column_pivots ?? []);
    expect(widgets.some((w) => columns(w).includes('"level"') && w.streams.includes('{{STREAM:Paredão API}}'))).toBe(true);
    expect(widgets.some((w) => columns(w).includes('"http_status"') && w.streams.includes('{{STREAM:Paredão proxy}}'))).toBe(true);
  });
});

describe('provision.mjs', () => {
  it('is valid JavaScript for node', () => {
    execFileSync(process.execPath, ['--check', join(PROVISION, 'provision.mjs')]);
  });

  it('has no npm dependencies (the node image runs it as is)', () => {
    const source = readFileSync(join(PROVISION, 'provision.mjs'), 'utf8');
    const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const spec of imports) expect(spec).toMatch(/^node:/);
  });
});

/**
 * Graylog cannot run here, so provisioning runs against a small stand-in that answers the endpoints it
 * calls with the response shapes of graylog2-server 6.1 (InputsList, InputCreated,
 * StreamListResponse, StreamCreatedResponse, IndexSetResponse, ExtractorSummaryList, PaginatedResponse
 * "views") and enforces what Graylog enforces: X-Requested-By on non-GET, Basic auth, view/search
 * consistency. It checks the script's logic (lookups by title, ids wired through), not Graylog.
 */
class FakeGraylog {
  readonly calls: { method: string; path: string; body: any }[] = [];
  readonly inputs: Json[] = [];
  /** What GET /api/system/inputstates reports, by input id (InputStateSummary.state). */
  readonly inputStates = new Map<string, string>();
  readonly extractors = new Map<string, Json[]>();
  readonly streams: Json[] = [];
  readonly searches: Json[] = [];
  readonly views: Json[] = [];
  private next = 1;
  private readonly server = createServer((req, res) => void this.handle(req, res));

  constructor(private readonly password: string) {}

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private id(): string {
    return (this.next++).toString(16).padStart(24, '0');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = text ? JSON.parse(text) : undefined;
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    this.calls.push({ method, path: url.pathname, body });
    const send = (status: number, payload?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    if (req.headers.authorization !== `Basic ${Buffer.from(`admin:${this.password}`).toString('base64')}`) return send(401, { type: 'ApiError', message: 'Unauthorized' });
    if (method !== 'GET' && !req.headers['x-requested-by']) return send(400, { type: 'ApiError', message: 'CSRF protection: missing X-Requested-By' });
    const path = url.pathname;
    let match: RegExpExecArray | null;
    if (method === 'GET' && path === '/api/system/indices/index_sets') {
      return send(200, { total: 1, index_sets: [{ id: 'default-index-set', title: 'Default index set', default: true }], stats: {} });
    }
    if (path === '/api/system/inputs') {
      if (method === 'GET') return send(200, { total: this.inputs.length, inputs: this.inputs });
      const input = { ...body, id: this.id() };
      this.inputs.push(input);
      this.inputStates.set(input.id, 'RUNNING');
      return send(201, { id: input.id });
    }
    if (method === 'GET' && path === '/api/system/inputstates') {
      return send(200, { states: [...this.inputStates].map(([id, state]) => ({ id, state, message_input: {} })) });
    }
    if (method === 'PUT' && (match = /^\/api\/system\/inputstates\/(\w+)$/.exec(path))) {
      if (!this.inputs.some((i) => i.id === match?.[1])) return send(404, { message: 'no input' });
      // Graylog 6.1 stops and starts the input, running or not (InputStatesResource.start).
      this.inputStates.set(match[1] as string, 'RUNNING');
      return send(200, { id: match[1] });
    }
    if ((match = /^\/api\/system\/inputs\/(\w+)\/extractors$/.exec(path))) {
      const list = this.extractors.get(match[1] as string) ?? [];
      this.extractors.set(match[1] as string, list);
      if (method === 'GET') return send(200, { total: list.length, extractors: list });
      list.push({ ...body, id: this.id() });
      return send(201, { extractor_id: list.at(-1)?.id });
    }
    if (path === '/api/streams') {
      if (method === 'GET') return send(200, { total: this.streams.length, streams: this.streams });
      const stream = { ...body, id: this.id(), disabled: true };
      this.streams.push(stream);
      return send(201, { stream_id: stream.id });
    }
    if (method === 'POST' && (match = /^\/api\/streams\/(\w+)\/resume$/.exec(path))) {
      const stream = this.streams.find((s) => s.id === match?.[1]);
      if (!stream) return send(404, { message: 'no stream' });
      stream.disabled = false;
      return send(204);
    }
    if (method === 'POST' && path === '/api/views/search') {
      const search = { ...body, id: this.id() };
      this.searches.push(search);
      return send(201, search);
    }
    if (path === '/api/views') {
      if (method === 'GET') {
        const page = Number(url.searchParams.get('page') ?? 1);
        const perPage = Number(url.searchParams.get('per_page') ?? 50);
        const views = this.views.slice((page - 1) * perPage, page * perPage);
        return send(200, { total: views.length, count: views.length, page, per_page: perPage, views });
      }
      const search = this.searches.find((s) => s.id === body.search_id);
      if (!search) return send(400, { message: `Search ${body.search_id} not available` });
      const queryIds = new Set((search.queries as Json[]).map((q) => q.id));
      if (!Object.keys(body.state).every((id) => queryIds.has(id))) return send(400, { message: 'Search queries do not correspond to view/state queries' });
      const view = { ...body, id: this.id() };
      this.views.push(view);
      return send(200, view);
    }
    return send(404, { message: `no route ${method} ${path}` });
  }
}

/** Runs `body` against a stand-in Graylog whose admin password is `password`, and stops it after. */
async function withGraylog(password: string, body: (graylog: FakeGraylog, url: string) => Promise<void>): Promise<void> {
  const graylog = new FakeGraylog(password);
  const url = await graylog.start();
  try {
    await body(graylog, url);
  } finally {
    await graylog.close();
  }
}

describe('provision.mjs against a stand-in Graylog API', () => {
  it('creates everything once, wiring ids through, and changes nothing on a second run', async () => {
    const { client, provision } = await import('../../logging/provision/provision.mjs');
    await withGraylog('pw', async (graylog, url) => {
      const api = client({ url, user: 'admin', password: 'pw', log: () => {} });
      const first = await provision(api, { waitSeconds: 5 });
      expect(graylog.inputs.map((i) => i.title).sort()).toEqual(inputs.map((i) => i.title).sort());
      expect([...graylog.extractors.values()].flat()).toHaveLength(extractors.length);
      expect(graylog.streams.map((s) => s.title).sort()).toEqual(streams.map((s) => s.title).sort());
      expect(graylog.streams.every((s) => s.disabled === false && s.index_set_id === 'default-index-set')).toBe(true);
      const syslogId = graylog.inputs.find((i) => i.type.endsWith('SyslogUDPInput'))?.id;
      expect(graylog.streams.find((s) => s.title === 'Paredão proxy')?.rules[0].value).toBe(syslogId);
      expect(graylog.views.map((v) => v.title).sort()).toEqual(['Paredão — eventos da API em tempo real', 'Paredão — logs']);
      const saved = graylog.views.find((v) => v.type === 'SEARCH') as Json;
      expect(first.searchId).toBe(saved.id);
      const apiStream = graylog.streams.find((s) => s.title === 'Paredão API')?.id;
      const savedSearch = graylog.searches.find((s) => s.id === saved.search_id) as Json;
      expect(savedSearch.queries[0].filter.filters[0].id).toBe(apiStream);
      expect(JSON.stringify(graylog.calls.map((c) => c.body))).not.toMatch(/\{\{/);

      expect(graylog.calls.filter((c) => c.method === 'PUT'), 'a new input starts by itself').toEqual([]);

      const before = graylog.calls.length;
      await provision(api, { waitSeconds: 5 });
      const second = graylog.calls.slice(before);
      expect(second.filter((c) => c.method === 'POST')).toEqual([]);
      expect(second.filter((c) => c.method === 'PUT'), 'running inputs must not be restarted').toEqual([]);
      expect(graylog.inputs).toHaveLength(inputs.length);
      expect(graylog.views).toHaveLength(2);
    });
  });

  it('when an input was stopped, then it starts that one and leaves the running ones alone', async () => {
    const { client, provision } = await import('../../logging/provision/provision.mjs');
    await withGraylog('pw', async (graylog, url) => {
      const api = client({ url, user: 'admin', password: 'pw', log: () => {} });
      await provision(api, { waitSeconds: 5 });
      const stopped = graylog.inputs[0]!.id as string;
      graylog.inputStates.set(stopped, 'FAILED');
      const before = graylog.calls.length;
      await provision(api, { waitSeconds: 5 });
      const puts = graylog.calls.slice(before).filter((c) => c.method === 'PUT').map((c) => c.path);
      expect(puts).toEqual([`/api/system/inputstates/${stopped}`]);
    });
  });

  it('when the password is wrong, then it stops at once and says so', async () => {
    const { client, waitForGraylog } = await import('../../logging/provision/provision.mjs');
    await withGraylog('right', async (_graylog, url) => {
      const api = client({ url, user: 'admin', password: 'wrong', log: () => {} });
      await expect(waitForGraylog(api, 60)).rejects.toThrow(/refused the credentials/);
    });
  });
});

const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
describe.skipIf(skipWithoutTool({ tool: 'nginx', present: nginx, checks: 'the nginx -t check of logging/nginx-syslog.conf' }))('nginx-syslog.conf', () => {
  it('is accepted by nginx -t inside an http block', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paredao-nginx-'));
    try {
      // "graylog" only resolves inside compose; nginx -t resolves the syslog host.
      const snippet = readFileSync(join(LOGGING, 'nginx-syslog.conf'), 'utf8').replaceAll('server=graylog:1514', 'server=127.0.0.1:1514');
      expect(snippet).toMatch(/access_log syslog:server=127\.0\.0\.1:1514,tag=nginx,severity=info json_combined;/);
      writeFileSync(join(dir, 'syslog.conf'), snippet);
      writeFileSync(
        join(dir, 'nginx.conf'),
        `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n  include ${dir}/syslog.conf;\n  server { listen 127.0.0.1:1; }\n}\n`,
      );
      execFileSync(nginx as string, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
