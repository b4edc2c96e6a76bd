// What the Ansible tests share: the real ansible-playbook run on local stand-in hosts (nothing remote),
// a scratch folder per test file, and made-up secrets for every vaulted variable.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';
import { stringify } from 'yaml';

export const root = resolve(import.meta.dirname, '../..');
export const ansibleDir = join(root, 'ansible');

/** A scratch folder for the calling test file, removed after its tests. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** ansible-playbook from ansible/ (relative inventories resolve there), Ansible's scratch files in `work`. */
export function ansiblePlaybook(work: string, args: string[], timeoutMs = 90_000): { status: number | null; output: string } {
  const r = spawnSync('ansible-playbook', args, {
    cwd: ansibleDir,
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(work, 'tmp'), ANSIBLE_ROLES_PATH: join(ansibleDir, 'roles') },
    timeout: timeoutMs,
  });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** A vault that passes every check of the roles; a test overrides what it varies. */
export const testVault = {
  vault_antibot_secret: 'antibot0',
  vault_admin_session_secret: 'session0',
  vault_cpf_hmac_secret: 'cpfhmac0',
  vault_rabbitmq_password: 'rabbit0',
  vault_rabbitmq_api_password: 'apisecret',
  vault_rabbitmq_consumer_password: 'consumersecret',
  vault_rabbitmq_erlang_cookie: 'cookie0cookie0cookie0',
  vault_mongo_root_password: 'mongoroot0',
  vault_mongo_app_password: 'mongoapp0',
  vault_mongo_exporter_password: 'mongoexporter0',
  vault_mongo_keyfile_secret: 'mongokeyfile0',
  vault_grafana_admin_password: 'grafana0',
  vault_graylog_password_secret: 'p'.repeat(64),
  vault_graylog_root_password: 'graylog0',
  vault_admin_password_hash: 'scrypt:1024:8:1:c2FsdA==:aGFzaA==',
};

/**
 * Renders `template` (a path under ansible/) as for `host` of `inventory`, with a local play: the
 * inventory's group_vars load as in a real run, with `testVault`. Role defaults are not in scope for
 * a bare template task, so `roles` names the roles whose defaults to load. Returns the rendered file
 * and its text; throws with Ansible's output if the play fails.
 */
export function renderTemplate(work: string, opts: { inventory: string; host: string; template: string; roles: string[]; timeoutMs?: number }): { file: string; text: string } {
  const name = `${opts.host}-${opts.template.replace(/\W+/g, '_')}`;
  const out = join(work, name);
  const playbook = join(work, `render-${name}.yml`);
  writeFileSync(
    playbook,
    stringify([
      {
        name: `Render ${opts.template} as for ${opts.host}`,
        hosts: opts.host,
        connection: 'local',
        gather_facts: false,
        vars_files: opts.roles.map((role) => join(ansibleDir, 'roles', role, 'defaults/main.yml')),
        vars: testVault,
        tasks: [{ name: 'Render', 'ansible.builtin.template': { src: join(ansibleDir, opts.template), dest: out, mode: '0600' } }],
      },
    ]),
  );
  const r = ansiblePlaybook(work, ['-i', opts.inventory, playbook], opts.timeoutMs);
  if (r.status !== 0) throw new Error(r.output);
  return { file: out, text: readFileSync(out, 'utf8') };
}
