// Provisions Graylog for Paredão through its REST API (Graylog 6.1): inputs, extractors, streams,
// the saved search and the dashboard whose payloads sit next to this file. Idempotent: everything is
// looked up by title first, so running it again changes nothing. No npm dependencies (global fetch).
//
// Env: GRAYLOG_URL (http://graylog:9000), GRAYLOG_USER (admin), GRAYLOG_PASSWORD (required),
//      GRAYLOG_WAIT_SECONDS (how long to wait for the API, default 300).
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export async function loadPayload(name) {
  return JSON.parse(await readFile(join(HERE, name), 'utf8'));
}

/**
 * Replaces {{INDEX_SET}}, {{SEARCH_ID}}, {{STREAM:<title>}} and {{INPUT:<title>}} in every string of
 * a payload. An unknown placeholder is an error, never sent to Graylog as text.
 */
export function substitute(value, ids) {
  if (typeof value === 'string') {
    return value.replace(/\{\{([A-Z_]+)(?::([^}]+))?\}\}/g, (whole, kind, title) => {
      const table = { INDEX_SET: ids.indexSet, SEARCH_ID: ids.searchId, STREAM: ids.streams?.[title], INPUT: ids.inputs?.[title] };
      const found = table[kind];
      if (typeof found !== 'string') throw new Error(`no id for placeholder ${whole}`);
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, ids));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, substitute(inner, ids)]));
  }
  return value;
}

export function client({ url, user, password, log = console.log }) {
  const base = url.replace(/\/+$/, '');
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  async function request(method, path, body) {
    const headers = { Accept: 'application/json', Authorization: auth };
    // Graylog rejects every non-GET request without it (CSRF protection).
    if (method !== 'GET') headers['X-Requested-By'] = 'paredao-provision';
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${base}/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${method} /api${path} → ${response.status} ${response.statusText}: ${text.slice(0, 500)}`);
    }
    return text === '' ? undefined : JSON.parse(text);
  }

  return {
    log,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
    put: (path, body) => request('PUT', path, body),
  };
}

export async function waitForGraylog(api, seconds) {
  const deadline = Date.now() + seconds * 1000;
  let last = '';
  for (;;) {
    try {
      const sets = await api.get('/system/indices/index_sets?skip=0&limit=0&stats=false');
      const fallback = sets.index_sets?.find((set) => set.default === true);
      if (fallback) return fallback.id;
      last = 'no default index set yet';
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
      // Wrong credentials will not fix themselves.
      if (/→ 401/.test(last)) throw new Error(`Graylog refused the credentials (GRAYLOG_USER/GRAYLOG_PASSWORD): ${last}`);
    }
    if (Date.now() > deadline) throw new Error(`Graylog API not ready after ${seconds}s: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
}

/** Inputs that run (or are starting) on the node this script talks to, by id. */
async function activeInputIds(api) {
  const { states = [] } = await api.get('/system/inputstates');
  return new Set(states.filter((s) => s.state === 'RUNNING' || s.state === 'STARTING').map((s) => s.id));
}

async function ensureInputs(api, payloads) {
  const { inputs: existing = [] } = await api.get('/system/inputs');
  const active = await activeInputIds(api);
  const ids = {};
  for (const payload of payloads) {
    let id = existing.find((input) => input.title === payload.title)?.id;
    if (!id) {
      // Graylog launches a new input itself.
      ({ id } = await api.post('/system/inputs', payload));
      api.log(`input "${payload.title}" created (${id})`);
    } else if (active.has(id)) {
      api.log(`input "${payload.title}" exists and runs (${id})`);
    } else {
      // Only a stopped or failed input: PUT /system/inputstates/{id} stops and restarts a running
      // one (graylog2-server 6.1, InputStatesResource.start), dropping what arrives meanwhile.
      await api.put(`/system/inputstates/${id}`);
      api.log(`input "${payload.title}" was not running (${id}): started`);
    }
    ids[payload.title] = id;
  }
  return ids;
}

async function ensureExtractors(api, entries, inputIds) {
  for (const { input, extractor } of entries) {
    const inputId = inputIds[input];
    if (!inputId) throw new Error(`extractor "${extractor.title}" names unknown input "${input}"`);
    const { extractors = [] } = await api.get(`/system/inputs/${inputId}/extractors`);
    if (extractors.some((existing) => existing.title === extractor.title)) {
      api.log(`extractor "${extractor.title}" exists`);
      continue;
    }
    await api.post(`/system/inputs/${inputId}/extractors`, extractor);
    api.log(`extractor "${extractor.title}" created`);
  }
}

async function ensureStreams(api, payloads, ids) {
  const { streams: existing = [] } = await api.get('/streams');
  const streamIds = {};
  for (const raw of payloads) {
    const payload = substitute(raw, ids);
    const found = existing.find((stream) => stream.title === payload.title);
    let id = found?.id;
    if (id) {
      api.log(`stream "${payload.title}" exists (${id})`);
    } else {
      ({ stream_id: id } = await api.post('/streams', payload));
      api.log(`stream "${payload.title}" created (${id})`);
    }
    // New streams start paused.
    if (!found || found.disabled) await api.post(`/streams/${id}/resume`);
    streamIds[payload.title] = id;
  }
  return streamIds;
}

async function findView(api, title, type) {
  for (let page = 1; ; page++) {
    const result = await api.get(`/views?page=${page}&per_page=100&sort=title&order=asc`);
    const views = result.views ?? result.elements ?? [];
    const match = views.find((view) => view.title === title && view.type === type);
    if (match) return match;
    if (views.length < 100) return undefined;
  }
}

/** A saved search or dashboard: the search first (POST /views/search), then the view pointing at it. */
async function ensureView(api, payload, ids) {
  const { title, type } = payload.view;
  const existing = await findView(api, title, type);
  if (existing) {
    api.log(`${type.toLowerCase()} "${title}" exists (${existing.id})`);
    return existing.id;
  }
  const search = await api.post('/views/search', substitute(payload.search, ids));
  const view = await api.post('/views', substitute(payload.view, { ...ids, searchId: search.id }));
  api.log(`${type.toLowerCase()} "${title}" created (${view.id})`);
  return view.id;
}

export async function provision(api, { waitSeconds = 300 } = {}) {
  const indexSet = await waitForGraylog(api, waitSeconds);
  const inputs = await ensureInputs(api, await loadPayload('inputs.json'));
  await ensureExtractors(api, await loadPayload('extractors.json'), inputs);
  const streams = await ensureStreams(api, await loadPayload('streams.json'), { indexSet, inputs });
  const ids = { indexSet, inputs, streams };
  const searchId = await ensureView(api, await loadPayload('search-api-live.json'), ids);
  const dashboardId = await ensureView(api, await loadPayload('dashboard-logs.json'), ids);
  return { inputs, streams, searchId, dashboardId };
}

async function main() {
  const password = process.env.GRAYLOG_PASSWORD;
  if (!password) throw new Error('GRAYLOG_PASSWORD is required');
  const url = process.env.GRAYLOG_URL ?? 'http://graylog:9000';
  const api = client({ url, user: process.env.GRAYLOG_USER ?? 'admin', password });
  const result = await provision(api, { waitSeconds: Number(process.env.GRAYLOG_WAIT_SECONDS ?? 300) });
  console.log(`saved search: /search/${result.searchId}`);
  console.log(`dashboard:    /dashboards/${result.dashboardId}  (TV: /dashboards/tv/${result.dashboardId}?refresh=5)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(`graylog provisioning failed: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  });
}
