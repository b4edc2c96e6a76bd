// What every view of the admin page shares: its elements, the flash line, switching views, showing an
// error where it belongs, the confirmation dialog. Built once by admin.ts and handed to each view.
import { ApiError } from './api.ts';
import { byId, show } from './dom.ts';
import { errorMessage } from './admin-model.ts';

export function findAdminUi() {
  return {
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
    votingFieldset: byId<HTMLFieldSetElement>('voting-fieldset'),
    votingLocked: byId('voting-locked'),
    votingTorcida: byId<HTMLInputElement>('voting-torcida'),
    votingUnico: byId<HTMLInputElement>('voting-unico'),
    votingWeightUnico: byId<HTMLInputElement>('voting-weight-unico'),
    votingWeightTorcida: byId<HTMLInputElement>('voting-weight-torcida'),
    votingPartials: byId<HTMLInputElement>('voting-partials'),
    cancelEdit: byId<HTMLButtonElement>('cancel-edit'),
    resultsView: byId('results-view'),
    resultsTitle: byId('results-title'),
    resultsKind: byId('results-kind'),
    resultsError: byId('results-error'),
    resultsWeighting: byId('results-weighting'),
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
}

export type AdminUi = ReturnType<typeof findAdminUi>;
export type View = 'list' | 'editor' | 'results';

export interface AdminShell {
  ui: AdminUi;
  flash(message: string): void;
  showView(view: View): void;
  /** An expired session goes back to the login form; any other error is written into `target`. */
  handleApiError(err: unknown, target: HTMLElement): void;
  messageOf(err: unknown): string;
  confirm(title: string, text: string, ok: string, destructive?: boolean): Promise<boolean>;
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return errorMessage(err.status, err.code, err.message);
  return err instanceof Error ? err.message : String(err);
}

export interface LogoutOutcome {
  /** The session is over (the login form may be shown); false: it is still open. */
  ended: boolean;
  message: string;
}

/**
 * Logs out through `post` (POST /api/admin/logout). Only an answer from the api ends the session: a
 * refusal, a network error or a 5xx leaves it open in the store, so the page must not say "you left"
 * to an operator on a shared machine. A 401 means it had already ended.
 */
export async function logOut(post: () => Promise<unknown>): Promise<LogoutOutcome> {
  try {
    await post();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return { ended: true, message: 'Você saiu da administração.' };
    return { ended: false, message: `Não foi possível sair: ${messageOf(err)} Sua sessão continua aberta; tente sair de novo.` };
  }
  return { ended: true, message: 'Você saiu da administração.' };
}

export function createShell(ui: AdminUi, hooks: { onSessionExpired(): void; onLeaveResults(): void }): AdminShell {
  const flash = (message: string) => {
    ui.flash.textContent = message;
  };
  return {
    ui,
    flash,
    messageOf,
    showView(view) {
      flash('');
      show(ui.listView, view === 'list');
      show(ui.editorView, view === 'editor');
      show(ui.resultsView, view === 'results');
      if (view !== 'results') hooks.onLeaveResults();
    },
    handleApiError(err, target) {
      if (err instanceof ApiError && err.status === 401) {
        hooks.onSessionExpired();
        return;
      }
      target.textContent = messageOf(err);
    },
    confirm(title, text, ok, destructive = false) {
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
    },
  };
}
