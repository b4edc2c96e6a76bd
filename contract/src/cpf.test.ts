import { describe, expect, it } from 'vitest';
import { maskCpf, normalizeCpf } from './cpf.js';

describe('normalizeCpf', () => {
  it('when the check digits are right, then it gives the bare digits, masked or not', () => {
    expect(normalizeCpf('529.982.247-25')).toBe('52998224725');
    expect(normalizeCpf('52998224725')).toBe('52998224725');
    expect(normalizeCpf(' 111.444.777-35 ')).toBe('11144477735');
    // A first check digit that comes out as 10 is written 0.
    expect(normalizeCpf('123.456.789-09')).toBe('12345678909');
  });

  it('when either check digit is wrong, then it is null', () => {
    expect(normalizeCpf('529.982.247-24')).toBeNull();
    expect(normalizeCpf('529.982.247-35')).toBeNull();
    expect(normalizeCpf('123.456.789-00')).toBeNull();
  });

  it('when all digits are the same, then it is null though the arithmetic passes', () => {
    expect(normalizeCpf('000.000.000-00')).toBeNull();
    expect(normalizeCpf('11111111111')).toBeNull();
  });

  it('when it is not 11 digits in the usual characters, then it is null', () => {
    for (const bad of ['', '5299822472', '529982247255', '529.982.247-2a', '529/982/247-25', '５２９９８２２４７２５', '52998224725\n1']) {
      expect(normalizeCpf(bad), JSON.stringify(bad)).toBeNull();
    }
  });
});

describe('maskCpf', () => {
  it('shows only the middle six digits', () => {
    expect(maskCpf('52998224725')).toBe('•••.982.247-••');
  });
});
