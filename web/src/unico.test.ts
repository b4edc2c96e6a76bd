import { describe, expect, it } from 'vitest';
import { ApiError } from './api.ts';
import { formatCpfInput, passkeyFailureText, unicoOn } from './unico.ts';

describe('unicoOn', () => {
  it('is on only when the paredão lists the unico mode', () => {
    expect(unicoOn({ voting: { modes: ['torcida', 'unico'] } })).toBe(true);
    expect(unicoOn({ voting: { modes: ['torcida'] } })).toBe(false);
    expect(unicoOn({ id: 'p' })).toBe(false);
    expect(unicoOn({ voting: { modes: 'unico' } })).toBe(false);
    expect(unicoOn(null)).toBe(false);
  });
});

describe('formatCpfInput', () => {
  it('keeps up to 11 digits and puts the dots and dash where they go as they are typed', () => {
    expect(formatCpfInput('529')).toBe('529');
    expect(formatCpfInput('5299')).toBe('529.9');
    expect(formatCpfInput('529982247')).toBe('529.982.247');
    expect(formatCpfInput('5299822472')).toBe('529.982.247-2');
    expect(formatCpfInput('529.982.247-25999')).toBe('529.982.247-25');
    expect(formatCpfInput('a5b2c9')).toBe('529');
    expect(formatCpfInput('')).toBe('');
  });
});

describe('passkeyFailureText', () => {
  it("says what happened in pt-BR: the api's message, the browser's refusal, no connection", () => {
    expect(passkeyFailureText(new ApiError(409, 'cpf_registered', 'Este CPF já tem uma conta.', null), 'register')).toBe('Este CPF já tem uma conta.');
    expect(passkeyFailureText(new ApiError(0, 'network_error', 'fetch failed', 5), 'login')).toMatch(/Sem conexão/);
    expect(passkeyFailureText({ name: 'NotAllowedError' }, 'login')).toMatch(/Nenhuma passkey deste site/);
    expect(passkeyFailureText({ name: 'NotAllowedError' }, 'register')).toMatch(/cancelada/);
    expect(passkeyFailureText({ name: 'InvalidStateError' }, 'register')).toMatch(/já tem uma passkey/);
    expect(passkeyFailureText(new Error('boom'), 'login')).toMatch(/Não foi possível/);
  });
});
