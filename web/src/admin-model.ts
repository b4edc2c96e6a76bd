// Types of the admin API (contract/src/contract.ts, served at /api/docs) and the page's pure rules: draft
// validation, labels, the post-login redirect.
import type { AdminResults, Audit, Candidate, Paredao as PublicParedao, ParedaoInput, ParedaoStatus, Session, Voting } from '@paredao/contract';
import { isAllowedImageUrl, PAREDAO_LIMITS, slugify } from '@paredao/contract';
import { localInputToIso } from './admin-time.ts';

export type { Audit, Candidate, ParedaoStatus, Session };

/** A paredão as the admin API lists it: the public shape, with its creation time always there. */
export type Paredao = PublicParedao & { createdAt: string };

/** Results as the admin results route sends them (with status and closedAt). */
export type Results = AdminResults;

/** The body of a create or edit (the api's paredaoInputSchema). */
export type DraftBody = ParedaoInput;

/** What the editor form holds: raw strings as typed. */
export interface DraftForm {
  title: string;
  candidates: { name: string; imageUrl: string }[];
  opensAt: string;
  closesAt: string;
}

/** Where a validation message belongs, so the page can mark that field. */
export type FieldRef = 'title' | 'candidates' | `candidate-${number}-name` | `candidate-${number}-image` | 'opensAt' | 'closesAt' | 'modes' | 'weights';

/** What the voting rules part of the editor holds: the boxes as ticked, the weights as typed. */
export interface VotingForm {
  torcida: boolean;
  unico: boolean;
  weightUnico: string;
  weightTorcida: string;
  showPartials: boolean;
}

/** The rules as the api takes them (votingSchema), or what is wrong with them. */
export function validateVoting(form: VotingForm): { body?: Voting; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const modes = [...(form.torcida ? (['torcida'] as const) : []), ...(form.unico ? (['unico'] as const) : [])];
  if (modes.length === 0) errors.push({ field: 'modes', message: 'Escolha ao menos um modo de votação.' });
  const weight = (raw: string) => (/^\d{1,3}$/.test(raw.trim()) ? Number(raw.trim()) : NaN);
  const unico = weight(form.weightUnico);
  const torcida = weight(form.weightTorcida);
  if (!(unico <= 100 && torcida <= 100)) errors.push({ field: 'weights', message: 'Os pesos são números inteiros de 0 a 100.' });
  else if (unico + torcida !== 100) errors.push({ field: 'weights', message: `Os pesos devem somar 100 (agora somam ${unico + torcida}).` });
  if (errors.length) return { errors };
  return { body: { modes, weights: { unico, torcida }, showPartials: form.showPartials }, errors };
}

export interface FieldError {
  field: FieldRef;
  message: string;
}

// The server's own limits (contract/src/limits.ts, enforced by the contract's schemas).
export const MIN_CANDIDATES = PAREDAO_LIMITS.minCandidates;
export const MAX_CANDIDATES = PAREDAO_LIMITS.maxCandidates;
export const MAX_TITLE = PAREDAO_LIMITS.maxTitle;
export const MAX_NAME = PAREDAO_LIMITS.maxName;

/**
 * Checks a draft before it is sent and builds the request body. Names are compared as the server
 * compares them (without case, accents or punctuation): "Ana" and "aná" would confuse voters.
 */
export function validateDraft(form: DraftForm, now = new Date()): { body?: DraftBody; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const title = form.title.trim();
  if (!title) errors.push({ field: 'title', message: 'Informe o título do paredão.' });
  else if (title.length > MAX_TITLE) errors.push({ field: 'title', message: `O título pode ter até ${MAX_TITLE} caracteres.` });

  const n = form.candidates.length;
  if (n < MIN_CANDIDATES || n > MAX_CANDIDATES) {
    errors.push({ field: 'candidates', message: `O paredão precisa de ${MIN_CANDIDATES} a ${MAX_CANDIDATES} participantes.` });
  }
  const seen = new Map<string, number>();
  form.candidates.forEach((c, i) => {
    const name = c.name.trim();
    if (!name) {
      errors.push({ field: `candidate-${i}-name`, message: `Informe o nome do participante ${i + 1}.` });
      return;
    }
    if (name.length > MAX_NAME) {
      errors.push({ field: `candidate-${i}-name`, message: `O nome do participante ${i + 1} pode ter até ${MAX_NAME} caracteres.` });
    }
    const key = slugify(name);
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({ field: `candidate-${i}-name`, message: `O participante ${i + 1} tem o mesmo nome do participante ${first + 1}.` });
    } else seen.set(key, i);
    const url = c.imageUrl.trim();
    if (url && !isImageUrl(url)) {
      errors.push({ field: `candidate-${i}-image`, message: `A foto do participante ${i + 1} precisa ser um envio de arquivo ou um endereço https://.` });
    }
  });

  const opensAt = form.opensAt ? localInputToIso(form.opensAt) : undefined;
  const closesAt = form.closesAt ? localInputToIso(form.closesAt) : undefined;
  if (form.opensAt && !opensAt) errors.push({ field: 'opensAt', message: 'Data de abertura inválida.' });
  if (form.closesAt && !closesAt) errors.push({ field: 'closesAt', message: 'Data de encerramento inválida.' });
  if (closesAt && closesAt <= now.toISOString()) {
    errors.push({ field: 'closesAt', message: 'O encerramento agendado precisa estar no futuro.' });
  }
  if (opensAt && closesAt && closesAt <= opensAt) {
    errors.push({ field: 'closesAt', message: 'O encerramento precisa ser depois da abertura.' });
  }

  if (errors.length) return { errors };
  const body: DraftBody = {
    title,
    candidates: form.candidates.map((c) => {
      const url = c.imageUrl.trim();
      return url ? { name: c.name.trim(), imageUrl: url } : { name: c.name.trim() };
    }),
  };
  if (opensAt) body.opensAt = opensAt;
  if (closesAt) body.closesAt = closesAt;
  return { body, errors };
}

/** A photo uploaded here (/api/images/<id>) or an https: address: the api's own rule. */
export const isImageUrl = isAllowedImageUrl;

export const STATUS_LABEL: Record<ParedaoStatus, string> = {
  draft: 'Rascunho',
  open: 'Aberto',
  closed: 'Encerrado',
};

/** The site's own pages, the only places a login may lead to. */
const OWN_PAGES = new Set(['/', '/index.html', '/resultado.html', '/painel.html', '/painel', '/admin.html']);

/**
 * The page to go to after logging in, from `?next=`: only one of our own pages, so the login page
 * cannot be used to send someone elsewhere. The check runs on the path as the browser will resolve
 * it, not on the raw string: `/.//evil.test`, `/%2e//evil.test` and `/a/..//evil.test` all pass a
 * "starts with one slash" test but resolve to the protocol-relative `//evil.test`.
 */
export function safeNext(search: string): string | undefined {
  const next = new URLSearchParams(search).get('next');
  if (!next || !next.startsWith('/')) return undefined;
  try {
    const u = new URL(next, 'https://paredao.invalid');
    if (u.origin !== 'https://paredao.invalid' || !OWN_PAGES.has(u.pathname)) return undefined;
    return u.pathname + u.search + u.hash;
  } catch {
    return undefined;
  }
}

/** A wait, as the login form says it: "45 s", "5 min", "4 min 30 s". */
export function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return s ? `${m} min ${s} s` : `${m} min`;
}

/** Messages for the error codes of the admin API, in the team's words. */
export function errorMessage(status: number, code: string | undefined, serverMessage: string | undefined): string {
  switch (code) {
    case 'invalid_credentials':
      return 'Usuário ou senha incorretos.';
    case 'another_open':
      return 'Já existe um paredão aberto. Encerre-o antes de abrir outro.';
    case 'not_draft':
      return 'Este paredão já foi aberto e não pode mais ser alterado.';
    case 'not_open':
      return 'Este paredão não está aberto.';
    case 'unauthenticated':
      return 'Sua sessão expirou. Entre de novo.';
  }
  if (status === 413) return 'Arquivo grande demais (até 1 MB).';
  if (status === 415) return 'Formato de arquivo não aceito: use PNG, JPEG ou WebP.';
  if (status === 429) return 'Muitas tentativas. Aguarde um instante.';
  if (status >= 500 || status === 0) return 'O servidor não respondeu como esperado. Tente de novo em instantes.';
  return serverMessage || `Erro ${status}.`;
}
