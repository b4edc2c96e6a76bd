// The vault checks of the Ansible deploy, run by the real ansible-playbook on local stand-in hosts
// (connection: local, nothing remote): the rule for MongoDB's keyfile secret is the one the mongo
// entrypoint applies, and a vault still holding "change-me" stops the run before any broker is touched.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { findTool, skipWithoutTool } from '../support/require-tool.js';
import { ansiblePlaybook, root, scratchDir, testVault } from './ansible-harness.js';

const hasAnsible = !skipWithoutTool({ tool: 'ansible-playbook', present: findTool(['ansible-playbook']), checks: 'the vault checks of the Ansible roles' });

const work = scratchDir('paredao-ansible-checks-');
const ansible = (args: string[]) => ansiblePlaybook(work, args);

// Each run forks a worker per host and task; the machine these run on is shared.
const slow = 180_000;

/**
 * Runs the role's check-vault.yml (through include_role, as site.yml does) on one local stand-in host
 * per entry of `hosts`, each with its own variables; returns the names of the hosts that failed.
 */
function failedHosts(role: string, group: string, hosts: Record<string, Record<string, unknown>>, tag?: string): string[] {
  const name = `${role}-${Object.keys(hosts).length}-${Math.random().toString(36).slice(2)}`;
  const inventory = join(work, `${name}.inventory.yml`);
  const playbook = join(work, `${name}.yml`);
  const hostVars = Object.fromEntries(
    Object.entries(hosts).map(([h, vars]) => [h, { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3', ...testVault, ...vars }]),
  );
  // The cluster check counts groups['rabbitmq']: three broker stand-ins unless the test lists its own.
  writeFileSync(inventory, stringify({ all: { children: { [group]: { hosts: hostVars } } } }));
  writeFileSync(
    playbook,
    stringify([
      {
        name: 'Vault checks on stand-in hosts',
        hosts: group,
        gather_facts: false,
        tasks: [{ name: 'Checks', 'ansible.builtin.include_role': { name: role, tasks_from: 'check-vault.yml' }, ...(tag ? { tags: [tag] } : {}) }],
      },
    ]),
  );
  const r = ansible(['-i', inventory, playbook, ...(tag ? ['--tags', tag] : [])]);
  const recap = r.output.slice(r.output.indexOf('PLAY RECAP'));
  expect(recap, r.output).toMatch(/PLAY RECAP/);
  const failed = [...recap.matchAll(/^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
  expect(failed.length, r.output).toBe(Object.keys(hosts).length);
  for (const m of failed) expect(m[2], `${m[1]} unreachable: ${r.output}`).toBe('0');
  return failed.filter((m) => m[3] !== '0').map((m) => m[1]!);
}

/** deploy/mongo/entrypoint.sh with the image's entrypoint replaced by a stand-in: true when it hands over. */
function entrypointAccepts(secret: string): boolean {
  const bin = join(work, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'docker-entrypoint.sh'), '#!/bin/sh\necho handed-over\n', { mode: 0o755 });
  const keyfile = join(work, `keyfile-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync('bash', [join(root, 'deploy/mongo/entrypoint.sh'), 'mongod'], {
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, PAREDAO_MONGO_KEYFILE: keyfile, MONGO_KEYFILE_SECRET: secret },
    encoding: 'utf8',
  });
  rmSync(keyfile, { force: true });
  if (r.status === 0) expect(r.stdout).toContain('handed-over');
  else expect(r.stderr).toMatch(/MONGO_KEYFILE_SECRET/);
  return r.status === 0;
}

describe.skipIf(!hasAnsible)('Ansible vault checks', () => {
  it('the keyfile secret: the stack role accepts exactly what the mongo entrypoint accepts', () => {
    const samples: Record<string, string> = {
      hex48: 'a'.repeat(16) + '0123456789abcdef0123456789abcdef',
      six: 'abcdef',
      five: 'abcde',
      max: 'A'.repeat(1024),
      overMax: 'A'.repeat(1025),
      base64: 'ab+cd/ef==',
      dot: 'abc.defgh',
      underscore: 'abc_defgh',
      tilde: 'abc~defgh',
      dash: 'abc-defgh',
      changeMe: 'change-me',
      spaces: 'has spaces in it',
      newline: 'abcdefgh\n',
      accented: 'cotação123',
      dollar: 'abc$defgh',
    };
    const expected = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, entrypointAccepts(v)]));
    // The table means something: the entrypoint takes some and refuses others.
    expect(expected).toMatchObject({ hex48: true, six: true, base64: true, max: true, five: false, dot: false, changeMe: false, newline: false });
    const hosts = Object.fromEntries(Object.entries(samples).map(([k, v]) => [`key_${k}`, { vault_mongo_keyfile_secret: v }]));
    // Only the keyfile task (by its tag), one stand-in host per sample.
    const refused = new Set(failedHosts('stack', 'paredao', hosts, 'check_mongo_keyfile'));
    const ansibleAccepts = Object.fromEntries(Object.keys(samples).map((k) => [k, !refused.has(`key_${k}`)]));
    expect(ansibleAccepts).toEqual(expected);
  }, slow);

  it('the stack role refuses "change-me" in any secret it needs', () => {
    expect(failedHosts('stack', 'paredao', { good: {}, keyfileChangeMe: { vault_mongo_keyfile_secret: 'change-me' }, antibotChangeMe: { vault_antibot_secret: 'change-me' } }).sort()).toEqual([
      'antibotChangeMe',
      'keyfileChangeMe',
    ]);
  }, slow);

  it('the broker role refuses a vault with "change-me", a missing password or a short cookie, and takes a good one', () => {
    const failed = failedHosts('rabbitmq_node', 'rabbitmq', {
      good: {},
      operatorChangeMe: { vault_rabbitmq_password: 'change-me' },
      apiChangeMe: { vault_rabbitmq_api_password: 'change-me' },
      consumerEmpty: { vault_rabbitmq_consumer_password: '' },
      cookieShort: { vault_rabbitmq_erlang_cookie: 'short' },
    });
    // Five hosts in the group is an odd number, so only the vault decides.
    expect(failed.sort()).toEqual(['apiChangeMe', 'consumerEmpty', 'cookieShort', 'operatorChangeMe']);
  }, slow);

  it('site.yml checks every host\'s vault in a first play, before the brokers, whatever the --tags', () => {
    for (const tags of [[], ['--tags', 'rabbitmq'], ['--tags', 'stack']]) {
      const r = ansible(['--list-tasks', '-i', 'inventory.cluster.example.ini', 'site.yml', ...tags]);
      expect(r.status, r.output).toBe(0);
      const plays = r.output.split(/^\s*play #\d+/m).slice(1);
      expect(plays[0], tags.join(' ')).toMatch(/^ \(rabbitmq:paredao\)/);
      expect(plays[0]).toMatch(/Check what the brokers need/);
      expect(plays[0]).toMatch(/Check what the stack needs/);
    }
  }, slow);
});
