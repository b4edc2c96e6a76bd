// The production team's page: log in, create the week's paredão, open and close voting,
// follow and export the result, audit the count. This file wires the views (admin-login, admin-list,
// admin-editor, admin-results) to one shell (admin-shell) and starts the page.
import './style.css';
import './admin.css';
import { ApiError, request } from './api.ts';
import { editorView, type EditorView } from './admin-editor.ts';
import { listView } from './admin-list.ts';
import { loginView } from './admin-login.ts';
import { safeNext, type Session } from './admin-model.ts';
import { resultsView } from './admin-results.ts';
import { createShell, findAdminUi, logOut, messageOf } from './admin-shell.ts';
import { show } from './dom.ts';

const ui = findAdminUi();
const shell = createShell(ui, {
  onSessionExpired: () => showLogin('Sua sessão expirou. Entre de novo.'),
  onLeaveResults: () => results.stop(),
});
// The list opens the editor and the results; those go back to the list: bound once all exist.
let editor: EditorView | undefined;
const list = listView(shell, { openEditor: (p) => editor?.open(p), openResults: (p) => results.open(p) });
const results = resultsView(shell, list);
editor = editorView(shell, list);
const login = loginView(ui, enterApp);

function showLogin(notice?: string): void {
  results.stop();
  login.show(notice);
}

async function enterApp(session: Session): Promise<void> {
  show(ui.loading, false);
  show(ui.login, false);
  ui.username.textContent = session.username;
  show(ui.whoami, true);
  show(ui.app, true);
  shell.showView('list');
  await list.load();
}

ui.logout.addEventListener('click', () => {
  void (async () => {
    const outcome = await logOut(() => request('/api/admin/logout', { method: 'POST' }));
    if (outcome.ended) showLogin(outcome.message);
    else shell.flash(outcome.message);
  })();
});

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

void boot();
