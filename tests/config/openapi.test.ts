import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '@paredao/api/platform/openapi';
import { ContractChecker, type OpenApiDoc } from '@paredao/testkit/openapi-contract';

const doc = buildOpenApiDocument() as unknown as OpenApiDoc & {
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, { enum?: string[] }> }> };
};
const checker = new ContractChecker(doc);
const mode = { total: 1, candidates: [{ id: 'a', name: 'A', votes: 1, percent: 100 }], hourly: [] };
const results = {
  paredaoId: 'p',
  total: 1,
  candidates: [{ id: 'a', name: 'A', votes: 1, percent: 100 }],
  hourly: [],
  updatedAt: '2026-12-01T14:00:00.000Z',
  partialsHidden: false,
  modes: { torcida: mode },
  weights: { unico: 50, torcida: 50 },
  weightsUsed: { unico: 0, torcida: 100 },
};
const hidden = {
  paredaoId: 'p',
  total: 1,
  candidates: [{ id: 'a', name: 'A' }],
  hourly: [{ hour: '2026-12-01T14:00:00.000Z', total: 1 }],
  updatedAt: '2026-12-01T14:00:00.000Z',
  partialsHidden: true,
  modes: { torcida: { total: 1, hourly: [] } },
  weights: { unico: 50, torcida: 50 },
};

describe('the OpenAPI document generated from the contract schemas', () => {
  it('documents what the api does: altcha optional (403 antibot_missing), draft paredões, the admin routes and the images', () => {
    expect(doc.components.schemas.VoteRequest!.required).toEqual(['candidateId']);
    expect(doc.components.schemas.Paredao!.properties!.status!.enum).toEqual(['draft', 'open', 'closed']);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/images/{id}', '/api/admin/login', '/api/admin/paredoes', '/api/admin/paredoes/{id}/open', '/api/admin/paredoes/{id}/export', '/api/admin/images']),
    );
  });

  it('when an answer matches its operation, then the checker finds nothing', () => {
    expect(checker.check({ method: 'GET', path: '/api/results', status: 200, contentType: 'application/json', body: results })).toEqual([]);
    expect(checker.check({ method: 'GET', path: '/api/results', status: 200, contentType: 'application/json', body: hidden })).toEqual([]);
    // Totals only must mean totals only: a hidden view with a participant's votes is not an answer.
    expect(checker.check({ method: 'GET', path: '/api/results', status: 200, contentType: 'application/json', body: { ...hidden, candidates: [{ id: 'a', name: 'A', votes: 1 }] } })).not.toEqual([]);
    expect(checker.check({ method: 'POST', path: '/api/votes', status: 429, contentType: 'application/json', body: { error: { code: 'rate_limited', message: 'm' } } })).toEqual([]);
  });

  it('when an answer lacks a required field, has the wrong type or is not JSON, then the checker says so', () => {
    const { total: _, ...noTotal } = results;
    expect(checker.check({ method: 'GET', path: '/api/results', status: 200, contentType: 'application/json', body: noTotal }).join()).toMatch(/total/);
    expect(checker.check({ method: 'GET', path: '/api/admin/paredoes/x/audit', status: 200, contentType: 'application/json', body: { matches: 'yes' } })).not.toEqual([]);
    expect(checker.check({ method: 'POST', path: '/api/votes', status: 503, contentType: 'text/html', body: undefined })).not.toEqual([]);
  });

  it('when a route is not in the document, then only a JSON 404 error passes', () => {
    expect(checker.check({ method: 'GET', path: '/api/nope', status: 404, contentType: 'application/json', body: { error: { code: 'not_found', message: 'x' } } })).toEqual([]);
    expect(checker.check({ method: 'DELETE', path: '/api/paredao', status: 200, contentType: 'application/json', body: {} })).not.toEqual([]);
  });
});
