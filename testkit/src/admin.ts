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

/**
 * As the production team does it in admin.html: close the open paredão, create one with `candidates`
 * (names), set its voting rules, open it, and wait until the api serves it. Returns its id and candidate ids.
 */
export async function openParedaoWithRules(
  baseUrl: string,
  o: { title: string; candidates: string[]; voting: { modes: ('torcida' | 'unico')[]; weights: { unico: number; torcida: number }; showPartials: boolean } },
): Promise<{ id: string; candidateIds: string[] }> {
  const cookie = await adminCookie(baseUrl);
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${path}`, { method, headers: { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res;
  };
  const current = await fetch(`${baseUrl}/api/paredao`);
  if (current.ok) {
    const p = (await current.json()) as { id: string; status: string };
    if (p.status === 'open') await admin('POST', `/api/admin/paredoes/${p.id}/close`);
  }
  const created = (await (await admin('POST', '/api/admin/paredoes', { title: o.title, candidates: o.candidates.map((name) => ({ name })) })).json()) as { id: string; candidates: { id: string }[] };
  await admin('PUT', `/api/admin/paredoes/${created.id}/voting`, o.voting);
  await admin('POST', `/api/admin/paredoes/${created.id}/open`);
  for (let i = 0; ; i++) {
    const served = (await (await fetch(`${baseUrl}/api/paredao`)).json()) as { id: string; status: string };
    if (served.id === created.id && served.status === 'open') break;
    if (i > 100) throw new Error('the new paredão was not served within 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { id: created.id, candidateIds: created.candidates.map((c) => c.id) };
}
