import { describe, expect, it } from 'vitest';
import { CpfKey } from './cpf-key.js';

describe('CpfKey', () => {
  const secret = 'a'.repeat(32);

  it('gives the same key for the same CPF, and another under another secret', () => {
    const k = new CpfKey(secret);
    expect(k.of('52998224725')).toBe(new CpfKey(secret).of('52998224725'));
    expect(k.of('52998224725')).toMatch(/^[0-9a-f]{64}$/);
    expect(new CpfKey('b'.repeat(32)).of('52998224725')).not.toBe(k.of('52998224725'));
  });

  it('tells CPFs apart and never contains the digits', () => {
    const k = new CpfKey(secret);
    expect(k.of('52998224725')).not.toBe(k.of('11144477735'));
    expect(k.of('52998224725')).not.toContain('52998224725');
  });
});
