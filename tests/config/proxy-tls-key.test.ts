// A real TLS key is readable by root only (Let's Encrypt writes privkey.pem 0600). nginx opens it in
// its master process, as whichever user the proxy image starts nginx as; the workers get the loaded
// key. Checked with this machine's nginx, run as the user proxy/Dockerfile's final stage runs as.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTool, skipWithoutTool } from '../support/require-tool.js';
import { root } from './compose-model.js';

/** The official nginx image's users (its /etc/passwd): nginx is 101:101. */
const IMAGE_UIDS: Record<string, number> = { root: 0, nginx: 101 };

/** USER and CMD of the final stage, with continuation lines joined and comments dropped. */
function finalStage() {
  const lines = readFileSync(join(root, 'proxy/Dockerfile'), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n');
  const from = lines.findLastIndex((l) => /^FROM\s/i.test(l));
  const stage = lines.slice(from);
  const user = stage.filter((l) => /^USER\s/i.test(l)).at(-1)?.split(/\s+/)[1]?.split(':')[0] ?? 'root';
  const cmd = JSON.parse(stage.filter((l) => /^CMD\s/i.test(l)).at(-1)?.replace(/^CMD\s+/i, '') ?? '[]') as string[];
  return { user, cmd };
}

// Root is no tool: a developer's machine without it prints the skip; CI's container runs as root.
const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('SKIPPED: the key check runs nginx as other users, which needs root');
const hasNginx = !skipWithoutTool({ tool: 'nginx and setpriv', present: findTool(['nginx']) && findTool(['setpriv']), checks: 'the root-only TLS key loaded by nginx as the image runs it' });

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'paredao-tls-key-'));
  // Writable by every uid the check runs as (pid and temp files); only the key is restricted.
  chmodSync(work, 0o777);
  spawnSync('bash', [join(root, 'scripts/self-signed-cert.sh'), join(work, 'tls')], { stdio: 'pipe' });
  chmodSync(join(work, 'tls'), 0o755);
  // As a real key comes, whatever the script made: root's, 0600.
  writeFileSync(join(work, 'tls/real-key.pem'), readFileSync(join(work, 'tls/key.pem')), { mode: 0o600 });
  chmodSync(join(work, 'tls/real-key.pem'), 0o600);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `nginx -t` on a TLS server with the pair, as uid:gid. */
function nginxTestAs(uid: number, gid: number) {
  const conf = join(work, `nginx-${uid}.conf`);
  writeFileSync(
    conf,
    [
      'error_log stderr;',
      `pid ${work}/nginx-${uid}.pid;`,
      'events {}',
      'http {',
      `  client_body_temp_path ${work}/body-${uid};`,
      `  server { listen 18443 ssl; ssl_certificate ${work}/tls/cert.pem; ssl_certificate_key ${work}/tls/real-key.pem; }`,
      '}',
      '',
    ].join('\n'),
  );
  return spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', 'nginx', '-t', '-p', work, '-c', conf], { encoding: 'utf8' });
}

describe('the proxy reads a TLS key that only root may read', () => {
  it('scripts/self-signed-cert.sh writes the key 0600, like a real one, and the certificate 0644', () => {
    expect(statSync(join(work, 'tls/key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(work, 'tls/cert.pem')).mode & 0o777).toBe(0o644);
  });

  it.skipIf(!asRoot || !hasNginx)('when nginx starts as the image runs it, then it loads a root-only key', () => {
    const { user } = finalStage();
    expect(user in IMAGE_UIDS, `unknown image user ${user}`).toBe(true);
    const r = nginxTestAs(IMAGE_UIDS[user]!, IMAGE_UIDS[user]!);
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    // The same check fails as the image's unprivileged user: the test can tell the two apart.
    const unprivileged = nginxTestAs(101, 101);
    expect(unprivileged.status).not.toBe(0);
    expect(unprivileged.stderr).toMatch(/real-key\.pem.*Permission denied|Permission denied.*real-key\.pem/s);
  });

  it('the workers, which serve the requests, run as the unprivileged nginx user', () => {
    const { cmd } = finalStage();
    expect(cmd[0]).toBe('nginx'); // the image's entrypoint runs /docker-entrypoint.d only for this command
    expect(cmd.join(' ')).toMatch(/(^|;)\s*user nginx( nginx)?;/);
    expect(cmd.join(' ')).toContain('daemon off;');
    // One `user` directive only: nginx refuses a duplicate.
    expect(readFileSync(join(root, 'proxy/nginx.conf'), 'utf8')).not.toMatch(/^\s*user\s/m);
  });
});
