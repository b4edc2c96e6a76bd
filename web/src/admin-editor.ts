// The editor view of the admin page: a new draft or a draft being changed (2 to 4 participants, photo
// links or uploads, optional schedule), checked here as the server checks it before it is sent.
import { ApiError, request } from './api.ts';
import { votingOf, type Voting } from '@paredao/contract';
import { MAX_CANDIDATES, MIN_CANDIDATES, validateDraft, validateVoting, type DraftForm, type FieldError, type Paredao, type VotingForm } from './admin-model.ts';
import type { AdminShell } from './admin-shell.ts';
import type { ListView } from './admin-list.ts';
import { isoToLocalInput } from './admin-time.ts';
import { h, show } from './dom.ts';

const MAX_IMAGE_BYTES = 1024 * 1024;
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

export interface EditorView {
  /** Opens the editor on a draft, or on a new one. */
  open(p?: Paredao): void;
}

export function editorView(shell: AdminShell, list: ListView): EditorView {
  const { ui } = shell;
  /** The draft being edited; undefined while creating a new one. */
  let editingId: string | undefined;
  /** The rules of the draft being edited as stored, so an unchanged form sends nothing. */
  let editingVoting: Voting | undefined;
  let pendingUploads = 0;
  let rowSeq = 0;

  function open(p?: Paredao): void {
    editingId = p?.id;
    ui.editorTitle.textContent = p ? `Editar “${p.title}”` : 'Novo paredão';
    ui.draftTitle.value = p?.title ?? '';
    ui.draftOpens.value = isoToLocalInput(p?.opensAt);
    ui.draftCloses.value = isoToLocalInput(p?.closesAt);
    ui.candidateRows.replaceChildren();
    const candidates: { name: string; imageUrl?: string }[] = p?.candidates ?? [{ name: '' }, { name: '' }];
    for (const c of candidates) addCandidateRow(c.name, c.imageUrl ?? '');
    editingVoting = p ? votingOf(p) : undefined;
    const v = votingOf(p ?? {});
    ui.votingTorcida.checked = v.modes.includes('torcida');
    ui.votingUnico.checked = v.modes.includes('unico');
    ui.votingWeightUnico.value = String(v.weights.unico);
    ui.votingWeightTorcida.value = String(v.weights.torcida);
    ui.votingPartials.checked = v.showPartials;
    // Rules are fixed once voting opens (the api refuses with 409 voting_locked): say so, and lock the fields.
    const locked = !!p && p.status !== 'draft';
    ui.votingFieldset.disabled = locked;
    ui.votingLocked.textContent = locked ? 'A votação já abriu: estas regras não podem mais mudar.' : 'As regras ficam fixas quando a votação abre.';
    clearEditorErrors();
    shell.showView('editor');
    ui.editorTitle.focus();
  }

  // The two weights add up to 100: typing one sets the other.
  const complement = (from: HTMLInputElement, to: HTMLInputElement) =>
    from.addEventListener('input', () => {
      const n = Number(from.value);
      if (from.value !== '' && Number.isInteger(n) && n >= 0 && n <= 100) to.value = String(100 - n);
    });
  complement(ui.votingWeightUnico, ui.votingWeightTorcida);
  complement(ui.votingWeightTorcida, ui.votingWeightUnico);

  ui.cancelEdit.addEventListener('click', () => {
    shell.showView('list');
    ui.newParedao.focus();
  });

  ui.addCandidate.addEventListener('click', () => {
    const row = addCandidateRow('', '');
    row.querySelector<HTMLInputElement>('input[data-role="name"]')?.focus();
  });

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
      shell.handleApiError(err, status);
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
    if (field === 'modes') return ui.votingTorcida;
    if (field === 'weights') return ui.votingWeightUnico;
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
    const votingForm: VotingForm = {
      torcida: ui.votingTorcida.checked,
      unico: ui.votingUnico.checked,
      weightUnico: ui.votingWeightUnico.value,
      weightTorcida: ui.votingWeightTorcida.value,
      showPartials: ui.votingPartials.checked,
    };
    const voting = ui.votingFieldset.disabled ? { errors: [] } : validateVoting(votingForm);
    if (!body || (!ui.votingFieldset.disabled && !voting.body)) {
      showEditorErrors([...errors, ...voting.errors]);
      return;
    }
    clearEditorErrors();
    ui.saveDraft.disabled = true;
    try {
      const path = editingId ? `/api/admin/paredoes/${encodeURIComponent(editingId)}` : '/api/admin/paredoes';
      const saved = await request<Paredao>(path, { method: editingId ? 'PUT' : 'POST', json: body });
      editingId = saved.id; // a failure below leaves a draft to edit, not a second one to create
      // The rules go on their own route, which records who set them; sent only when they differ.
      if (voting.body && JSON.stringify(voting.body) !== JSON.stringify(editingVoting ?? votingOf({}))) {
        await request<Paredao>(`/api/admin/paredoes/${encodeURIComponent(saved.id)}/voting`, { method: 'PUT', json: voting.body });
        editingVoting = voting.body;
      }
      shell.showView('list');
      shell.flash(`Rascunho “${saved.title}” salvo.`);
      await list.load();
      list.focusCard(saved.id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) shell.handleApiError(err, ui.editorErrors);
      else showEditorErrors([{ message: shell.messageOf(err) }]);
    } finally {
      ui.saveDraft.disabled = false;
    }
  }

  return { open };
}
