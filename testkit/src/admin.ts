import { hashPassword } from '@paredao/api/admin/password-hash';

export const ADMIN_USER = 'admin';
export const ADMIN_PASSWORD = 'paredao-test-password';

/** The ADMIN_PASSWORD_HASH for the test password, made by the api's own hashing (a cheap N for tests). */
export function testPasswordHash(): Promise<string> {
  return hashPassword(ADMIN_PASSWORD, 1024);
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
