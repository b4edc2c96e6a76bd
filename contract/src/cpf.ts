/**
 * Brazilian CPF numbers: 11 digits, the last two check digits of the first nine (mod 11). Accepts the
 * usual masks ("123.456.789-09") and returns the bare digits, or null. A number that passes says nothing
 * about a person: only a certified provider (CPF_VERIFIER_URL) can.
 */
export function normalizeCpf(input: string): string | null {
  if (!/^[\d.\-\s]{11,16}$/.test(input)) return null;
  const digits = input.replace(/\D/g, '');
  if (digits.length !== 11 || /^(\d)\1{10}$/.test(digits)) return null;
  const d = [...digits].map(Number);
  const check = (n: number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += d[i]! * (n + 1 - i);
    return ((sum * 10) % 11) % 10;
  };
  return check(9) === d[9] && check(10) === d[10] ? digits : null;
}

/** "•••.456.789-••": enough for the owner to recognise, never the whole number. */
export function maskCpf(digits: string): string {
  return `•••.${digits.slice(3, 6)}.${digits.slice(6, 9)}-••`;
}
