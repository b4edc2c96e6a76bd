// A setting that both the proxy's entrypoint and the api read (nginx answers some refusals in the api's
// place: rate limits, overload, origins) must reach both containers from one .env variable, or the two
// answers drift apart (e.g. a Retry-After the operator sets for the api but nginx never sees).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeServices, environmentOf, root } from './compose-model.js';

const proxyReads = new Set(
  [...readFileSync(join(root, 'proxy/15-rate-limit.envsh'), 'utf8').matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!),
);
const apiReads = new Set(
  [...readFileSync(join(root, 'api/src/platform/config.ts'), 'utf8').matchAll(/^ {2}([A-Z][A-Z0-9_]*): z\b/gm)].map((m) => m[1]!),
);
const shared = [...proxyReads].filter((k) => apiReads.has(k)).sort();

/** The keys of `shared` that the two services are not given from the same expression. */
function drifting(proxyEnv: Record<string, string>, apiEnv: Record<string, string>): string[] {
  return shared.filter((k) => proxyEnv[k] === undefined || proxyEnv[k] !== apiEnv[k]);
}

describe('settings the proxy and the api both read', () => {
  const services = composeServices();
  const proxyEnv = environmentOf(services.get('proxy')!.svc);
  const apiEnv = environmentOf(services.get('api')!.svc);

  it('are found in both (so the rule below checks something)', () => {
    expect(shared).toEqual(expect.arrayContaining(['PUBLIC_ORIGINS', 'RATE_LIMIT_PER_IP', 'VOTE_RETRY_AFTER_SECONDS']));
  });

  it('reach both services in compose from the same .env variable and default', () => {
    expect(drifting(proxyEnv, apiEnv)).toEqual([]);
    for (const k of shared) expect(proxyEnv[k], k).toMatch(new RegExp(`^\\$\\{${k}(:-[^}]*)?\\}$`));
  });

  it('the rule catches a setting one of them is not given, or given another default', () => {
    const { VOTE_RETRY_AFTER_SECONDS: _, ...withoutRetry } = proxyEnv;
    expect(drifting(withoutRetry, apiEnv)).toEqual(['VOTE_RETRY_AFTER_SECONDS']);
    expect(drifting({ ...proxyEnv, RATE_LIMIT_PER_IP: '${RATE_LIMIT_PER_IP:-600}' }, apiEnv)).toEqual(['RATE_LIMIT_PER_IP']);
  });
});
