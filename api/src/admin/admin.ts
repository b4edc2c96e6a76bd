import { randomBytes } from 'node:crypto';
import { antibotSettingSchema, buildResults, paredaoInputSchema, VOTE_MODES, votingSchema, type AdminResults, type Audit, type ModeTally, type Paredao, type Session } from '@paredao/contract';
import { draftFromInput, type Store } from '@paredao/core';
import express, { Router, type Request } from 'express';
import { rateLimit, type Store as RateLimitStore } from 'express-rate-limit';
import type { ParedaoService } from '../paredoes/paredoes.js';
import { AppError } from '../platform/errors.js';
import type { Antibot } from '../votes/antibot.js';
import type { Auth } from './auth.js';
import { sameOriginOnly, sessionOf } from './auth.js';
import { csvField } from './csv.js';
import { createImageCodec, IMAGE_MAX_PIXELS, ImageRefused, sniffImageType, type ImageType } from './image-type.js';

/** Store setting that holds the anti-bot difficulty set at run time; every api instance applies it on its next refresh. */
export const ANTIBOT_DIFFICULTY_SETTING = 'antibot.difficulty';

export interface AdminDeps {
  store: Store;
  auth: Auth;
  antibot: Antibot;
  paredoes: ParedaoService;
  /** Votes accepted up to this long after "close" still count: every instance learns of the close within a refresh. */
  closeGraceMs: number;
  /** PUBLIC_ORIGINS: the only origins admin changes may come from. */
  publicOrigins: readonly string[];
  now: () => number;
  /** Where failed logins are counted: the host's one count in a cluster (cluster-arbiter.ts), else in-process. */
  loginLimitStore?: RateLimitStore;
}

const IMAGE_TYPES = new Set<string>(['image/png', 'image/jpeg', 'image/webp'] satisfies ImageType[]);

/** The production team's API: login, paredões as data, open/close, results, export, audit. */
export function adminRouter({ store, auth, antibot, paredoes, closeGraceMs, publicOrigins, now, loginLimitStore }: AdminDeps): Router {
  // Strict and case-sensitive like the app (app.ts): one spelling of each route, the one nginx limits.
  const r = Router({ strict: true, caseSensitive: true });
  const images = createImageCodec();
  // Every admin answer (sessions, drafts, results, refusals) is for the operator alone: never kept by a
  // browser's or a shared cache.
  r.use('/api/admin', (_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  });
  r.use('/api/admin', sameOriginOnly(publicOrigins));
  const json = express.json({ limit: '64kb' });

  const loginLimiter = rateLimit({
    windowMs: 15 * 60_000,
    limit: 20,
    skipSuccessfulRequests: true,
    store: loginLimitStore,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new AppError(429, 'rate_limited', 'Muitas tentativas de login. Aguarde alguns minutos.', { 'Retry-After': '300' })),
  });

  r.post('/api/admin/login', loginLimiter, json, async (req, res) => {
    const body = (req.body ?? {}) as { username?: unknown; password?: unknown };
    const token = await auth.login(body.username, body.password);
    req.log.info({ username: body.username, secure: req.secure }, 'admin logged in');
    res.setHeader('set-cookie', auth.cookie(token, req.secure));
    res.status(204).end();
  });

  r.post('/api/admin/logout', async (req, res) => {
    // Ends the session in the store: a copy of the cookie stops working too, on every instance.
    await auth.logout(auth.tokenOf(req));
    res.setHeader('set-cookie', auth.clearCookies(req.secure));
    res.status(204).end();
  });

  r.use('/api/admin', auth.required);

  r.get('/api/admin/session', (req, res) => {
    const s = sessionOf(req);
    // `satisfies`: the answers below are the contract's types (contract/src/contract.ts, /api/docs).
    res.json({ username: s.username, expiresAt: new Date(s.expiresAt).toISOString() } satisfies Session);
  });

  // The anti-bot difficulty without a restart: raised during an attack, lowered after.
  r.get('/api/admin/antibot', (_req, res) => {
    res.set('cache-control', 'no-store').json({ difficulty: antibot.difficulty });
  });

  r.put('/api/admin/antibot', json, async (req, res) => {
    const parsed = antibotSettingSchema.safeParse(req.body);
    if (!parsed.success) throw new AppError(400, 'invalid_body', 'Envie { "difficulty": inteiro de 1 a 100000 }.');
    await store.putSetting(ANTIBOT_DIFFICULTY_SETTING, parsed.data.difficulty);
    antibot.setDifficulty(parsed.data.difficulty);
    req.log.info({ difficulty: parsed.data.difficulty, username: sessionOf(req).username }, 'anti-bot difficulty set');
    res.json({ difficulty: parsed.data.difficulty });
  });

  r.get('/api/admin/paredoes', async (_req, res) => {
    res.set('cache-control', 'no-store').json(await store.listParedoes());
  });

  const parseInput = (req: Request) => {
    const parsed = paredaoInputSchema.safeParse(req.body);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new AppError(400, 'invalid_paredao', `Paredão inválido${i ? ` (${i.path.join('.') || 'corpo'}: ${i.message})` : ''}.`);
    }
    return parsed.data;
  };

  const load = async (id: string): Promise<Paredao> => {
    const p = await store.getParedao(id);
    if (!p) throw new AppError(404, 'not_found', 'Paredão inexistente.');
    return p;
  };

  const conflict = (code: string): AppError =>
    new AppError(409, code, {
      not_draft: 'Só um rascunho pode ser alterado ou aberto.',
      voting_locked: 'As regras de votação ficam fixas depois que a votação abre.',
      not_open: 'Este paredão não está aberto.',
      another_open: 'Já existe um paredão aberto: encerre-o antes.',
      not_found: 'Paredão inexistente.',
    }[code] ?? code);

  r.post('/api/admin/paredoes', json, async (req, res) => {
    const draft = draftFromInput(parseInput(req), new Date(now()));
    await store.insertParedao(draft);
    req.log.info({ paredaoId: draft.id, username: sessionOf(req).username }, 'paredão created');
    res.status(201).json(draft);
  });

  r.put('/api/admin/paredoes/:id', json, async (req, res) => {
    const cur = await load(String(req.params.id));
    const next = { ...draftFromInput(parseInput(req), new Date(now()), cur.id), createdAt: cur.createdAt };
    const result = await store.updateDraft(next);
    if (!result.ok) throw conflict(result.code);
    res.json(result.paredao);
  });

  // The voting rules (modes, weights, partials) of a draft. Fixed once voting opens: the store refuses
  // then, whichever instance asks. Each change is kept with the paredão: who set what, and when.
  r.put('/api/admin/paredoes/:id/voting', json, async (req, res) => {
    const parsed = votingSchema.safeParse(req.body);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new AppError(400, 'invalid_voting', `Regras de votação inválidas${i ? ` (${i.path.join('.') || 'corpo'}: ${i.message})` : ''}.`);
    }
    const id = String(req.params.id);
    await load(id);
    const voting = { ...parsed.data, modes: VOTE_MODES.filter((m) => parsed.data.modes.includes(m)) };
    const username = sessionOf(req).username;
    const result = await store.setVoting(id, voting, { at: new Date(now()).toISOString(), by: username });
    if (!result.ok) throw conflict(result.code === 'not_draft' ? 'voting_locked' : result.code);
    req.log.info({ paredaoId: id, voting, username }, 'voting rules set');
    res.json(result.paredao);
  });

  r.post('/api/admin/paredoes/:id/open', async (req, res) => {
    await load(String(req.params.id));
    const result = await store.openParedao(String(req.params.id), new Date(now()));
    if (!result.ok) throw conflict(result.code);
    paredoes.set(result.paredao);
    req.log.info({ paredaoId: result.paredao.id, username: sessionOf(req).username }, 'voting opened');
    res.json(result.paredao);
  });

  r.post('/api/admin/paredoes/:id/close', async (req, res) => {
    await load(String(req.params.id));
    const result = await store.closeParedao(String(req.params.id), new Date(now() + closeGraceMs));
    if (!result.ok) throw conflict(result.code);
    paredoes.set(result.paredao);
    req.log.info({ paredaoId: result.paredao.id, closedAt: result.paredao.closedAt, username: sessionOf(req).username }, 'voting closed');
    res.json(result.paredao);
  });

  const resultsOf = async (p: Paredao) => buildResults(p, await store.tally(p.id), new Date(now()));

  r.get('/api/admin/paredoes/:id/results', async (req, res) => {
    const p = await load(String(req.params.id));
    res.set('cache-control', 'no-store').json({ ...(await resultsOf(p)), status: p.status, closedAt: p.closedAt ?? null } satisfies AdminResults);
  });

  r.get('/api/admin/paredoes/:id/export', async (req, res) => {
    const p = await load(String(req.params.id));
    const results = await resultsOf(p);
    const format = req.query.format === 'csv' ? 'csv' : 'json';
    res.set('content-disposition', `attachment; filename="paredao-${p.id}.${format}"`).set('cache-control', 'no-store');
    if (format === 'json') {
      res.json({ paredao: p, results });
      return;
    }
    // One plain table, so a spreadsheet opens it as is; the hourly rows are in the JSON export. Ids are
    // slugs (letter or digit first), so only the names, which the team types, need csvField. The first
    // four columns are the result (both modes together, the weighted percentage); with both modes on,
    // a pair per mode follows (with one, the result is that mode: the table stays as it always was).
    const on = VOTE_MODES.filter((m) => results.modes[m]);
    const modes = on.length > 1 ? on : [];
    const lines = [
      ['participante_id,participante,votos,percentual', ...modes.map((m) => `votos_${m},percentual_${m}`)].join(','),
      ...results.candidates.map((c, i) =>
        [`${c.id},${csvField(c.name)},${c.votes},${c.percent.toFixed(1)}`, ...modes.map((m) => `${results.modes[m]!.candidates[i]!.votes},${results.modes[m]!.candidates[i]!.percent.toFixed(1)}`)].join(','),
      ),
      [`total,,${results.total},${results.total ? '100.0' : '0.0'}`, ...modes.map((m) => `${results.modes[m]!.total},${results.modes[m]!.total ? '100.0' : '0.0'}`)].join(','),
      // The weights the result used, under each mode's percentage column.
      ...(modes.length > 1 ? [['pesos', '', '', '', ...modes.flatMap((m) => ['', String(results.weightsUsed[m])])].join(',')] : []),
    ];
    res.type('text/csv; charset=utf-8').send(`${lines.join('\n')}\n`);
  });

  r.get('/api/admin/paredoes/:id/audit', async (req, res) => {
    const p = await load(String(req.params.id));
    const [tally, recount] = await Promise.all([store.tally(p.id), store.recount(p.id)]);
    const compare = (t: ModeTally, recomputed: Record<string, number>) => {
      const ids = new Set([...Object.keys(t.byCandidate), ...Object.keys(recomputed)]);
      const hourlyTotal = t.hourly.reduce((s, h) => s + Object.values(h.byCandidate).reduce((a, b) => a + b, 0), 0);
      const total = Object.values(t.byCandidate).reduce((a, b) => a + b, 0);
      const matches = [...ids].every((id) => (t.byCandidate[id] ?? 0) === (recomputed[id] ?? 0)) && hourlyTotal === total;
      return { matches, counts: { tally: t.byCandidate, recomputed, hourlyTotal, total } };
    };
    const all = compare(tally, recount.byCandidate);
    const torcida = compare(tally.modes.torcida, recount.modes.torcida);
    const unico = compare(tally.modes.unico, recount.modes.unico);
    res.json({
      matches: all.matches && torcida.matches && unico.matches,
      ...all.counts,
      modes: { torcida: torcida.counts, unico: unico.counts },
    } satisfies Audit);
  });

  r.post('/api/admin/images', express.raw({ type: [...IMAGE_TYPES], limit: '1mb' }), async (req, res) => {
    const type = req.get('content-type')?.split(';')[0]?.trim() ?? '';
    if (!IMAGE_TYPES.has(type) || !Buffer.isBuffer(req.body) || req.body.length === 0) {
      throw new AppError(415, 'unsupported_media_type', 'Envie uma imagem PNG, JPEG ou WebP.');
    }
    // The header is the client's word; the first bytes are the file's. A mismatch (an HTML or SVG
    // file labelled image/png) is refused, so nothing we serve back can be sniffed into a document.
    if (sniffImageType(req.body) !== type) {
      throw new AppError(415, 'unsupported_media_type', 'O arquivo não é uma imagem PNG, JPEG ou WebP válida.');
    }
    // Served to everyone and cached for a year: what is stored is the pixels encoded again by us,
    // never the uploaded file (image-type.ts says what that removes).
    let bytes: Buffer;
    try {
      bytes = await images.reencode(req.body, type as ImageType);
    } catch (err) {
      if (!(err instanceof ImageRefused)) throw err;
      req.log.warn({ reason: err.message, bytes: req.body.length }, 'image upload refused');
      if (err.reason === 'too_large') {
        throw new AppError(413, 'image_too_large', `Imagem grande demais: até ${IMAGE_MAX_PIXELS / 1e6} megapixels (por exemplo 3000 × 2000).`);
      }
      throw new AppError(415, 'unsupported_media_type', 'O arquivo não é uma imagem PNG, JPEG ou WebP válida.');
    }
    const id = randomBytes(12).toString('hex');
    await store.putImage(id, { contentType: type, bytes });
    res.status(201).json({ imageUrl: `/api/images/${id}` });
  });

  return r;
}
