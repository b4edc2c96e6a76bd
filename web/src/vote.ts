import './style.css';
import { byId } from './dom.ts';
import { Antibot, type AntibotState, type Challenge } from './antibot.ts';
import { ApiError, getParedao, postVote, type Candidate, type Paredao } from './api.ts';
import { subscribeResults } from './results.ts';
import { colourIndex, formatDateTime, initials } from './format.ts';
import { MAX_AUTO_RETRIES, backoffSeconds, countdownText, planVoteFailure, retryDelayMs, type VoteFailure } from './messages.ts';
import { unicoOn } from './modes.ts';

const form = byId<HTMLFormElement>('form-voto');
const title = byId<HTMLHeadingElement>('titulo');
const kicker = document.querySelector<HTMLElement>('.kicker');
const loading = byId<HTMLElement>('carregando');
const notice = byId<HTMLElement>('aviso');
const noticeTitle = byId<HTMLElement>('aviso-titulo');
const noticeText = byId<HTMLElement>('aviso-texto');
const fieldset = byId<HTMLFieldSetElement>('participantes');
const list = byId<HTMLElement>('lista-participantes');
const honeypot = byId<HTMLInputElement>('website');
const antibotBox = byId<HTMLElement>('antibot');
const antibotStatus = byId<HTMLElement>('antibot-status');
const button = byId<HTMLButtonElement>('votar');
const hint = byId<HTMLElement>('dica-votar');
const alertBox = byId<HTMLElement>('alerta');
const retryPanel = byId<HTMLElement>('nova-tentativa');
const countdown = byId<HTMLElement>('contagem');
const retryButton = byId<HTMLButtonElement>('tentar-novamente');

const state = {
  paredao: null as Paredao | null,
  candidateId: null as string | null,
  payload: null as string | null,
  antibotState: 'verifying' as AntibotState,
  submitting: false,
  /** A retry fired while the check was solving a fresh challenge: send as soon as it is verified. */
  sendWhenVerified: false,
  closed: false,
  /**
   * The proof of a vote sent without a definitive answer (a dropped connection, a 5xx, a 429), and the
   * choices it was sent with: the api may have taken it, and the retry carries the same proof.
   */
  unanswered: null as { proof: string; candidates: Set<string> } | null,
  autoRetries: 0,
  antibotRetries: 0,
};

// ---- alerts and retries -------------------------------------------------------------------------

let cancelRetry: (() => void) | null = null;
let retryNow: (() => void) | null = null;
/** What the alert on screen is about, so the event that resolves it can clear it. */
let alertAbout: 'load' | 'antibot' | 'vote' | null = null;

let alertSeq = 0;

function showAlert(message: string, about: 'load' | 'antibot' | 'vote'): void {
  alertAbout = about;
  const seq = ++alertSeq;
  // A role="alert" region announces changes; clearing first makes a repeated message announce again.
  alertBox.textContent = '';
  alertBox.classList.add('is-visible');
  window.setTimeout(() => {
    if (seq === alertSeq) alertBox.textContent = message;
  }, 50);
}

function clearAlert(): void {
  alertAbout = null;
  alertSeq += 1;
  alertBox.textContent = '';
  alertBox.classList.remove('is-visible');
  stopRetry();
}

function stopRetry(): void {
  cancelRetry?.();
  cancelRetry = null;
  retryNow = null;
  retryPanel.hidden = true;
}

/**
 * Offers "Tentar novamente" and, when `waitMs` is given, counts down and runs `action` by itself once
 * that much time has passed (never sooner). The ticking text lives outside the alert so screen
 * readers hear the message once, not every second.
 */
function offerRetry(action: () => void, waitMs: number | null): void {
  stopRetry();
  retryPanel.hidden = false;
  retryNow = () => {
    stopRetry();
    action();
  };
  if (waitMs === null) {
    countdown.textContent = '';
    return;
  }
  const due = performance.now() + waitMs;
  const show = () => {
    countdown.textContent = countdownText(Math.max(1, Math.ceil((due - performance.now()) / 1000)));
  };
  show();
  const ticker = window.setInterval(show, 250);
  const timer = window.setTimeout(() => {
    const run = retryNow;
    stopRetry();
    run?.();
  }, waitMs);
  cancelRetry = () => {
    window.clearInterval(ticker);
    window.clearTimeout(timer);
  };
}

retryButton.addEventListener('click', () => {
  // A manual retry starts a fresh series of automatic ones.
  state.autoRetries = 0;
  retryNow?.();
});

// ---- rendering ---------------------------------------------------------------------------------

function avatar(c: Candidate, position: number): HTMLElement {
  const span = document.createElement('span');
  span.className = `avatar c${colourIndex(position)}`;
  span.setAttribute('aria-hidden', 'true');
  const fallback = () => {
    span.replaceChildren(document.createTextNode(initials(c.name)));
    span.classList.add('avatar-initials');
  };
  if (c.imageUrl) {
    const img = document.createElement('img');
    img.src = c.imageUrl;
    img.alt = '';
    img.decoding = 'async';
    img.width = 96;
    img.height = 96;
    img.addEventListener('error', fallback, { once: true });
    span.append(img);
  } else {
    fallback();
  }
  return span;
}

function renderCandidates(p: Paredao): void {
  const items = p.candidates.map((c, i) => {
    const label = document.createElement('label');
    label.className = `candidate c${colourIndex(i)}`;
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'candidato';
    input.value = c.id;
    input.className = 'candidate-radio';
    input.required = true;
    const name = document.createElement('span');
    name.className = 'candidate-name';
    name.textContent = c.name;
    label.append(input, avatar(c, i), name);
    return label;
  });
  list.replaceChildren(...items);
  list.classList.toggle('candidate-grid-3', p.candidates.length === 3);
  fieldset.hidden = false;
}

function candidateName(id: string | null): string {
  return state.paredao?.candidates.find((c) => c.id === id)?.name ?? '';
}

function update(): void {
  const verified = state.antibotState === 'verified' && state.payload !== null;
  const ready = !state.closed && state.paredao !== null && state.candidateId !== null && verified;
  button.disabled = !ready || state.submitting;
  button.textContent = state.submitting ? 'Enviando…' : 'Votar';
  form.setAttribute('aria-busy', String(state.submitting));
  form.dataset.antibot = state.antibotState;

  let text: string;
  if (state.closed) text = 'A votação está encerrada.';
  else if (state.submitting) text = `Enviando seu voto para ${candidateName(state.candidateId)}…`;
  else if (state.candidateId === null) text = 'Escolha um participante para votar.';
  else if (!verified) text = 'Aguarde a verificação anti-robô terminar para votar.';
  else text = `Seu voto vai para ${candidateName(state.candidateId)}.`;
  hint.textContent = text;
}

const statusText: Record<AntibotState, string> = {
  unverified: 'Aguardando a verificação anti-robô…',
  verifying: 'Verificando que você é uma pessoa… Isso leva alguns segundos.',
  verified: 'Verificação concluída. Você já pode votar.',
  expired: 'A verificação expirou. Fazendo uma nova…',
  error: 'A verificação anti-robô falhou.',
};

// ---- the anti-bot check ------------------------------------------------------------------------

// The api hands out the next challenge with each answer (202, 403 antibot_*): the page solves that one
// instead of asking GET /api/challenge again. Across the results page it waits in sessionStorage.
const NEXT_CHALLENGE = 'paredao:proximo-desafio';
let carried: unknown = takeStoredChallenge();

function usable(challenge: unknown): challenge is Challenge {
  const expiresAt = (challenge as { parameters?: { expiresAt?: unknown } } | null)?.parameters?.expiresAt;
  // Enough life left to be solved and sent; otherwise a fresh one is fetched.
  return typeof expiresAt === 'number' && expiresAt * 1000 - Date.now() > 15_000;
}

function takeStoredChallenge(): unknown {
  try {
    const stored = sessionStorage.getItem(NEXT_CHALLENGE);
    sessionStorage.removeItem(NEXT_CHALLENGE); // single use: never offered twice
    return stored ? JSON.parse(stored) : null;
  } catch {
    return null; // storage off (private mode) or not JSON: fetch one
  }
}

function storeChallenge(challenge: unknown): void {
  try {
    if (usable(challenge)) sessionStorage.setItem(NEXT_CHALLENGE, JSON.stringify(challenge));
  } catch {
    // storage off: the next page fetches one
  }
}

/** Solves the carried challenge if it still has the time, else a fresh one from the api. */
function restartAntibot(): void {
  state.payload = null;
  const challenge = usable(carried) ? carried : undefined;
  carried = null;
  antibot.verify(challenge);
}

const antibot = new Antibot(
  { host: antibotBox, checkbox: byId<HTMLInputElement>('antibot-feito'), status: antibotStatus },
  () => {
    state.antibotRetries = 0;
    stopRetry();
    restartAntibot();
  },
);

antibotBox.addEventListener('statechange', (ev) => {
  const detail = (ev as CustomEvent<{ state: AntibotState; payload: string | null }>).detail;
  state.antibotState = detail.state;
  if (detail.state !== 'verified') state.payload = null;
  antibotStatus.textContent = statusText[detail.state] ?? '';
  antibotStatus.dataset.state = detail.state;
  if (detail.state === 'error' && !state.closed) {
    // Fetching or solving the challenge failed (network, api down): retry with backoff, then by hand.
    const wait = backoffSeconds(state.antibotRetries);
    state.antibotRetries += 1;
    showAlert('Não conseguimos concluir a verificação anti-robô. Vamos tentar de novo.', 'antibot');
    offerRetry(restartAntibot, state.antibotRetries <= MAX_AUTO_RETRIES ? wait * 1000 : null);
  }
  update();
});

antibotBox.addEventListener('verified', (ev) => {
  state.payload = (ev as CustomEvent<{ payload: string }>).detail.payload;
  state.antibotState = 'verified';
  state.antibotRetries = 0;
  if (alertAbout === 'antibot') clearAlert();
  update();
  if (state.sendWhenVerified) {
    state.sendWhenVerified = false;
    void submit();
  }
});

// A challenge has a short lifetime; a person who waits before choosing gets a fresh one.
antibotBox.addEventListener('expired', () => {
  if (!state.closed) restartAntibot();
});

// The first proof starts now, before the paredão is asked for: it is the longest wait of the page.
restartAntibot();

/**
 * A proof of work for something other than a vote (a Voto Único sign-up costs one as a vote does): the
 * check's current one, or the next it finishes; the check then starts on a fresh one for the vote.
 */
function takeProof(): Promise<string> {
  return new Promise((resolve) => {
    const take = () => {
      const payload = state.payload;
      if (payload === null) {
        antibotBox.addEventListener('verified', () => queueMicrotask(take), { once: true });
        return;
      }
      state.payload = null;
      restartAntibot();
      update();
      resolve(payload);
    };
    take();
  });
}

// ---- voting ------------------------------------------------------------------------------------

async function submit(): Promise<void> {
  const candidateId = state.candidateId;
  if (state.submitting || state.closed || candidateId === null) return;
  if (state.payload === null) {
    state.sendWhenVerified = true;
    update();
    return;
  }
  state.submitting = true;
  stopRetry();
  update();
  const proof = state.payload;
  const resent = state.unanswered?.proof === proof ? state.unanswered : null;
  try {
    const { challenge } = await postVote({ candidateId, altcha: proof, website: honeypot.value });
    storeChallenge(challenge);
    confirmed(candidateId);
    return;
  } catch (err) {
    state.submitting = false;
    const plan = planVoteFailure(err, resent !== null);
    if (plan.kind === 'taken') {
      // An earlier send of this vote was taken: confirmed with the choice it carried (when the person
      // changed it between sends, either may be the one taken, so none is named).
      if (err instanceof ApiError) storeChallenge(err.challenge);
      confirmed(resent!.candidates.size === 1 ? [...resent!.candidates][0]! : null);
      return;
    }
    // Retried with the same proof, by itself or by hand: a refusal as used will then mean this send was taken.
    state.unanswered = plan.kind === 'retry' || plan.kind === 'fatal' ? { proof, candidates: new Set([...(resent?.candidates ?? []), candidateId]) } : null;
    fail(err, plan);
  }
  update();
}

function confirmed(candidateId: string | null): void {
  window.location.assign(candidateId === null ? '/resultado.html' : `/resultado.html?voto=${encodeURIComponent(candidateId)}`);
}

function fail(err: unknown, plan: Exclude<VoteFailure, { kind: 'taken' }>): void {
  showAlert(plan.message, 'vote');
  switch (plan.kind) {
    case 'retry': {
      state.autoRetries += 1;
      offerRetry(() => void submit(), state.autoRetries <= MAX_AUTO_RETRIES ? retryDelayMs(plan.seconds) : null);
      break;
    }
    case 'antibot':
      if (err instanceof ApiError) carried = err.challenge;
      restartAntibot();
      break;
    case 'closed':
      closeVoting();
      break;
    case 'fatal':
      offerRetry(() => void submit(), null);
      break;
  }
}

/** Voto Única's code (and its passkey library) is fetched only for a paredão that has the mode on. */
async function mountUnicoLater(p: Paredao): Promise<void> {
  const { mountUnico } = await import('./unico.ts');
  mountUnico({ takeProof, paredao: p });
}

function showNotice(titleText: string, body: (string | Node)[]): void {
  noticeTitle.textContent = titleText;
  noticeText.replaceChildren(...body);
  notice.hidden = false;
}

function resultsLink(text: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = '/resultado.html';
  a.textContent = text;
  return a;
}

/** No votes are taken (closed, not open yet, or no paredão): hide the form and stop the proof of work. */
function stopVoting(): void {
  state.closed = true;
  fieldset.hidden = true;
  antibotBox.hidden = true;
  antibot.reset();
  button.hidden = true;
  hint.hidden = true;
  update();
}

function closeVoting(): void {
  stopVoting();
  if (kicker) kicker.textContent = 'Votação encerrada';
  showNotice('Votação encerrada', ['Obrigado por participar! ', resultsLink('Veja o resultado'), '.']);
}

/** While there is nothing to vote on, look again now and then: the production team may open it. */
const RECHECK_MS = 30_000;

function notOpenYet(p: Paredao | null): void {
  stopVoting();
  if (kicker) kicker.textContent = 'Em breve';
  const when = p?.opensAt ? ` A abertura está prevista para ${formatDateTime(p.opensAt)}.` : '';
  showNotice(p ? 'A votação ainda não começou' : 'Nenhum paredão no momento', [
    `Volte em instantes: esta página se atualiza sozinha.${when}`,
  ]);
  // The stream (followParedao) reloads when it opens; this is the fallback if the stream is down.
  window.setTimeout(() => window.location.reload(), RECHECK_MS);
}

form.addEventListener('change', (ev) => {
  const target = ev.target;
  if (target instanceof HTMLInputElement && target.name === 'candidato') {
    state.candidateId = target.value;
    update();
  }
});

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.autoRetries = 0;
  clearAlert();
  void submit();
});

// Back from the results page (bfcache): the proof on this page was spent by the vote just made.
window.addEventListener('pageshow', (ev) => {
  if (!ev.persisted) return;
  state.submitting = false;
  state.unanswered = null;
  clearAlert();
  if (!state.closed) restartAntibot();
  update();
});

// ---- loading the paredão -----------------------------------------------------------------------

let loadAttempts = 0;

async function load(): Promise<void> {
  try {
    const p = await getParedao();
    state.paredao = p;
    loadAttempts = 0;
    // Only a failed load's alert: an anti-bot failure shown meanwhile keeps its message and its retry.
    if (alertAbout === 'load') clearAlert();
    title.textContent = p.title;
    document.title = `${p.title} · Vote agora`;
    loading.hidden = true;
    renderCandidates(p);
    if (p.status === 'closed') closeVoting();
    else if (p.status === 'draft') notOpenYet(p);
    else if (unicoOn(p)) void mountUnicoLater(p);
    update();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      loading.hidden = true;
      notOpenYet(null);
      return;
    }
    loadAttempts += 1;
    const seconds = err instanceof ApiError && err.retryAfter !== null ? err.retryAfter : backoffSeconds(loadAttempts - 1);
    loading.textContent = 'Não foi possível carregar os participantes.';
    showAlert('Não conseguimos carregar o paredão agora.', 'load');
    offerRetry(() => void load(), loadAttempts <= MAX_AUTO_RETRIES ? seconds * 1000 : null);
  }
}

/**
 * Follow the paredão live (the results stream's `paredao` frames): voting closing shows at once, and a
 * new paredão opening (or this one opening) reloads the page with its participants. No reload polling.
 */
function followParedao(): void {
  subscribeResults({
    onResults: () => {},
    onParedao: (p) => {
      const shown = state.paredao;
      const opened = p.status === 'open' && shown?.status !== 'open';
      if (shown?.id !== p.id || opened) {
        // Another paredão, or this one opening: start over with its participants.
        if (shown || p.status === 'open') window.location.reload();
      } else if (shown.status === 'open' && p.status === 'closed') {
        state.paredao = p;
        closeVoting();
      }
    },
  });
}

update();
void load().then(followParedao);
