import { type Paredao, type Results } from '@paredao/contract';
import { createRegistry, openStore, type Store } from '@paredao/core';
import { deflateSync } from 'node:zlib';
import { pngChunk } from '@paredao/testkit/png';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoteConsumer } from '@paredao/consumer/consumer';
import { createConsumerMetrics } from '@paredao/consumer/metrics';
import { ADMIN_PASSWORD, adminCookie } from '@paredao/testkit/admin';
import { solvedPayload } from '@paredao/testkit/antibot';
import { waitFor } from '@paredao/testkit/ports';
import { claimedUnicoVotes } from '@paredao/testkit/voters';
import { AMQP_URL, deleteQueues } from '@paredao/testkit/stack';
import { postJson, quietLog, startApiInProcess, tempStoreUrl, uniqueQueue, type ApiUnderTest } from './helpers.js';

describe('administration: a paredão from draft to final result', () => {
  const queue = uniqueQueue('admin');
  const storeUrl = tempStoreUrl();
  let t: ApiUnderTest;
  let cookie: string;
  let store: Store;
  let consumer: VoteConsumer | null = null;

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text && res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown> & { error?: { code: string } }) : null };
  };
  const startConsumer = async () => {
    consumer = new VoteConsumer({ amqpUrls: AMQP_URL.split(','), queue, prefetch: 100, batchMax: 50, batchMaxWaitMs: 10, store, log: quietLog(), metrics: createConsumerMetrics(createRegistry('consumer')) });
    consumer.start();
    await waitFor('consumer ready', async () => consumer!.readiness() === null);
  };
  const vote = async (candidateId: string) => postJson(`${t.url}/api/votes`, { candidateId, altcha: await solvedPayload(t.url) });

  beforeAll(async () => {
    t = await startApiInProcess({ QUEUE_NAME: queue, STORE_URL: storeUrl, CLOSE_GRACE_MS: '0', RESULTS_REFRESH_MS: '100' });
    store = await openStore(storeUrl);
    cookie = await adminCookie(t.url);
  });
  afterAll(async () => {
    await consumer?.stop(Date.now() + 5000);
    await t?.api.stop();
    await store?.close();
    await deleteQueues(queue);
  });

  it('when there is no session, then every admin route answers 401', async () => {
    for (const [method, path] of [
      ['GET', '/api/admin/paredoes'],
      ['POST', '/api/admin/paredoes'],
      ['GET', '/api/admin/session'],
      ['POST', '/api/admin/paredoes/x/open'],
      ['GET', '/api/admin/paredoes/x/export?format=csv'],
    ] as const) {
      const res = await fetch(`${t.url}${path}`, { method, headers: { cookie: 'paredao_admin=forged.token' } });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    }
  });

  it('when the password is wrong, then 401 and the answer is slowed down', async () => {
    const started = Date.now();
    const res = await postJson(`${t.url}/api/admin/login`, { username: 'admin', password: `${ADMIN_PASSWORD}x` });
    expect(res.status).toBe(401);
    expect(res.json?.error?.code).toBe('invalid_credentials');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('when a three-participant paredão is created, opened, voted on and closed, then queued votes count and late ones get 409', async () => {
    const bad = await admin('POST', '/api/admin/paredoes', { title: 'Só um', candidates: [{ name: 'Ana' }] });
    expect(bad.status).toBe(400);

    const created = await admin('POST', '/api/admin/paredoes', { title: 'Paredão triplo', candidates: [{ name: 'Ana Lúcia' }, { name: 'Bruno' }, { name: 'Carla', imageUrl: '/api/images/0123456789abcdef01234567' }] });
    expect(created.status).toBe(201);
    const p = created.json as unknown as Paredao;
    expect(p.status).toBe('draft');
    expect(p.candidates.map((c) => c.id)).toEqual(['ana-lucia', 'bruno', 'carla']);

    const edited = await admin('PUT', `/api/admin/paredoes/${p.id}`, { title: 'Paredão triplo da semana', candidates: [{ name: 'Ana Lúcia' }, { name: 'Bruno' }, { name: 'Carla' }] });
    expect(edited.status).toBe(200);
    expect(edited.json?.title).toBe('Paredão triplo da semana');

    // The seeded paredão from config/paredao.json is open: only one may be.
    expect((await admin('POST', `/api/admin/paredoes/${p.id}/open`)).json?.error?.code).toBe('another_open');
    const seeded = ((await admin('GET', '/api/admin/paredoes')).json as unknown as Paredao[]).find((x) => x.status === 'open')!;
    expect((await admin('POST', `/api/admin/paredoes/${seeded.id}/close`)).status).toBe(200);
    expect((await vote('participante-1')).json?.error?.code).toBe('voting_closed');

    const opened = await admin('POST', `/api/admin/paredoes/${p.id}/open`);
    expect(opened.status).toBe(200);
    expect((await admin('PUT', `/api/admin/paredoes/${p.id}`, { title: 'x', candidates: [{ name: 'A' }, { name: 'B' }] })).json?.error?.code).toBe('not_draft');
    const publicView = (await (await fetch(`${t.url}/api/paredao`)).json()) as Paredao;
    expect(publicView.id).toBe(p.id);

    // Votes accepted while open but still in the queue when voting closes (the consumer is not running yet).
    for (const c of ['bruno', 'bruno', 'carla']) expect((await vote(c)).status).toBe(202);
    expect((await vote('participante-1')).json?.error?.code).toBe('unknown_candidate');
    const closed = await admin('POST', `/api/admin/paredoes/${p.id}/close`);
    expect(closed.status).toBe(200);
    expect(closed.json?.status).toBe('closed');
    expect((await admin('POST', `/api/admin/paredoes/${p.id}/close`)).json?.error?.code).toBe('not_open');
    const late = await vote('bruno');
    expect(late.status).toBe(409);
    expect(late.json?.error?.code).toBe('voting_closed');

    await startConsumer();
    const final = await waitFor('queued votes counted', async () => {
      const r = (await admin('GET', `/api/admin/paredoes/${p.id}/results`)).json as unknown as Results & { status: string };
      return r.total === 3 ? r : undefined;
    });
    expect(final.status).toBe('closed');
    expect(final.candidates.map((c) => [c.id, c.votes])).toEqual([
      ['ana-lucia', 0],
      ['bruno', 2],
      ['carla', 1],
    ]);

    const csv = await admin('GET', `/api/admin/paredoes/${p.id}/export?format=csv`);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.headers.get('content-disposition')).toContain(`paredao-${p.id}.csv`);
    expect(csv.text).toContain('bruno,"Bruno",2,66.7');
    expect(csv.text).toContain('total,,3,100.0');
    const json = await admin('GET', `/api/admin/paredoes/${p.id}/export?format=json`);
    expect((json.json as { results: Results }).results.total).toBe(3);

    const audit = await admin('GET', `/api/admin/paredoes/${p.id}/audit`);
    expect(audit.json).toMatchObject({ matches: true, total: 3, hourlyTotal: 3, recomputed: { bruno: 2, carla: 1 } });
  });

  it('when a paredão has both modes at 70/30 with partials hidden, then voters get totals only while it is open, the admin everything, the rules are locked once open, and all is shown after closing', async () => {
    const created = await admin('POST', '/api/admin/paredoes', { title: 'Paredão BBB26', candidates: [{ name: 'Ana' }, { name: 'Bia' }] });
    const id = (created.json as unknown as Paredao).id;
    const rules = { modes: ['torcida', 'unico'], weights: { unico: 70, torcida: 30 }, showPartials: false };
    const bad = await admin('PUT', `/api/admin/paredoes/${id}/voting`, { ...rules, weights: { unico: 70, torcida: 20 } });
    expect(bad.status).toBe(400);
    expect(bad.json?.error?.code).toBe('invalid_voting');
    const set = await admin('PUT', `/api/admin/paredoes/${id}/voting`, rules);
    expect(set.status).toBe(200);
    const stored = set.json as unknown as Paredao;
    expect(stored.voting).toEqual(rules);
    // The audit: who set what, and when.
    expect(stored.votingChanges).toEqual([{ at: expect.any(String), by: 'admin', voting: rules }]);
    // Editing the draft keeps its rules.
    const edited = await admin('PUT', `/api/admin/paredoes/${id}`, { title: 'Paredão BBB26 (semana 3)', candidates: [{ name: 'Ana' }, { name: 'Bia' }] });
    expect((edited.json as unknown as Paredao).voting).toEqual(rules);

    const open = ((await admin('GET', '/api/admin/paredoes')).json as unknown as Paredao[]).find((x) => x.status === 'open');
    if (open) await admin('POST', `/api/admin/paredoes/${open.id}/close`);
    expect((await admin('POST', `/api/admin/paredoes/${id}/open`)).status).toBe(200);
    const locked = await admin('PUT', `/api/admin/paredoes/${id}/voting`, { ...rules, showPartials: true });
    expect(locked.status).toBe(409);
    expect(locked.json?.error?.code).toBe('voting_locked');

    // What voters see of the paredão: its rules, not the audit.
    const publicParedao = (await (await fetch(`${t.url}/api/paredao`)).json()) as Paredao;
    expect(publicParedao.voting).toEqual(rules);
    expect(publicParedao).not.toHaveProperty('votingChanges');

    for (const c of ['ana', 'ana', 'ana', 'bia']) expect((await vote(c)).status).toBe(202);
    // Único votes of four people, claimed and counted as the consumer counts them: 1 for Ana, 3 for Bia.
    const at = Date.now();
    await store.applyBatch(await claimedUnicoVotes(store, id, ['ana', 'bia', 'bia', 'bia'], at), at);
    if (!consumer) await startConsumer();
    const full = await waitFor('both modes counted', async () => {
      const r = (await admin('GET', `/api/admin/paredoes/${id}/results`)).json as unknown as Results;
      return r.total === 8 ? r : undefined;
    });
    // Ana: 0.7 × 25 + 0.3 × 75 = 40; Bia: 0.7 × 75 + 0.3 × 25 = 60.
    expect(full.candidates.map((c) => [c.id, c.votes, c.percent])).toEqual([
      ['ana', 4, 40],
      ['bia', 4, 60],
    ]);
    expect(full.modes.torcida?.candidates.map((c) => c.percent)).toEqual([75, 25]);
    expect(full.modes.unico?.total).toBe(4);
    expect(full.weightsUsed).toEqual({ unico: 70, torcida: 30 });

    const hidden = await waitFor('public results refreshed', async () => {
      const r = (await (await fetch(`${t.url}/api/results`)).json()) as Record<string, unknown>;
      return r.total === 8 ? r : undefined;
    });
    expect(hidden.partialsHidden).toBe(true);
    expect(JSON.stringify(hidden)).not.toMatch(/"(votes|percent|byCandidate)"/);
    expect(hidden.modes).toMatchObject({ torcida: { total: 4 }, unico: { total: 4 } });

    const csv = await admin('GET', `/api/admin/paredoes/${id}/export?format=csv`);
    expect(csv.text.split('\n').slice(0, 5)).toEqual([
      'participante_id,participante,votos,percentual,votos_torcida,percentual_torcida,votos_unico,percentual_unico',
      'ana,"Ana",4,40.0,3,75.0,1,25.0',
      'bia,"Bia",4,60.0,1,25.0,3,75.0',
      'total,,8,100.0,4,100.0,4,100.0',
      'pesos,,,,,30,,70',
    ]);
    const audit = await admin('GET', `/api/admin/paredoes/${id}/audit`);
    expect(audit.json).toMatchObject({ matches: true, total: 8, modes: { torcida: { total: 4, recomputed: { ana: 3, bia: 1 } }, unico: { total: 4, recomputed: { ana: 1, bia: 3 } } } });

    expect((await admin('POST', `/api/admin/paredoes/${id}/close`)).status).toBe(200);
    const after = await waitFor('public results in full after closing', async () => {
      const r = (await (await fetch(`${t.url}/api/results`)).json()) as Results;
      return r.partialsHidden === false ? r : undefined;
    });
    expect(after.candidates.map((c) => c.percent)).toEqual([40, 60]);
  });

  it('when a paredão has Voto Único only, then a Torcida vote is refused with 409 torcida_off', async () => {
    const created = await admin('POST', '/api/admin/paredoes', { title: 'Só Único', candidates: [{ name: 'Ana' }, { name: 'Bia' }] });
    const id = (created.json as unknown as Paredao).id;
    expect((await admin('PUT', `/api/admin/paredoes/${id}/voting`, { modes: ['unico'], weights: { unico: 50, torcida: 50 }, showPartials: true })).status).toBe(200);
    const open = ((await admin('GET', '/api/admin/paredoes')).json as unknown as Paredao[]).find((x) => x.status === 'open');
    if (open) await admin('POST', `/api/admin/paredoes/${open.id}/close`);
    expect((await admin('POST', `/api/admin/paredoes/${id}/open`)).status).toBe(200);
    const refused = await vote('ana');
    expect(refused.status).toBe(409);
    expect(refused.json?.error?.code).toBe('torcida_off');
    expect((await admin('POST', `/api/admin/paredoes/${id}/close`)).status).toBe(200);
  });

  it('when a participant\'s imageUrl is not an upload of ours nor https, then 400 naming the field, and nothing is stored', async () => {
    const before = (await admin('GET', '/api/admin/paredoes')).json as unknown as unknown[];
    for (const imageUrl of [
      'javascript:alert(document.cookie)',
      ' JavaScript:alert(1)',
      'data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+',
      'file:///etc/passwd',
      'http://evil.example/a.png',
      '//evil.example/a.png',
      'https://user:pass@evil.example/a.png',
      'https:/\\evil.example/a.png',
      '/api/images/../admin/paredoes',
      '/api/images/0123456789abcdef01234567?x=1',
      '/painel.html',
      'vbscript:msgbox(1)',
    ]) {
      const res = await admin('POST', '/api/admin/paredoes', { title: 'Fotos', candidates: [{ name: 'Ana' }, { name: 'Bruno', imageUrl }] });
      expect(res.status, imageUrl).toBe(400);
      expect(res.json?.error?.code, imageUrl).toBe('invalid_paredao');
      expect(String((res.json?.error as { message?: string } | undefined)?.message), imageUrl).toContain('candidates.1.imageUrl');
    }
    expect(((await admin('GET', '/api/admin/paredoes')).json as unknown as unknown[]).length).toBe(before.length);
    // Our own upload path, an https address, or none at all.
    for (const imageUrl of ['/api/images/0123456789abcdef01234567', 'https://fotos.example/bruno.webp', '']) {
      const ok = await admin('POST', '/api/admin/paredoes', { title: `Fotos ${imageUrl.length}`, candidates: [{ name: 'Ana' }, { name: 'Bruno', imageUrl }] });
      expect(ok.status, imageUrl).toBe(201);
    }
  });

  it('when an image is uploaded, then it is served back with its type, encoded again, never to be sniffed or run', async () => {
    const png = onePixelPng();
    const res = await fetch(`${t.url}/api/admin/images`, { method: 'POST', headers: { cookie, 'content-type': 'image/png' }, body: png });
    expect(res.status).toBe(201);
    const { imageUrl } = (await res.json()) as { imageUrl: string };
    const back = await fetch(`${t.url}${imageUrl}`);
    expect(back.headers.get('content-type')).toBe('image/png');
    expect(back.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(back.headers.get('x-content-type-options')).toBe('nosniff');
    expect(back.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    // The same single pixel, as our encoder writes it.
    const served = PNG.sync.read(Buffer.from(await back.arrayBuffer()));
    expect([served.width, served.height, ...served.data]).toEqual([1, 1, ...PNG.sync.read(png).data]);
    const wrong = await fetch(`${t.url}/api/admin/images`, { method: 'POST', headers: { cookie, 'content-type': 'text/html' }, body: '<script>' });
    expect(wrong.status).toBe(415);
  });

  it('when a PNG carries HTML in a chunk (a polyglot), then what is served holds no HTML', async () => {
    const clean = onePixelPng();
    const text = Buffer.from('Comment\0<html><script>alert(document.cookie)</script></html>', 'latin1');
    const polyglot = Buffer.concat([clean.subarray(0, clean.length - 12), pngChunk('tEXt', text), clean.subarray(clean.length - 12)]);
    const res = await fetch(`${t.url}/api/admin/images`, { method: 'POST', headers: { cookie, 'content-type': 'image/png' }, body: polyglot });
    expect(res.status).toBe(201);
    const { imageUrl } = (await res.json()) as { imageUrl: string };
    const served = Buffer.from(await (await fetch(`${t.url}${imageUrl}`)).arrayBuffer());
    expect(served.includes('<script>')).toBe(false);
    // The same HTML after the image's end: refused outright.
    const glued = await fetch(`${t.url}/api/admin/images`, { method: 'POST', headers: { cookie, 'content-type': 'image/png' }, body: Buffer.concat([clean, Buffer.from('<html><script>alert(1)</script>')]) });
    expect(glued.status).toBe(415);
  });

  it('when a small PNG declares 30000 × 30000 pixels (a decompression bomb), then 413 and nothing is stored', async () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(30_000, 0);
    ihdr.writeUInt32BE(30_000, 4);
    ihdr.set([8, 6, 0, 0, 0], 8);
    const bomb = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(120_001))), pngChunk('IEND', Buffer.alloc(0))]);
    const res = await fetch(`${t.url}/api/admin/images`, { method: 'POST', headers: { cookie, 'content-type': 'image/png' }, body: bomb });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('image_too_large');
  });
});

/** One reddish pixel, as a PNG encoder writes it (a hand-made one here had a wrong zlib checksum, which browsers forgive and a full decode does not). */
function onePixelPng(): Buffer {
  const png = new PNG({ width: 1, height: 1 });
  png.data = Buffer.from([200, 30, 30, 255]);
  return PNG.sync.write(png);
}

