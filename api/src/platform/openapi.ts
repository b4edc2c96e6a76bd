// The OpenAPI document served at GET /api/docs, generated from the zod schemas of the one HTTP contract
// (contract/src/contract.ts) that the api validates with, so the document cannot drift from the code.
// tests/support/record-answers.ts checks every answer the e2e suite receives against the served document.
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { adminResultsSchema, antibotSettingSchema, hiddenResultsSchema, votingSchema, antibotRefusalSchema, auditSchema, challengeSchema, errorSchema, exportSchema, healthSchema, imageUploadedSchema, loginRequestSchema, paredaoInputSchema, voterCeremonySchema, voterMeSchema, unicoVoteRequestSchema, unicoVoteAcceptedSchema, alreadyVotedSchema, voterRegisterOptionsRequestSchema, voterVerifyRequestSchema, paredaoSchema, readinessSchema, resultsSchema, sessionSchema, voteAcceptedSchema, voteRequestSchema } from '@paredao/contract';
import { z } from 'zod';

// Named schemas become entries of components/schemas, referred to by $ref: zod's own metadata (`id`),
// which the generator reads. Set once, at load, because zod keeps it in its global registry.
const ErrorBody = errorSchema.meta({ id: 'Error' });
const Paredao = paredaoSchema.meta({ id: 'Paredao' });
const Results = resultsSchema.meta({ id: 'Results' });
const HiddenResults = hiddenResultsSchema.meta({ id: 'HiddenResults' });
const PublicResults = z.discriminatedUnion('partialsHidden', [Results, HiddenResults]).meta({ id: 'PublicResults' });
const Voting = votingSchema.meta({ id: 'Voting' });
const Challenge = challengeSchema.meta({ id: 'Challenge' });
const VoteRequest = voteRequestSchema.meta({ id: 'VoteRequest' });
const ParedaoInput = paredaoInputSchema.meta({ id: 'ParedaoInput' });
const AdminResults = adminResultsSchema.meta({ id: 'AdminResults' });

export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();

  const json = (schema: z.ZodType, description: string): ResponseConfig => ({ description, content: { 'application/json': { schema } } });
  const error = (description: string): ResponseConfig => json(ErrorBody, description);
  const retryLater = (description: string): ResponseConfig => ({
    ...error(description),
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
  });
  // Any status an operation does not list (a 500, an nginx 502) still carries the error shape.
  const otherwise = { default: error('Any other failure') };
  const noContent = { description: 'Done' };
  const idParam = z.object({ id: z.string() });
  const unauthenticated = { 401: error('`unauthenticated`: log in first (session cookie)') };
  // Admin state changes: Origin / Sec-Fetch-Site must name our own origin (api/src/admin/auth.ts, sameOrigin).
  const crossOrigin = { 403: error('`cross_origin`: sent from another site (Origin or Sec-Fetch-Site)') };
  const adminChange = { ...unauthenticated, ...crossOrigin };

  const path = (method: 'get' | 'post' | 'put' | 'delete', route: string, summary: string, responses: Record<string, ResponseConfig>, extra: object = {}) =>
    registry.registerPath({ method, path: route, summary, responses: { ...responses, ...otherwise }, ...extra });

  path('get', '/api/paredao', 'The current paredão', { 200: json(Paredao, 'The current paredão'), 404: error('`no_paredao`') });
  path('get', '/api/challenge', 'A fresh single-use ALTCHA v2 challenge (never cached)', { 200: json(Challenge, 'A challenge for the widget to solve') });
  path(
    'post',
    '/api/votes',
    'Cast a vote; 202 only once the broker has confirmed it',
    {
      202: json(voteAcceptedSchema, "Accepted and confirmed by the broker, with a fresh challenge for the voter's next vote"),
      400: error('`invalid_body`, `unknown_candidate`'),
      403: json(
        antibotRefusalSchema,
        '`antibot_missing`, `antibot_malformed`, `antibot_invalid`, `antibot_expired`, `antibot_replayed`, `antibot_honeypot`; carries a fresh `challenge` to solve instead',
      ),
      409: error('`voting_closed`, or `torcida_off` (the paredão has Voto Único only)'),
      413: error('`payload_too_large`'),
      415: error('`unsupported_media_type`'),
      429: retryLater('`rate_limited`'),
      503: retryLater('`overloaded` (this api process, or nginx in front of it, is at its bound of votes in flight: come back after `Retry-After`), `broker_unavailable`, `arbiter_unavailable` (the host\'s cluster primary did not answer a claim in time), `claims_unavailable` (PROOF_CLAIMS=store and the store did not take the proof\'s claim), or `api_unavailable` (from nginx: no api process took the vote, one being restarted, say)'),
    },
    { request: { body: { required: true, content: { 'application/json': { schema: VoteRequest } } } } },
  );
  path('get', '/api/results', 'Totals overall, per participant and per UTC hour, per vote mode, and the weighted final percentages (a snapshot refreshed every second)', {
    200: json(
      PublicResults,
      'The results of the current paredão: in full (`partialsHidden: false`), or totals only (`partialsHidden: true`) while voting is open on a paredão that hides partials',
    ),
    404: error('`no_paredao`'),
  });
  path('get', '/api/results/stream', 'Server-Sent Events: `paredao` events with the current paredão, data events with the Results', {
    200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
    503: retryLater('`stream_full`: too many live streams (per address at nginx, or in this api process); poll `/api/results` instead'),
  });
  path(
    'get',
    '/api/images/{id}',
    'A participant photo uploaded by the production team (cached for good: ids are never reused)',
    {
      200: { description: 'The image', content: { 'image/png': { schema: z.string() }, 'image/jpeg': { schema: z.string() }, 'image/webp': { schema: z.string() } } },
      404: error('`not_found`'),
    },
    { request: { params: idParam } },
  );
  path('get', '/api/docs', 'This document', { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: z.object({ openapi: z.string() }) } } } });
  path('get', '/healthz', 'Liveness', { 200: json(healthSchema, 'alive') });
  path('get', '/readyz', 'Readiness: broker channel and store usable now', { 200: json(readinessSchema, 'ready'), 503: json(readinessSchema, 'not ready, and why') });
  path('get', '/metrics', 'Prometheus metrics', { 200: { description: 'text exposition format', content: { 'text/plain': { schema: z.string() } } } });

  // Voto Único's voter accounts: a passkey per account, a CPF per account, a session cookie after sign-in.
  const VoterCeremony = voterCeremonySchema.meta({ id: 'VoterCeremony' });
  const VoterMe = voterMeSchema.meta({ id: 'VoterMe' });
  const voterVerifyBody = { body: { required: true, content: { 'application/json': { schema: voterVerifyRequestSchema } } } };
  const voterLimited = { 429: retryLater('`rate_limited`: too many sign-ups or passkey ceremonies from this address') };
  const ceremonyRefused = { 400: error('`invalid_body`, `ceremony_expired` (unknown, used or expired `ceremonyId`)'), 401: error('`passkey_invalid`') };
  path(
    'post',
    '/api/voters/register/options',
    'Start a Voto Único sign-up: the CPF (check digits, then the CPF provider) and a solved proof; gives the passkey creation options',
    {
      200: json(VoterCeremony, 'Options for navigator.credentials.create, and the ceremony id to answer with'),
      400: error('`invalid_body`, `invalid_cpf`'),
      403: error('`antibot_missing`, `antibot_malformed`, `antibot_invalid`, `antibot_expired`, `antibot_replayed`, `cross_origin`'),
      422: error('`cpf_refused`: the CPF provider did not confirm this CPF'),
      ...voterLimited,
      503: retryLater('`verifier_unavailable`: the CPF provider did not answer (docs/CPF-VERIFIER.md)'),
    },
    { request: { body: { required: true, content: { 'application/json': { schema: voterRegisterOptionsRequestSchema } } } } },
  );
  path(
    'post',
    '/api/voters/register/verify',
    'Finish the sign-up with the new passkey: creates the account and signs in (sets the voter cookie)',
    { 201: json(VoterMe, 'The new account, signed in'), ...ceremonyRefused, ...crossOrigin, 409: error('`cpf_registered`: this CPF already has an account'), ...voterLimited },
    { request: voterVerifyBody },
  );
  path('post', '/api/voters/login/options', 'Start a passkey sign-in (any passkey of this site)', {
    200: json(VoterCeremony, 'Options for navigator.credentials.get, and the ceremony id to answer with'),
    ...crossOrigin,
    ...voterLimited,
  });
  path(
    'post',
    '/api/voters/login/verify',
    'Finish the sign-in: sets the voter cookie',
    { 200: json(VoterMe, 'Signed in'), ...ceremonyRefused, ...crossOrigin, ...voterLimited },
    { request: voterVerifyBody },
  );
  path('get', '/api/voters/me', 'The signed-in voter (CPF masked)', { 200: json(VoterMe, 'The account'), 401: error('`unauthenticated`') });
  path('post', '/api/voters/logout', 'Sign out: ends the session in the store and clears the cookie', { 204: noContent, ...crossOrigin });
  path(
    'post',
    '/api/voters/vote',
    "The signed-in voter's one Voto Único in the open paredão (docs/decisions/0005-voto-unico.md): claimed in the store, then 202 once the broker confirmed it",
    {
      202: json(unicoVoteAcceptedSchema, 'Claimed for this person and confirmed by the broker'),
      400: error('`invalid_body`, `unknown_candidate`'),
      401: error('`unauthenticated`: sign in with a passkey first (voter cookie)'),
      ...crossOrigin,
      409: {
        description: '`already_voted` (this person has voted in this paredão: `candidateId` says for whom), or `voting_closed`, `unico_off` (an `Error` body)',
        content: { 'application/json': { schema: z.union([alreadyVotedSchema.meta({ id: 'AlreadyVoted' }), ErrorBody]) } },
      },
      413: error('`payload_too_large`'),
      415: error('`unsupported_media_type`'),
      429: retryLater('`rate_limited` (the per-address limit the Torcida vote counts against too)'),
      503: retryLater(
        '`overloaded`, or `broker_unavailable` after the claim: the vote is kept and counted later (the sweeper); a retry answers 409 `already_voted` with this same candidate',
      ),
    },
    { request: { body: { required: true, content: { 'application/json': { schema: unicoVoteRequestSchema } } } } },
  );
  path('delete', '/api/voters/me', 'Delete the signed-in account (LGPD): account, passkeys and sessions; a Único vote stays counted, with no key back to the person', {
    204: noContent,
    401: error('`unauthenticated`'),
    ...crossOrigin,
  });

  // The production team's API: a session cookie from /api/admin/login, then every route below.
  path(
    'post',
    '/api/admin/login',
    'Log in: sets the session cookie',
    { 204: noContent, 401: error('`invalid_credentials`'), ...crossOrigin, 429: retryLater('`rate_limited`: too many logins from this address (nginx) or failed logins (api)') },
    { request: { body: { required: true, content: { 'application/json': { schema: loginRequestSchema } } } } },
  );
  path('post', '/api/admin/logout', 'Log out: ends the session in the store (on every api instance) and clears the cookie', { 204: noContent, ...crossOrigin });
  path('get', '/api/admin/antibot', 'The anti-bot difficulty new challenges get', { 200: json(antibotSettingSchema, 'The difficulty'), ...unauthenticated });
  path(
    'put',
    '/api/admin/antibot',
    'Set the anti-bot difficulty without a restart (every api instance applies it within a refresh)',
    { 200: json(antibotSettingSchema, 'The difficulty, as stored'), 400: error('`invalid_body`'), ...adminChange },
    { request: { body: { required: true, content: { 'application/json': { schema: antibotSettingSchema } } } } },
  );
  path('get', '/api/admin/session', 'Who is logged in, until when', { 200: json(sessionSchema, 'The session'), ...unauthenticated });
  path('get', '/api/admin/paredoes', 'Every paredão, drafts included', { 200: json(z.array(Paredao), 'The paredões'), ...unauthenticated });
  const draftBody = { body: { required: true, content: { 'application/json': { schema: ParedaoInput } } } };
  path('post', '/api/admin/paredoes', 'Create a draft', { 201: json(Paredao, 'The new draft'), 400: error('`invalid_paredao`'), ...adminChange }, { request: draftBody });
  path(
    'put',
    '/api/admin/paredoes/{id}',
    'Edit a draft',
    { 200: json(Paredao, 'The draft as saved'), 400: error('`invalid_paredao`'), 404: error('`not_found`'), 409: error('`not_draft`'), ...adminChange },
    { request: { ...draftBody, params: idParam } },
  );
  path(
    'put',
    '/api/admin/paredoes/{id}/voting',
    "A draft's voting rules: modes on, weights (percent, adding up to 100), partials shown while open; recorded in the paredão's votingChanges with who and when",
    { 200: json(Paredao, 'The draft with its rules'), 400: error('`invalid_voting`'), 404: error('`not_found`'), 409: error('`voting_locked`: voting has opened'), ...adminChange },
    { request: { params: idParam, body: { required: true, content: { 'application/json': { schema: Voting } } } } },
  );
  path(
    'post',
    '/api/admin/paredoes/{id}/open',
    'Open voting (one paredão open at a time)',
    { 200: json(Paredao, 'The paredão, open'), 404: error('`not_found`'), 409: error('`not_draft`, `another_open`'), ...adminChange },
    { request: { params: idParam } },
  );
  path(
    'post',
    '/api/admin/paredoes/{id}/close',
    'Close voting (votes accepted until then still count)',
    { 200: json(Paredao, 'The paredão, closed'), 404: error('`not_found`'), 409: error('`not_open`'), ...adminChange },
    { request: { params: idParam } },
  );
  path(
    'get',
    '/api/admin/paredoes/{id}/results',
    'Results of any paredão',
    { 200: json(AdminResults, 'Its results'), 404: error('`not_found`'), ...unauthenticated },
    { request: { params: idParam } },
  );
  path(
    'get',
    '/api/admin/paredoes/{id}/export',
    'The final result as a download: JSON (paredão and results) or CSV (one row per participant)',
    {
      200: { description: 'The export', content: { 'application/json': { schema: exportSchema }, 'text/csv': { schema: z.string() } } },
      404: error('`not_found`'),
      ...unauthenticated,
    },
    { request: { params: idParam, query: z.object({ format: z.enum(['json', 'csv']).optional() }) } },
  );
  path(
    'get',
    '/api/admin/paredoes/{id}/audit',
    'Recount the stored vote records and compare them with the tallies',
    { 200: json(auditSchema, 'The comparison'), 404: error('`not_found`'), ...unauthenticated },
    { request: { params: idParam } },
  );
  path(
    'post',
    '/api/admin/images',
    'Upload a participant photo (PNG, JPEG or WebP by its first bytes, at most 1 MB)',
    { 201: json(imageUploadedSchema, 'Where it is served'), 413: error('`payload_too_large`'), 415: error('`unsupported_media_type`'), ...adminChange },
    { request: { body: { required: true, content: { 'image/png': { schema: z.string() }, 'image/jpeg': { schema: z.string() }, 'image/webp': { schema: z.string() } } } } },
  );

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Paredão API',
      version: '1.0.0',
      description: 'Votes for the Big Brother Brasil eviction wall. Every vote carries a solved ALTCHA proof of work.',
    },
    servers: [{ url: '/' }],
  });
}
