/** The API contract (SPEC.md, HTTP contract) as OpenAPI 3.1, served at GET /api/docs. */
const error = {
  description: 'Error',
  content: {
    'application/json': {
      schema: { $ref: '#/components/schemas/Error' },
    },
  },
};
const retryAfter = { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before retrying' } };

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Paredão API',
    version: '1.0.0',
    description: 'Votes for the Big Brother Brasil eviction wall. Every vote carries a solved ALTCHA proof of work.',
  },
  servers: [{ url: '/' }],
  paths: {
    '/api/paredao': {
      get: {
        summary: 'The current paredão',
        responses: { 200: { description: 'OK', content: { 'application/json': { schema: { $ref: '#/components/schemas/Paredao' } } } } },
      },
    },
    '/api/challenge': {
      get: {
        summary: 'A fresh single-use ALTCHA v2 challenge (SHA-256, deterministic mode)',
        responses: { 200: { description: 'ALTCHA challenge', content: { 'application/json': { schema: { $ref: '#/components/schemas/Challenge' } } } } },
      },
    },
    '/api/votes': {
      post: {
        summary: 'Cast a vote; 202 only once the broker has confirmed it',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['candidateId', 'altcha'],
                properties: {
                  candidateId: { type: 'string', maxLength: 64 },
                  altcha: { type: 'string', description: 'The ALTCHA widget payload (base64 JSON of challenge and solution)' },
                  website: { type: 'string', description: 'Honeypot; must be empty' },
                },
              },
            },
          },
        },
        responses: {
          202: {
            description: "Accepted and confirmed by the broker; `challenge` is a fresh challenge for the voter's next vote (no GET /api/challenge needed)",
            content: {
              'application/json': {
                schema: { type: 'object', properties: { voteId: { type: 'string' }, challenge: { $ref: '#/components/schemas/Challenge' } }, required: ['voteId', 'challenge'] },
              },
            },
          },
          400: error,
          403: {
            description: 'Anti-bot proof missing, malformed, forged, expired or already used (`antibot_*`); carries a fresh `challenge` to solve instead',
            content: {
              'application/json': {
                schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { type: 'object', properties: { challenge: { $ref: '#/components/schemas/Challenge' } }, required: ['challenge'] }] },
              },
            },
          },
          409: error,
          413: error,
          415: error,
          429: { ...error, headers: retryAfter },
          503: { ...error, headers: retryAfter },
        },
      },
    },
    '/api/results': {
      get: {
        summary: 'Totals overall, per participant and per UTC hour (a snapshot refreshed every second)',
        responses: { 200: { description: 'OK', content: { 'application/json': { schema: { $ref: '#/components/schemas/Results' } } } } },
      },
    },
    '/api/results/stream': {
      get: {
        summary: 'The results object pushed as Server-Sent Events whenever it changes',
        responses: { 200: { description: 'text/event-stream of Results', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
      },
    },
    '/healthz': { get: { summary: 'Liveness', responses: { 200: { description: 'alive' } } } },
    '/readyz': { get: { summary: 'Readiness: broker channel and store usable now', responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } } },
  },
  components: {
    schemas: {
      Challenge: {
        type: 'object',
        description: 'An ALTCHA v2 challenge (altcha-lib 2.x format): solve it with the altcha widget or altcha-lib',
        required: ['parameters', 'signature'],
        properties: { parameters: { type: 'object' }, signature: { type: 'string' } },
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
      },
      Paredao: {
        type: 'object',
        required: ['id', 'title', 'status', 'candidates'],
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          status: { enum: ['open', 'closed'] },
          candidates: {
            type: 'array',
            minItems: 2,
            maxItems: 4,
            items: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' }, imageUrl: { type: 'string' } } },
          },
          opensAt: { type: 'string', format: 'date-time' },
          closesAt: { type: 'string', format: 'date-time' },
        },
      },
      Results: {
        type: 'object',
        required: ['paredaoId', 'total', 'candidates', 'hourly', 'updatedAt'],
        properties: {
          paredaoId: { type: 'string' },
          total: { type: 'integer' },
          candidates: {
            type: 'array',
            items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, votes: { type: 'integer' }, percent: { type: 'number' } } },
          },
          hourly: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                hour: { type: 'string', format: 'date-time' },
                total: { type: 'integer' },
                byCandidate: { type: 'object', additionalProperties: { type: 'integer' } },
              },
            },
          },
          updatedAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;
