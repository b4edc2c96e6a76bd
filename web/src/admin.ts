// The production team's page (issue 9): log in, create the week's paredão, open and close voting,
// follow and export the result, audit the count.
import './style.css';
import './admin.css';
import { byId, h, show } from './dom.ts';
import { ApiError, request } from './api.ts';
import {
  type Audit,
  type DraftForm,
  type FieldError,
  type Paredao,
  type Results,
  type Session,
  MAX_CANDIDATES,
  MIN_CANDIDATES,
  STATUS_LABEL,
  errorMessage,
  safeNext,
  validateDraft,
  waitText,
} from './admin-model.ts';
import { formatDateTime, isoToLocalInput } from './admin-time.ts';
import { barWidth, colourIndex, formatClock, formatHourRange, formatInt, formatPercent, formatVotes } from './format.ts';

const RESULTS_POLL_MS = 2000;
const MAX_IMAGE_BYTES = 1024 * 1024;
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

const ui = {
  loading: byId('loading'),
  login: byId('login'),
  loginForm: byId<HTMLFormElement>('login-form'),
  loginUser: byId<HTMLInputElement>('login-user'),
  loginPass: byId<HTMLInputElement>('login-pass'),
  loginError: byId('login-error'),
  loginWait: byId('login-wait'),
  loginNotice: byId('login-notice'),
  loginSubmit: byId<HTMLButtonElement>('login-submit'),
  whoami: byId('whoami'),
  username: byId('username'),
  logout: byId<HTMLButtonElement>('logout'),
  app: byId('app'),
  flash: byId('flash'),
  listView: byId('list-view'),
  listError: byId('list-error'),
  listEmpty: byId('list-empty'),
  list: byId<HTMLUListElement>('paredoes'),
  newParedao: byId<HTMLButtonElement>('new-paredao'),
  editorView: byId('editor-view'),
  editorTitle: byId('editor-title'),
  editorForm: byId<HTMLFormElement>('editor-form'),
  editorErrors: byId('editor-errors'),
  draftTitle: byId<HTMLInputElement>('draft-title'),
  candidateRows: byId<HTMLOListElement>('candidate-rows'),
  addCandidate: byId<HTMLButtonElement>('add-candidate'),
  draftOpens: byId<HTMLInputElement>('draft-opens'),
  draftCloses: byId<HTMLInputElement>('draft-closes'),
  saveDraft: byId<HTMLButtonElement>('save-draft'),
  cancelEdit: byId<HTMLButtonElement>('cancel-edit'),
  resultsView: byId('results-view'),
  resultsTitle: byId('results-title'),
  resultsKind: byId('results-kind'),
  resultsError: byId('results-error'),
  resultsTotal: byId('results-total'),
  resultsCandidates: byId<HTMLUListElement>('results-candidates'),
  resultsHourly: byId<HTMLTableElement>('results-hourly'),
  resultsHourlyEmpty: byId('results-hourly-empty'),
  resultsHourlyWrap: byId('results-hourly-wrap'),
  resultsKicker: byId('results-kicker'),
  resultsUpdated: byId('results-updated'),
  resultsBack: byId<HTMLButtonElement>('results-back'),
  confirm: byId<HTMLDialogElement>('confirm'),
  confirmTitle: byId('confirm-title'),
  confirmText: byId('confirm-text'),
  confirmOk: byId<HTMLButtonElement>('confirm-ok'),
  confirmCancel: byId<HTMLButtonElement>('confirm-cancel'),
};

let paredoes: Paredao[] = [];
/** The draft being edited; undefined while creating a new one. */
let editingId: string | undefined;
let pendingUploads = 0;
let resultsTimer: number | undefined;
let resultsAbort: AbortController | undefined;
let loginCountdown: number | undefined;

// ---------- session ----------

async function boot(): Promise<void> {
  try {
    const session = await request<Session>('/api/admin/session');
    const next = safeNext(location.search);
    if (next) {
      location.assign(next);
      return;
    }
    await enterApp(session);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showLogin();
    else {
      show(ui.loading, true);
      ui.loading.textContent = messageOf(err);
      ui.loading.classList.add('error');
    }
  }
}

function showLogin(notice?: string): void {
  stopResults();
  show(ui.loading, false);
  show(ui.app, false);
  show(ui.whoami, false);
  show(ui.login, true);
  ui.loginNotice.textContent = notice ?? '';
  show(ui.loginNotice, Boolean(notice));
  ui.loginPass.value = '';
  ui.loginUser.focus();
}

async function enterApp(session: Session): Promise<void> {
  show(ui.loading, false);
  show(ui.login, false);
  ui.username.textContent = session.username;
  show(ui.whoami, true);
  show(ui.app, true);
  showView('list');
  await loadList();
}

ui.loginForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void login();
});

async function login(): Promise<void> {
  const username = ui.loginUser.value.trim();
  const password = ui.loginPass.value;
  if (!username || !password) {
    ui.loginError.textContent = 'Informe usuário e senha.';
    (username ? ui.loginPass : ui.loginUser).focus();
    return;
  }
  ui.loginError.textContent = '';
  ui.loginSubmit.disabled = true;
  ui.loginSubmit.textContent = 'Entrando…';
  let keepDisabled = false;
  try {
    await request('/api/admin/login', { json: { username, password } });
    const next = safeNext(location.search);
    if (next) {
      keepDisabled = true;
      location.assign(next);
      return;
    }
    const session = await request<Session>('/api/admin/session');
    await enterApp(session);
  } catch (err) {
    if (err instanceof ApiError && err.status === 429) {
      keepDisabled = startLoginCountdown(err.retryAfter);
    } else if (err instanceof ApiError && err.status === 401) {
      ui.loginError.textContent = 'Usuário ou senha incorretos.';
      ui.loginPass.value = '';
      ui.loginPass.focus();
    } else {
      ui.loginError.textContent = messageOf(err);
    }
  } finally {
    ui.loginSubmit.textContent = 'Entrar';
    if (!keepDisabled) ui.loginSubmit.disabled = false;
  }
}

/**
 * Counts down Retry-After on the login form; true while the button must stay disabled. The ticking
 * text lives outside the alert, so screen readers hear the message once, not every second.
 */
function startLoginCountdown(seconds: number | null): boolean {
  window.clearInterval(loginCountdown);
  if (!seconds) {
    ui.loginError.textContent = 'Muitas tentativas. Aguarde um instante e tente de novo.';
    return false;
  }
  ui.loginError.textContent = `Muitas tentativas. Aguarde ${waitText(seconds)} para tentar de novo.`;
  let left = seconds;
  const render = () => {
    ui.loginWait.textContent = `Você poderá tentar de novo em ${waitText(left)}.`;
  };
  render();
  show(ui.loginWait, true);
  loginCountdown = window.setInterval(() => {
    left--;
    if (left > 0) {
      render();
      return;
    }
    window.clearInterval(loginCountdown);
    show(ui.loginWait, false);
    ui.loginError.textContent = '';
    ui.loginSubmit.disabled = false;
  }, 1000);
  return true;
}

ui.logout.addEventListener('click', () => {
  void (async () => {
    try {
      await request('/api/admin/logout', { method: 'POST' });
    } catch {
      // Leaving the page is what matters; an expired session is already logged out.
    }
    showLogin('Você saiu da administração.');
  })();
});

/** Handles an error from any admin call: an expired session goes back to the login form. */
function handleApiError(err: unknown, target: HTMLElement): void {
  if (err instanceof ApiError && err.status === 401) {
    showLogin('Sua sessão expirou. Entre de novo.');
    return;
  }
  target.textContent = messageOf(err);
}

function messageOf(err: unknown): string {
  if (err instanceof ApiError) return errorMessage(err.status, err.code, err.message);
  return err instanceof Error ? err.message : String(err);
}

function flash(message: string): void {
  ui.flash.textContent = message;
}

// ---------- views ----------

type View = 'list' | 'editor' | 'results';

function showView(view: View): void {
  flash('');
  show(ui.listView, view === 'list');
  show(ui.editorView, view === 'editor');
  show(ui.resultsView, view === 'results');
  if (view !== 'results') stopResults();
}

// ---------- list ----------

async function loadList(): Promise<void> {
  ui.listError.textContent = '';
  try {
    paredoes = await request<Paredao[]>('/api/admin/paredoes');
    renderList();
  } catch (err) {
    handleApiError(err, ui.listError);
  }
}

/** Cards by paredão id, with the JSON they were built from. */
const cards = new Map<string, { json: string; el: HTMLLIElement }>();

/**
 * Rebuilds only the cards whose paredão changed, so a reload of the list never wipes an audit shown
 * in another card nor moves focus away from a button the user is on.
 */
function renderList(): void {
  const els = paredoes.map((p) => {
    const json = JSON.stringify(p);
    const known = cards.get(p.id);
    if (known?.json === json) return known.el;
    const el = card(p);
    cards.set(p.id, { json, el });
    return el;
  });
  for (const id of [...cards.keys()]) if (!paredoes.some((p) => p.id === id)) cards.delete(id);
  const same = els.length === ui.list.children.length && els.every((el, i) => ui.list.children[i] === el);
  if (!same) ui.list.replaceChildren(...els);
  show(ui.listEmpty, paredoes.length === 0);
}

function card(p: Paredao): HTMLLIElement {
  const headingId = `paredao-${p.id}-title`;
  const times = h('dl', { class: 'adm-times' });
  const addTime = (label: string, iso: string | undefined) => {
    if (iso) times.append(h('div', {}, h('dt', {}, label), h('dd', {}, h('time', { datetime: iso }, formatDateTime(iso)))));
  };
  addTime('Criado em', p.createdAt);
  if (p.status === 'draft') {
    addTime('Abertura agendada', p.opensAt);
  }
  addTime('Aberto em', p.openedAt);
  if (p.status !== 'closed') addTime('Encerramento agendado', p.closesAt);
  addTime('Encerrado em', p.closedAt);

  const output = h('div', { class: 'adm-output', role: 'status', 'aria-live': 'polite' });
  const actions = h('div', { class: 'adm-actions' });
  const button = (label: string, cls: string, onClick: (btn: HTMLButtonElement) => void) => {
    const btn = h('button', { type: 'button', class: `button adm-small ${cls}` }, label);
    btn.addEventListener('click', () => onClick(btn));
    actions.append(btn);
    return btn;
  };

  if (p.status === 'draft') {
    button('Editar', 'button-secondary', () => openEditor(p));
    button('Abrir votação', 'adm-primary', (btn) => void openVoting(p, btn, output));
  }
  if (p.status === 'open') {
    button('Ver resultado', 'button-secondary', () => void openResults(p));
    button('Encerrar votação', 'adm-danger', (btn) => void closeVoting(p, btn, output));
  }
  if (p.status === 'closed') button('Ver resultado', 'adm-primary', () => void openResults(p));
  if (p.status !== 'draft') {
    const base = `/api/admin/paredoes/${encodeURIComponent(p.id)}/export`;
    actions.append(
      h('a', { class: 'button button-secondary adm-small', href: `${base}?format=csv`, download: `paredao-${p.id}.csv` }, 'Exportar CSV'),
      h('a', { class: 'button button-secondary adm-small', href: `${base}?format=json`, download: `paredao-${p.id}.json` }, 'Exportar JSON'),
    );
    button('Auditoria', 'button-secondary', (btn) => void audit(p, btn, output));
  }

  return h(
    'li',
    { class: `adm-item adm-status-${p.status}`, 'aria-labelledby': headingId, 'data-paredao-id': p.id },
    h('div', { class: 'adm-item-head' }, h('h2', { id: headingId }, p.title), h('span', { class: `adm-badge adm-badge-${p.status}` }, STATUS_LABEL[p.status])),
    h('p', { class: 'adm-participants' }, p.candidates.map((c) => c.name).join(' · ')),
    times,
    actions,
    output,
  );
}

function confirmDialog(title: string, text: string, ok: string, destructive = false): Promise<boolean> {
  ui.confirmTitle.textContent = title;
  ui.confirmText.textContent = text;
  ui.confirmOk.textContent = ok;
  ui.confirmOk.className = `button ${destructive ? 'adm-danger' : 'adm-primary'}`;
  ui.confirm.returnValue = '';
  return new Promise((resolve) => {
    ui.confirm.addEventListener('close', () => resolve(ui.confirm.returnValue === 'ok'), { once: true });
    ui.confirm.showModal();
    // An irreversible action is never one Enter away.
    (destructive ? ui.confirmCancel : ui.confirmOk).focus();
  });
}

async function openVoting(p: Paredao, btn: HTMLButtonElement, output: HTMLElement): Promise<void> {
  const ok = await confirmDialog('Abrir votação', `Abrir a votação de “${p.title}”? Depois de aberto, o paredão não pode mais ser editado.`, 'Abrir votação');
  if (!ok) return btn.focus();
  await transition(p, 'open', btn, output, `Votação de “${p.title}” aberta.`);
}

async function closeVoting(p: Paredao, btn: HTMLButtonElement, output: HTMLElement): Promise<void> {
  const ok = await confirmDialog('Encerrar votação', `Encerrar a votação de “${p.title}”? Nenhum voto será aceito depois disso.`, 'Encerrar votação', true);
  if (!ok) return btn.focus();
  await transition(p, 'close', btn, output, `Votação de “${p.title}” encerrada.`);
}

async function transition(p: Paredao, action: 'open' | 'close', btn: HTMLButtonElement, output: HTMLElement, done: string): Promise<void> {
  btn.disabled = true;
  output.textContent = '';
  output.classList.remove('adm-error');
  try {
    await request<Paredao>(`/api/admin/paredoes/${encodeURIComponent(p.id)}/${action}`, { method: 'POST' });
    flash(done);
    await loadList();
    // The card was rebuilt: keep keyboard users where they were.
    ui.list.querySelector<HTMLElement>(`[data-paredao-id="${CSS.escape(p.id)}"] button`)?.focus();
  } catch (err) {
    btn.disabled = false;
    output.classList.add('adm-error');
    handleApiError(err, output);
  }
}

async function audit(p: Paredao, btn: HTMLButtonElement, output: HTMLElement): Promise<void> {
  btn.disabled = true;
  output.classList.remove('adm-error');
  output.textContent = 'Conferindo…';
  try {
    const a = await request<Audit>(`/api/admin/paredoes/${encodeURIComponent(p.id)}/audit`);
    output.replaceChildren(auditReport(p, a));
  } catch (err) {
    output.classList.add('adm-error');
    handleApiError(err, output);
  } finally {
    btn.disabled = false;
  }
}

function auditReport(p: Paredao, a: Audit): HTMLElement {
  const names = new Map(p.candidates.map((c) => [c.id, c.name]));
  const ids = [...new Set([...p.candidates.map((c) => c.id), ...Object.keys(a.tally), ...Object.keys(a.recomputed)])];
  const total = Object.values(a.tally).reduce((s, n) => s + n, 0);
  if (a.matches) {
    return h('p', { class: 'adm-audit adm-audit-ok' }, h('strong', {}, 'Confere.'), ` A contagem (${formatVotes(total)}) bate com a recontagem voto a voto.`);
  }
  // A list rather than a table: it fits a phone without hiding the recount column.
  const rows = ids.map((id) => {
    const t = a.tally[id] ?? 0;
    const r = a.recomputed[id] ?? 0;
    return h(
      'li',
      { class: t === r ? '' : 'adm-mismatch' },
      h('strong', {}, names.get(id) ?? id),
      `: contagem ${formatInt(t)}, recontagem ${formatInt(r)}${t === r ? '' : ' (diferente)'}`,
    );
  });
  return h(
    'div',
    { class: 'adm-audit adm-audit-bad' },
    h('p', {}, h('strong', {}, 'Não confere.'), ' A contagem difere da recontagem voto a voto:'),
    h('ul', {}, ...rows),
  );
}

ui.newParedao.addEventListener('click', () => openEditor());

// ---------- editor ----------

function openEditor(p?: Paredao): void {
  editingId = p?.id;
  ui.editorTitle.textContent = p ? `Editar “${p.title}”` : 'Novo paredão';
  ui.draftTitle.value = p?.title ?? '';
  ui.draftOpens.value = isoToLocalInput(p?.opensAt);
  ui.draftCloses.value = isoToLocalInput(p?.closesAt);
  ui.candidateRows.replaceChildren();
  const candidates: { name: string; imageUrl?: string }[] = p?.candidates ?? [{ name: '' }, { name: '' }];
  for (const c of candidates) addCandidateRow(c.name, c.imageUrl ?? '');
  clearEditorErrors();
  showView('editor');
  ui.editorTitle.focus();
}

ui.cancelEdit.addEventListener('click', () => {
  showView('list');
  ui.newParedao.focus();
});

ui.addCandidate.addEventListener('click', () => {
  const row = addCandidateRow('', '');
  row.querySelector<HTMLInputElement>('input[data-role="name"]')?.focus();
});

let rowSeq = 0;

function addCandidateRow(name: string, imageUrl: string): HTMLLIElement {
  const n = rowSeq++;
  const nameInput = h('input', { id: `cand-${n}-name`, 'data-role': 'name', maxlength: '80', required: true, autocomplete: 'off' });
  nameInput.value = name;
  const urlInput = h('input', { id: `cand-${n}-url`, 'data-role': 'image', type: 'url', inputmode: 'url', placeholder: 'https://…' });
  urlInput.value = imageUrl;
  const fileInput = h('input', { id: `cand-${n}-file`, type: 'file', accept: IMAGE_TYPES.join(','), 'aria-describedby': `cand-${n}-file-hint` });
  const preview = h('img', { class: 'adm-preview', alt: '', hidden: true });
  const photoStatus = h('p', { class: 'adm-small-text adm-muted', id: `cand-${n}-photo-status`, 'aria-live': 'polite' });
  const legendName = h('span', { class: 'adm-row-label' });
  const remove = h('button', { type: 'button', class: 'button button-secondary adm-small' }, 'Remover');

  const li = h(
    'li',
    { class: 'adm-row' },
    h('div', { class: 'adm-row-head' }, legendName, remove),
    h('div', { class: 'adm-field' }, h('label', { for: nameInput.id }, 'Nome'), nameInput),
    h(
      'div',
      { class: 'adm-photo' },
      h('div', { class: 'adm-preview-box' }, preview),
      h(
        'div',
        { class: 'adm-photo-fields' },
        h('div', { class: 'adm-field' }, h('label', { for: urlInput.id }, 'Foto (endereço)'), urlInput),
        h(
          'div',
          { class: 'adm-field' },
          h('label', { for: fileInput.id }, 'Ou enviar arquivo'),
          fileInput,
          h('span', { id: `cand-${n}-file-hint`, class: 'adm-small-text adm-muted' }, 'PNG, JPEG ou WebP, até 1 MB.'),
        ),
        photoStatus,
      ),
    ),
  );
  urlInput.setAttribute('aria-describedby', photoStatus.id);

  const updatePreview = () => {
    const url = urlInput.value.trim();
    if (!url) {
      preview.hidden = true;
      preview.removeAttribute('src');
      return;
    }
    preview.alt = `Foto de ${nameInput.value.trim() || 'participante'}`;
    preview.src = url;
    preview.hidden = false;
  };
  preview.addEventListener('error', () => {
    preview.hidden = true;
    if (urlInput.value.trim()) photoStatus.textContent = 'Não foi possível mostrar esta imagem.';
  });
  preview.addEventListener('load', () => {
    if (photoStatus.textContent === 'Não foi possível mostrar esta imagem.') photoStatus.textContent = '';
  });
  urlInput.addEventListener('change', () => {
    photoStatus.textContent = '';
    updatePreview();
  });
  nameInput.addEventListener('input', () => {
    if (!preview.hidden) preview.alt = `Foto de ${nameInput.value.trim() || 'participante'}`;
  });
  fileInput.addEventListener('change', () => void upload(fileInput, urlInput, photoStatus, updatePreview));
  remove.addEventListener('click', () => {
    const next = (li.nextElementSibling ?? li.previousElementSibling) as HTMLElement | null;
    li.remove();
    renumberRows();
    (next?.querySelector('input[data-role="name"]') as HTMLInputElement | null)?.focus();
  });

  ui.candidateRows.append(li);
  renumberRows();
  updatePreview();
  return li;
}

function renumberRows(): void {
  const rows = [...ui.candidateRows.children] as HTMLElement[];
  rows.forEach((row, i) => {
    const label = row.querySelector('.adm-row-label');
    if (label) label.textContent = `Participante ${i + 1}`;
    const remove = row.querySelector<HTMLButtonElement>('.adm-row-head button');
    if (remove) {
      remove.disabled = rows.length <= MIN_CANDIDATES;
      remove.setAttribute('aria-label', `Remover participante ${i + 1}`);
    }
    row.dataset.index = String(i);
  });
  ui.addCandidate.disabled = rows.length >= MAX_CANDIDATES;
}

async function upload(fileInput: HTMLInputElement, urlInput: HTMLInputElement, status: HTMLElement, updatePreview: () => void): Promise<void> {
  const file = fileInput.files?.[0];
  if (!file) return;
  if (!IMAGE_TYPES.includes(file.type)) {
    status.textContent = 'Formato não aceito: use PNG, JPEG ou WebP.';
    fileInput.value = '';
    return;
  }
  if (file.size > MAX_IMAGE_BYTES) {
    status.textContent = 'Arquivo grande demais: o limite é 1 MB.';
    fileInput.value = '';
    return;
  }
  pendingUploads++;
  status.textContent = 'Enviando foto…';
  try {
    const { imageUrl } = await request<{ imageUrl: string }>('/api/admin/images', { raw: file });
    urlInput.value = imageUrl;
    status.textContent = 'Foto enviada.';
    updatePreview();
  } catch (err) {
    handleApiError(err, status);
  } finally {
    pendingUploads--;
    fileInput.value = '';
  }
}

function readForm(): DraftForm {
  const rows = [...ui.candidateRows.children] as HTMLElement[];
  return {
    title: ui.draftTitle.value,
    candidates: rows.map((row) => ({
      name: row.querySelector<HTMLInputElement>('input[data-role="name"]')?.value ?? '',
      imageUrl: row.querySelector<HTMLInputElement>('input[data-role="image"]')?.value ?? '',
    })),
    opensAt: ui.draftOpens.value,
    closesAt: ui.draftCloses.value,
  };
}

function fieldElement(field: FieldError['field']): HTMLElement | undefined {
  if (field === 'title') return ui.draftTitle;
  if (field === 'opensAt') return ui.draftOpens;
  if (field === 'closesAt') return ui.draftCloses;
  if (field === 'candidates') return ui.addCandidate;
  const m = /^candidate-(\d+)-(name|image)$/.exec(field);
  if (!m) return undefined;
  const row = ui.candidateRows.children[Number(m[1])];
  return row?.querySelector<HTMLInputElement>(`input[data-role="${m[2]}"]`) ?? undefined;
}

function clearEditorErrors(): void {
  ui.editorErrors.replaceChildren();
  show(ui.editorErrors, false);
  for (const el of ui.editorForm.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

function showEditorErrors(errors: { field?: FieldError['field']; message: string }[]): void {
  clearEditorErrors();
  const items = errors.map((e) => {
    const target = e.field ? fieldElement(e.field) : undefined;
    if (target && target !== ui.addCandidate) target.setAttribute('aria-invalid', 'true');
    if (!target?.id) return h('li', {}, e.message);
    const link = h('a', { href: `#${target.id}` }, e.message);
    link.addEventListener('click', (ev) => {
      ev.preventDefault();
      target.focus();
    });
    return h('li', {}, link);
  });
  ui.editorErrors.append(h('p', {}, h('strong', {}, errors.length === 1 ? 'Corrija o problema abaixo:' : 'Corrija os problemas abaixo:')), h('ul', {}, ...items));
  show(ui.editorErrors, true);
  ui.editorErrors.focus();
}

ui.editorForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void saveDraft();
});

async function saveDraft(): Promise<void> {
  if (pendingUploads > 0) {
    showEditorErrors([{ message: 'Aguarde o envio das fotos terminar.' }]);
    return;
  }
  const { body, errors } = validateDraft(readForm());
  if (!body) {
    showEditorErrors(errors);
    return;
  }
  clearEditorErrors();
  ui.saveDraft.disabled = true;
  try {
    const path = editingId ? `/api/admin/paredoes/${encodeURIComponent(editingId)}` : '/api/admin/paredoes';
    const saved = await request<Paredao>(path, { method: editingId ? 'PUT' : 'POST', json: body });
    showView('list');
    flash(`Rascunho “${saved.title}” salvo.`);
    await loadList();
    ui.list.querySelector<HTMLElement>(`[data-paredao-id="${CSS.escape(saved.id)}"] button`)?.focus();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) handleApiError(err, ui.editorErrors);
    else showEditorErrors([{ message: messageOf(err) }]);
  } finally {
    ui.saveDraft.disabled = false;
  }
}

// ---------- results ----------

let resultsFor: Paredao | undefined;

async function openResults(p: Paredao): Promise<void> {
  resultsFor = p;
  ui.resultsTitle.textContent = `Resultado: ${p.title}`;
  ui.resultsKicker.textContent = p.status === 'open' ? 'Parcial' : 'Resultado final';
  ui.resultsKind.textContent =
    p.status === 'open' ? 'Parcial, votação aberta: atualiza a cada 2 segundos.' : `Resultado final. Votação encerrada em ${formatDateTime(p.closedAt)}.`;
  ui.resultsError.textContent = '';
  ui.resultsCandidates.replaceChildren();
  ui.resultsHourly.tHead?.replaceChildren();
  ui.resultsHourly.tBodies[0]?.replaceChildren();
  ui.resultsTotal.textContent = '–';
  ui.resultsUpdated.textContent = '–';
  showView('results');
  ui.resultsTitle.focus();
  await pollResults(p, p.status === 'open');
}

async function pollResults(p: Paredao, again: boolean): Promise<void> {
  resultsAbort = new AbortController();
  try {
    const r = await request<Results>(`/api/admin/paredoes/${encodeURIComponent(p.id)}/results`, { signal: resultsAbort.signal });
    if (resultsFor !== p) return;
    ui.resultsError.textContent = '';
    renderResults(p, r);
    if (again && r.status === 'closed') {
      // Closed meanwhile (on schedule, or by someone else): this is now the final result.
      again = false;
      ui.resultsKicker.textContent = 'Resultado final';
      ui.resultsKind.textContent = `Resultado final. Votação encerrada em ${formatDateTime(r.closedAt ?? undefined)}.`;
    }
  } catch (err) {
    if ((err as Error).name === 'AbortError') return;
    handleApiError(err, ui.resultsError);
    if (err instanceof ApiError && err.status === 401) return;
  }
  if (again && resultsFor === p) resultsTimer = window.setTimeout(() => void pollResults(p, true), RESULTS_POLL_MS);
}

function stopResults(): void {
  resultsFor = undefined;
  window.clearTimeout(resultsTimer);
  resultsAbort?.abort();
}

function renderResults(p: Paredao, r: Results): void {
  ui.resultsTotal.textContent = formatInt(r.total);
  ui.resultsCandidates.replaceChildren(
    ...r.candidates.map((c, i) => {
      const fill = h('span', { class: 'bar-fill' });
      // A custom property set through CSSOM: allowed by a `default-src 'self'` CSP, unlike a style attribute.
      fill.style.setProperty('--pct', barWidth(c.percent));
      return h(
        'li',
        { class: `result c${colourIndex(i)}`, 'data-candidate-id': c.id },
        h('div', { class: 'result-head' }, h('span', { class: 'result-name' }, c.name), h('span', { class: 'result-pct' }, formatPercent(c.percent))),
        h('div', { class: 'bar', 'aria-hidden': 'true' }, fill),
        h('p', { class: 'result-votes' }, formatVotes(c.votes)),
      );
    }),
  );

  const names = r.candidates.length ? r.candidates : p.candidates.map((c) => ({ id: c.id, name: c.name }));
  ui.resultsHourly.tHead?.replaceChildren(
    h('tr', {}, h('th', { scope: 'col' }, 'Hora'), ...names.map((c) => h('th', { scope: 'col' }, c.name)), h('th', { scope: 'col' }, 'Total')),
  );
  ui.resultsHourly.tBodies[0]?.replaceChildren(
    ...r.hourly.map((row) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, h('time', { datetime: row.hour }, formatHourRange(row.hour))),
        ...names.map((c) => h('td', {}, formatInt(row.byCandidate[c.id] ?? 0))),
        h('td', {}, formatInt(row.total)),
      ),
    ),
  );
  show(ui.resultsHourlyWrap, r.hourly.length > 0);
  show(ui.resultsHourlyEmpty, r.hourly.length === 0);
  ui.resultsUpdated.textContent = formatClock(r.updatedAt);
}

ui.resultsBack.addEventListener('click', () => {
  const id = resultsFor?.id;
  showView('list');
  void loadList().then(() => {
    if (id) ui.list.querySelector<HTMLElement>(`[data-paredao-id="${CSS.escape(id)}"] button`)?.focus();
  });
});

void boot();
