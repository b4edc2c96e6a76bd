import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './api.ts';
import { type DraftForm, errorMessage, isImageUrl, safeNext, validateDraft, validateVoting, waitText } from './admin-model.ts';

const now = new Date('2026-11-23T12:00:00.000Z');
const form = (over: Partial<DraftForm> = {}): DraftForm => ({
  title: 'Paredão 1',
  candidates: [
    { name: 'Ana', imageUrl: '' },
    { name: 'Bruno', imageUrl: '/api/images/0123456789abcdef01234567' },
  ],
  opensAt: '',
  closesAt: '',
  ...over,
});

describe('validateDraft', () => {
  it('when the draft is valid, then the body has trimmed names, image URLs only where given, UTC dates', () => {
    const { body, errors } = validateDraft(
      form({ title: '  Paredão 1 ', candidates: [{ name: ' Ana ', imageUrl: '' }, { name: 'Bruno', imageUrl: 'https://x.test/b.png' }], opensAt: '2026-11-23T21:00', closesAt: '2026-11-25T22:30' }),
      now,
    );
    expect(errors).toEqual([]);
    expect(body).toEqual({
      title: 'Paredão 1',
      candidates: [{ name: 'Ana' }, { name: 'Bruno', imageUrl: 'https://x.test/b.png' }],
      opensAt: '2026-11-24T00:00:00.000Z',
      closesAt: '2026-11-26T01:30:00.000Z',
    });
  });

  it('when there are fewer than 2 or more than 4 participants, then it is refused', () => {
    const one = validateDraft(form({ candidates: [{ name: 'Ana', imageUrl: '' }] }), now);
    expect(one.body).toBeUndefined();
    expect(one.errors.map((e) => e.field)).toEqual(['candidates']);
    const five = validateDraft(form({ candidates: ['A', 'B', 'C', 'D', 'E'].map((name) => ({ name, imageUrl: '' })) }), now);
    expect(five.errors.map((e) => e.field)).toEqual(['candidates']);
  });

  it('when a name is empty or repeats another (ignoring case and accents), then that row is marked', () => {
    const { errors } = validateDraft(form({ candidates: [{ name: 'Júlia', imageUrl: '' }, { name: ' ', imageUrl: '' }, { name: 'julia', imageUrl: '' }] }), now);
    expect(errors.map((e) => e.field)).toEqual(['candidate-1-name', 'candidate-2-name']);
    expect(errors[1]?.message).toBe('O participante 3 tem o mesmo nome do participante 1.');
    const dashed = validateDraft(form({ candidates: [{ name: 'Ana Clara', imageUrl: '' }, { name: 'ana-clara', imageUrl: '' }] }), now);
    expect(dashed.errors.map((e) => e.field)).toEqual(['candidate-1-name']);
  });

  it('when the title is missing or an image URL is not an upload nor https, then each is reported', () => {
    const { errors } = validateDraft(form({ title: ' ', candidates: [{ name: 'Ana', imageUrl: 'javascript:alert(1)' }, { name: 'Bia', imageUrl: '' }] }), now);
    expect(errors.map((e) => e.field)).toEqual(['title', 'candidate-0-image']);
  });

  it('when closing is before opening or in the past, then it is refused', () => {
    expect(validateDraft(form({ opensAt: '2026-11-24T21:00', closesAt: '2026-11-24T20:00' }), now).errors.map((e) => e.field)).toEqual(['closesAt']);
    expect(validateDraft(form({ closesAt: '2026-11-22T20:00' }), now).errors.map((e) => e.field)).toEqual(['closesAt']);
  });
});

describe('safeNext', () => {
  it('when next is a path on this site, then it is followed', () => {
    expect(safeNext('?next=/painel.html')).toBe('/painel.html');
    expect(safeNext('?next=%2Fpainel.html%3Fx%3D1')).toBe('/painel.html?x=1');
  });
  it('when next points elsewhere or is absent, then there is no redirect', () => {
    for (const s of ['', '?next=', '?next=https://evil.test/', '?next=//evil.test/', '?next=/\\evil.test', '?next=painel.html']) {
      expect(safeNext(s)).toBeUndefined();
    }
  });
  it('when next only looks like a path but normalises to another site, then there is no redirect', () => {
    for (const next of ['/.//evil.test', '/%2e//evil.test', '/%2E//evil.test/x', '/a/..//evil.test', '/./\\evil.test', '/painel.html/..//evil.test']) {
      expect(safeNext(`?next=${encodeURIComponent(next)}`), next).toBeUndefined();
      expect(safeNext(`?next=${next}`), next).toBeUndefined();
    }
  });
  it('when next is a path of the site that is not one of its pages, then there is no redirect', () => {
    for (const next of ['/api/admin/logout', '/etc/passwd', '/painel.html/x']) expect(safeNext(`?next=${encodeURIComponent(next)}`), next).toBeUndefined();
    expect(safeNext('?next=%2Fresultado.html%23top')).toBe('/resultado.html#top');
  });
});

describe('labels and errors', () => {
  it('maps the admin API error codes to the team’s words and keeps server 400 messages', () => {
    expect(errorMessage(401, 'invalid_credentials', 'x')).toBe('Usuário ou senha incorretos.');
    expect(errorMessage(409, 'another_open', 'x')).toMatch(/^Já existe um paredão aberto/);
    expect(errorMessage(400, 'invalid_body', 'candidates: nomes repetidos')).toBe('candidates: nomes repetidos');
    expect(errorMessage(502, undefined, undefined)).toMatch(/servidor/);
  });
  it('accepts our uploads and https URLs as photos, nothing else (the api\'s rule)', () => {
    expect(isImageUrl('/api/images/0123456789abcdef01234567')).toBe(true);
    expect(isImageUrl('https://a.test/x.png')).toBe(true);
    for (const url of ['/api/images/1', '/painel.html', 'http://a.test/x.png', '//a.test/x.png', 'data:image/png;base64,xx', 'javascript:alert(1)', 'https://u:fake@a.test/x.png']) {
      expect(isImageUrl(url), url).toBe(false);
    }
  });
  it('says a login wait in seconds, then minutes', () => {
    expect(waitText(45)).toBe('45 s');
    expect(waitText(300)).toBe('5 min');
    expect(waitText(270)).toBe('4 min 30 s');
  });
  it('reads Retry-After as seconds or as an HTTP date, up to the 300 s login lockout', () => {
    expect(parseRetryAfter('300')).toBe(300);
    expect(parseRetryAfter(null)).toBeNull();
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(parseRetryAfter('Mon, 23 Nov 2026 12:00:45 GMT', now)).toBe(45);
  });
});

describe('validateVoting', () => {
  const form = { torcida: true, unico: true, weightUnico: '70', weightTorcida: '30', showPartials: false };

  it('when both modes are ticked at 70/30 with partials hidden, then that is the body', () => {
    expect(validateVoting(form)).toEqual({ body: { modes: ['torcida', 'unico'], weights: { unico: 70, torcida: 30 }, showPartials: false }, errors: [] });
  });

  it('when no mode is ticked, or the weights do not add up to 100 or are not whole numbers, then each problem names its field', () => {
    expect(validateVoting({ ...form, torcida: false, unico: false }).errors.map((e) => e.field)).toEqual(['modes']);
    expect(validateVoting({ ...form, weightTorcida: '20' }).errors).toEqual([{ field: 'weights', message: 'Os pesos devem somar 100 (agora somam 90).' }]);
    expect(validateVoting({ ...form, weightUnico: '70.5' }).errors.map((e) => e.field)).toEqual(['weights']);
    expect(validateVoting({ ...form, weightUnico: '' }).body).toBeUndefined();
  });
});
