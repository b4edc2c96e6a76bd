// Setup file of the e2e layer (vitest.config.ts): every answer a test receives through fetch from the
// api (or nginx in front of it) is checked against the OpenAPI document that very server serves at
// /api/docs, and the file fails when one does not match. So the document is tested against real
// answers, not against itself.
import { afterAll, expect } from 'vitest';
import { ContractChecker, type OpenApiDoc } from './contract.js';

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

async function check(method: string, url: URL, res: Response): Promise<void> {
  const contentType = res.headers.get('content-type') ?? '';
  // Only JSON bodies are read (a copy): an event stream never ends, an image needs no schema.
  const body = contentType.includes('json') ? await res.clone().json().catch(() => '(not JSON)') : undefined;
  const checker = await checkerFor(url.origin);
  if (!checker) return;
  checked++;
  problems.push(...checker.check({ method, path: url.pathname, status: res.status, contentType, body }));
}

globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
  const res = await realFetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  if (/^https?:$/.test(url.protocol) && CHECKED.test(url.pathname) && url.pathname !== '/api/docs') {
    pending.push(check(method, url, res).catch((err: Error) => void problems.push(`${method} ${url.pathname}: ${err.message}`)));
  }
  return res;
};

afterAll(async () => {
  await Promise.all(pending);
  globalThis.fetch = realFetch;
  expect(problems, `${problems.length} of ${checked} api answers do not match the served OpenAPI document (api/src/openapi.ts, core/src/contract.ts)`).toEqual([]);
});
