// The login form of the admin page: sign in, the Retry-After countdown of the login lockout, then hand
// the session to the page (or go to the page that sent the user here, `?next=`).
import { ApiError, request } from './api.ts';
import { safeNext, waitText, type Session } from './admin-model.ts';
import { messageOf, type AdminUi } from './admin-shell.ts';
import { show } from './dom.ts';

export interface LoginView {
  show(notice?: string): void;
}

export function loginView(ui: AdminUi, onLoggedIn: (session: Session) => Promise<void>): LoginView {
  let countdown: number | undefined;

  /**
   * Counts down Retry-After on the login form; true while the button must stay disabled. The ticking
   * text lives outside the alert, so screen readers hear the message once, not every second.
   */
  function startCountdown(seconds: number | null): boolean {
    window.clearInterval(countdown);
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
    countdown = window.setInterval(() => {
      left--;
      if (left > 0) {
        render();
        return;
      }
      window.clearInterval(countdown);
      show(ui.loginWait, false);
      ui.loginError.textContent = '';
      ui.loginSubmit.disabled = false;
    }, 1000);
    return true;
  }

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
      await onLoggedIn(await request<Session>('/api/admin/session'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) {
        keepDisabled = startCountdown(err.retryAfter);
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

  ui.loginForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void login();
  });

  return {
    show(notice) {
      show(ui.loading, false);
      show(ui.app, false);
      show(ui.whoami, false);
      show(ui.login, true);
      ui.loginNotice.textContent = notice ?? '';
      show(ui.loginNotice, Boolean(notice));
      ui.loginPass.value = '';
      ui.loginUser.focus();
    },
  };
}
