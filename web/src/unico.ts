// Voto Único's second path on the vote page: sign in with a passkey, or create the account (CPF once,
// then a passkey); then pick, confirm, and the one vote (POST /api/voters/vote, decision 0005). Shown
// only when the current paredão has the Único mode on.
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { maskCpf, normalizeCpf } from '@paredao/contract';
import {
  alreadyVotedFor,
  ApiError,
  getVoter,
  postUnicoVote,
  voterDelete,
  voterLoginOptions,
  voterLoginVerify,
  voterLogout,
  voterRegisterOptions,
  voterRegisterVerify,
  type Paredao,
  type Voter,
} from './api.ts';
import { byId } from './dom.ts';

/** As the CPF is typed: digits only, with the usual dots and dash (000.000.000-00). */
export function formatCpfInput(text: string): string {
  const d = text.replace(/\D/g, '').slice(0, 11);
  return [d.slice(0, 3), d.slice(3, 6), d.slice(6, 9)].filter(Boolean).join('.') + (d.length > 9 ? `-${d.slice(9)}` : '');
}

/** What a failed passkey step tells the person, in pt-BR. */
export function passkeyFailureText(err: unknown, step: 'login' | 'register'): string {
  if (err instanceof ApiError) {
    if (err.code === 'network_error') return 'Sem conexão com o servidor. Verifique a internet e tente de novo.';
    return err.message || 'Algo deu errado. Tente de novo.';
  }
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'NotAllowedError' || name === 'AbortError') {
    return step === 'login'
      ? 'Nenhuma passkey deste site foi usada neste aparelho. Se você ainda não tem conta, crie uma; se criou em outro aparelho, use a passkey de lá.'
      : 'A criação da passkey foi cancelada ou não foi permitida. Tente de novo.';
  }
  if (name === 'InvalidStateError') return 'Este aparelho já tem uma passkey desta conta. Use "Entrar com passkey".';
  return 'Não foi possível usar a passkey neste aparelho.';
}

/** What the page does after one try of the Único vote. */
export type UnicoOutcome = { kind: 'registered' | 'already' | 'error'; text: string } | { kind: 'retry'; text: string; seconds: number };

/** Tries of one Único vote (the first and the retries after a 503 or no answer). */
export const UNICO_TRIES = 5;

/**
 * The answer to one try of the Único vote, in pt-BR. `afterFailure`: an earlier try of this same vote got
 * a 503 or no answer, so a 409 that names the candidate sent is that earlier try, claimed after all.
 */
export function unicoVoteOutcome(err: unknown | null, sent: string, afterFailure: boolean, nameOf: (id: string) => string): UnicoOutcome {
  const registered = (id: string): UnicoOutcome => ({ kind: 'registered', text: `Seu voto único foi registrado: ${nameOf(id)}.` });
  if (err === null) return registered(sent);
  const voted = alreadyVotedFor(err);
  if (voted !== null) return voted === sent && afterFailure ? registered(sent) : { kind: 'already', text: `Você já votou em ${nameOf(voted)}.` };
  if (!(err instanceof ApiError)) return { kind: 'error', text: 'Algo deu errado. Tente de novo.' };
  if (err.retryable) return { kind: 'retry', text: `A votação está ocupada. Tentando de novo em ${err.retryAfter} s…`, seconds: err.retryAfter! };
  if (err.status === 401) return { kind: 'error', text: 'Sua sessão terminou. Entre de novo com a sua passkey.' };
  if (err.code === 'voting_closed') return { kind: 'error', text: 'A votação está encerrada.' };
  return { kind: 'error', text: err.message || 'Algo deu errado. Tente de novo.' };
}

export function mountUnico(opts: { takeProof: () => Promise<string>; paredao: Paredao }): void {
  const section = byId<HTMLElement>('unico');
  const signedOut = byId<HTMLElement>('unico-fora');
  const signedIn = byId<HTMLElement>('unico-dentro');
  const loginButton = byId<HTMLButtonElement>('unico-entrar');
  const openForm = byId<HTMLButtonElement>('unico-criar-abrir');
  const form = byId<HTMLFormElement>('unico-cadastro');
  const cpfInput = byId<HTMLInputElement>('unico-cpf');
  const cpfError = byId<HTMLElement>('unico-cpf-erro');
  const createButton = byId<HTMLButtonElement>('unico-criar');
  const who = byId<HTMLElement>('unico-cpf-mascara');
  const logoutButton = byId<HTMLButtonElement>('unico-sair');
  const deleteButton = byId<HTMLButtonElement>('unico-excluir');
  const confirmBox = byId<HTMLElement>('unico-confirmar');
  const confirmDelete = byId<HTMLButtonElement>('unico-excluir-sim');
  const cancelDelete = byId<HTMLButtonElement>('unico-excluir-nao');
  const alertBox = byId<HTMLElement>('unico-alerta');
  const status = byId<HTMLElement>('unico-status');
  const voteForm = byId<HTMLFormElement>('unico-voto');
  const options = byId<HTMLElement>('unico-opcoes');
  const voteButton = byId<HTMLButtonElement>('unico-votar');
  const confirmVote = byId<HTMLElement>('unico-confirmar-voto');
  const confirmText = byId<HTMLElement>('unico-confirmar-texto');
  const confirmYes = byId<HTMLButtonElement>('unico-confirmar-sim');
  const confirmNo = byId<HTMLButtonElement>('unico-confirmar-nao');
  const done = byId<HTMLElement>('unico-feito');
  const nameOf = (id: string) => opts.paredao.candidates.find((c) => c.id === id)?.name ?? id;
  options.replaceChildren(
    ...opts.paredao.candidates.map((c) => {
      const label = document.createElement('label');
      label.className = 'unico-option';
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'unico-candidato';
      input.value = c.id;
      label.append(input, document.createTextNode(c.name));
      return label;
    }),
  );
  const picked = () => voteForm.querySelector<HTMLInputElement>('input[name="unico-candidato"]:checked')?.value ?? null;

  section.hidden = false;
  let busy = false;

  const say = (text: string) => {
    status.textContent = text;
  };
  const warn = (text: string) => {
    alertBox.textContent = text;
    alertBox.classList.toggle('is-visible', text !== '');
  };
  const setBusy = (on: boolean) => {
    busy = on;
    for (const b of [loginButton, openForm, createButton, logoutButton, deleteButton, confirmDelete, confirmYes, confirmNo]) b.disabled = on;
    voteButton.disabled = on || picked() === null;
    section.setAttribute('aria-busy', String(on));
  };
  const show = (voter: Voter | null) => {
    signedOut.hidden = voter !== null;
    signedIn.hidden = voter === null;
    confirmBox.hidden = true;
    deleteButton.hidden = false;
    // A new sign-in starts the vote afresh: the api says at the vote whether this person has voted.
    voteForm.hidden = false;
    voteForm.reset();
    voteButton.disabled = true;
    confirmVote.hidden = true;
    done.hidden = true;
    if (voter) {
      who.textContent = voter.cpf;
      form.hidden = true;
      openForm.setAttribute('aria-expanded', 'false');
    }
    section.dataset.state = voter ? 'signed-in' : 'signed-out';
  };

  if (!browserSupportsWebAuthn()) {
    loginButton.disabled = true;
    openForm.disabled = true;
    warn('Este navegador não aceita passkeys. Use um navegador atualizado no celular ou no computador.');
  }

  const run = async (step: 'login' | 'register' | 'account', work: () => Promise<void>) => {
    if (busy) return;
    warn('');
    setBusy(true);
    try {
      await work();
    } catch (err) {
      warn(passkeyFailureText(err, step === 'account' ? 'login' : step));
    } finally {
      setBusy(false);
    }
  };

  loginButton.addEventListener('click', () =>
    void run('login', async () => {
      say('Use a passkey deste aparelho para entrar…');
      const { ceremonyId, options } = await voterLoginOptions();
      const response = await startAuthentication({ optionsJSON: options as unknown as Parameters<typeof startAuthentication>[0]['optionsJSON'] });
      const voter = await voterLoginVerify(ceremonyId, response);
      show(voter);
      say(`Você entrou como ${voter.cpf}.`);
    }),
  );

  openForm.addEventListener('click', () => {
    form.hidden = !form.hidden;
    openForm.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) cpfInput.focus();
  });

  cpfInput.addEventListener('input', () => {
    cpfInput.value = formatCpfInput(cpfInput.value);
    cpfError.hidden = true;
    cpfInput.removeAttribute('aria-invalid');
  });

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const cpf = normalizeCpf(cpfInput.value);
    if (!cpf) {
      cpfError.textContent = 'CPF inválido: confira os 11 números.';
      cpfError.hidden = false;
      cpfInput.setAttribute('aria-invalid', 'true');
      cpfInput.focus();
      return;
    }
    void run('register', async () => {
      say('Verificando o CPF…');
      const altcha = await opts.takeProof();
      const { ceremonyId, options } = await voterRegisterOptions(cpf, altcha);
      say(`Crie a passkey da conta ${maskCpf(cpf)} neste aparelho…`);
      const response = await startRegistration({ optionsJSON: options as unknown as Parameters<typeof startRegistration>[0]['optionsJSON'] });
      const voter = await voterRegisterVerify(ceremonyId, response);
      // The number leaves the page as soon as it is used.
      cpfInput.value = '';
      show(voter);
      say(`Conta criada. Você entrou como ${voter.cpf}.`);
    });
  });

  logoutButton.addEventListener('click', () =>
    void run('account', async () => {
      await voterLogout();
      show(null);
      say('Você saiu da sua conta.');
      loginButton.focus();
    }),
  );

  deleteButton.addEventListener('click', () => {
    confirmBox.hidden = false;
    deleteButton.hidden = true;
    cancelDelete.focus();
  });
  cancelDelete.addEventListener('click', () => {
    confirmBox.hidden = true;
    deleteButton.hidden = false;
    deleteButton.focus();
  });
  confirmDelete.addEventListener('click', () =>
    void run('account', async () => {
      await voterDelete();
      show(null);
      say('Sua conta foi excluída: o CPF e as passkeys dela foram apagados daqui. A passkey salva no aparelho pode ser removida nas configurações dele.');
      loginButton.focus();
    }),
  );

  const finish = (text: string) => {
    voteForm.hidden = true;
    done.textContent = text;
    done.hidden = false;
    done.focus();
  };

  voteForm.addEventListener('change', () => {
    confirmVote.hidden = true;
    voteButton.disabled = busy || picked() === null;
  });
  voteForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = picked();
    if (!id) return;
    confirmText.textContent = `Confirmar seu Voto Único em ${nameOf(id)}? Depois de confirmado, ele não muda.`;
    confirmYes.textContent = `Confirmar voto em ${nameOf(id)}`;
    confirmVote.hidden = false;
    confirmYes.focus();
  });
  confirmNo.addEventListener('click', () => {
    confirmVote.hidden = true;
    voteButton.focus();
  });
  confirmYes.addEventListener('click', () => {
    const id = picked();
    if (!id || busy) return;
    warn('');
    setBusy(true);
    void (async () => {
      say('Registrando seu Voto Único…');
      let afterFailure = false;
      for (let attempt = 1; ; attempt++) {
        let err: unknown = null;
        try {
          await postUnicoVote(id);
        } catch (e) {
          err = e;
        }
        const outcome = unicoVoteOutcome(err, id, afterFailure, nameOf);
        if (outcome.kind === 'retry' && attempt < UNICO_TRIES) {
          say(outcome.text);
          afterFailure = true;
          await new Promise((r) => setTimeout(r, outcome.seconds * 1000));
          continue;
        }
        say('');
        if (outcome.kind === 'registered' || outcome.kind === 'already') finish(outcome.text);
        else warn(outcome.kind === 'retry' ? 'A votação não respondeu. Tente de novo em instantes.' : outcome.text);
        break;
      }
      setBusy(false);
    })();
  });

  void getVoter().then(show, () => show(null));
}
