import { scryptSync, randomBytes } from 'node:crypto';

export const ADMIN_USER = 'admin';
export const ADMIN_PASSWORD = 'paredao-test-password';

/** The ADMIN_PASSWORD_HASH for the test password, in the format of scripts/hash-password.mjs (cheap N for tests). */
export function testPasswordHash(): string {
  const [N, r, p] = [1024, 8, 1];
  const salt = randomBytes(16);
  return `scrypt:${N}:${r}:${p}:${salt.toString('base64')}:${scryptSync(ADMIN_PASSWORD, salt, 32, { N, r, p }).toString('base64')}`;
}

/** Logs in and returns the session cookie to send back. */
export async function adminCookie(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: ADMIN_USER, password: ADMIN_PASSWORD }),
  });
  if (res.status !== 204) throw new Error(`login: HTTP ${res.status} ${await res.text()}`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}
