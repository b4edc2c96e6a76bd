/**
 * Where a participant's photo may come from: one uploaded here (POST /api/admin/images answers
 * `/api/images/<id>`) or an `https:` address. It ends up in an `<img src>` on every voter's page, so
 * `javascript:`, `data:` (an SVG can carry script), `file:`, plain `http:` and protocol-relative
 * `//host` addresses are refused, as are addresses with a user name or password in them. No imports:
 * the admin page checks with this same function before the api does.
 */
export function isAllowedImageUrl(url: string): boolean {
  if (/^\/api\/images\/[0-9a-f]{24}$/.test(url)) return true;
  if (!url.startsWith('https://')) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.hostname !== '' && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}
