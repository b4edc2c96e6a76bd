// Setup file of the e2e layer (vitest.config.ts): every answer from the api (or nginx in front of it)
// that a test receives through fetch, or that a browser context given to checkBrowserAnswers receives,
// is checked against the OpenAPI document that very server serves at /api/docs, and the file fails
// when one does not match. So the document is tested against real
// answers, not against itself.
import type { BrowserContext } from 'playwright-core';
import { afterAll, expect } from 'vitest';
import { ContractChecker, type OpenApiDoc } from '@paredao/testkit/openapi-contract';

const CHECKED = /^\/(api\/|healthz$|readyz$)/;
const realFetch = globalThis.fetch;
const checkers = new Map<string, Promise<ContractChecker | null>>();
const pending: Promise<void>[] = [];
const problems: string[] = [];
let checked = 0;

/**
 * The document this origin serves, or null: a server with no /api/docs (the consumer's /healthz and
 * /readyz are not the api's contract) is remembered as such; one that cannot answer yet (nginx 502
 * while the api starts) is asked again for the next answer, and answers meanwhile go unchecked.
 */
function checkerFor(origin: string): Promise<ContractChecker | null> {
  let c = checkers.get(origin);
  if (!c) {
    c = realFetch(`${origin}/api/docs`)
      .then(async (res) => {
        if (res.ok) return new ContractChecker((await res.json()) as OpenApiDoc);
        if (res.status !== 404) checkers.delete(origin);
        return null;
      })
      .catch(() => {
        checkers.delete(origin);
        return null;
      });
    checkers.set(origin, c);
  }
  return c;
}

interface Received {
  method: string;
  url: URL;
  status: number;
  contentType: string;
  /** Reads a copy of the JSON body. */
  json(): Promise<unknown>;
  /** A browser may no longer hold the body (the page navigated on): then the answer goes unchecked. */
  bodyMayBeGone?: boolean;
}

const GONE = Symbol('body gone');

async function check(a: Received): Promise<void> {
  // Only JSON bodies are read: an event stream never ends, an image needs no schema.
  const body = a.contentType.includes('json') ? await a.json().catch(() => (a.bodyMayBeGone ? GONE : '(not JSON)')) : undefined;
  if (body === GONE) return;
  const checker = await checkerFor(a.url.origin);
  if (!checker) return;
  checked++;
  problems.push(...checker.check({ method: a.method, path: a.url.pathname, status: a.status, contentType: a.contentType, body }));
}

function record(a: Received): void {
  if (!/^https?:$/.test(a.url.protocol) || !CHECKED.test(a.url.pathname) || a.url.pathname === '/api/docs') return;
  pending.push(check(a).catch((err: Error) => void problems.push(`${a.method} ${a.url.pathname}: ${err.message}`)));
}

globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
  const res = await realFetch(input, init);
  record({
    method: (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase(),
    url: new URL(input instanceof Request ? input.url : String(input)),
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    json: () => res.clone().json(),
  });
  return res;
};

/** What a browser receives counts too: the pages' own calls to the api, checked the same way. */
export function checkBrowserAnswers(context: BrowserContext): void {
  context.on('response', (res) => {
    record({
      method: res.request().method(),
      url: new URL(res.url()),
      status: res.status(),
      contentType: res.headers()['content-type'] ?? '',
      json: () => res.json(),
      bodyMayBeGone: true,
    });
  });
}

afterAll(async () => {
  await Promise.all(pending);
  globalThis.fetch = realFetch;
  expect(problems, `${problems.length} of ${checked} api answers do not match the served OpenAPI document (api/src/platform/openapi.ts, contract/src/contract.ts)`).toEqual([]);
});
