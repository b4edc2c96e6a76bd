/**
 * The id a candidate gets from its name (and the first part of a paredão id from its title): without
 * case, accents or punctuation, so "Ana" and "aná" collide. No imports, so the admin page uses this very
 * function to warn about names the server would refuse as repeated.
 */
export function slugify(text: string): string {
  const s = text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return s || 'participante';
}
