// Offline checks of the Ansible deployment and the YAML of the compose stack, with the real
// tools: ansible-playbook --syntax-check, ansible-lint (production profile, offline) and yamllint.
// A missing tool skips its check loudly; nothing here touches a remote host.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findTool, skipWithoutTool } from '../support/require-tool.js';
import { renderTemplate } from './ansible-harness.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ansibleDir = join(root, 'ansible');

function hasTool(tool: string): boolean {
  return !skipWithoutTool({ tool, present: findTool([tool]), checks: `the ${tool} checks of ansible/` });
}

// Ansible's own scratch files, removed with the rest after the run.
const ansibleTemp = mkdtempSync(join(tmpdir(), 'paredao-ansible-tmp-'));
afterAll(() => rmSync(ansibleTemp, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', NO_COLOR: '1', ANSIBLE_LOCAL_TEMP: ansibleTemp, ...env },
    timeout: 45_000,
  });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const ansiblePlaybook = hasTool('ansible-playbook');
const ansibleLint = hasTool('ansible-lint');
const yamllint = hasTool('yamllint');

describe('Ansible', () => {
  it.skipIf(!ansiblePlaybook)('site.yml passes ansible-playbook --syntax-check with the example inventory', () => {
    const r = run('ansible-playbook', ['--syntax-check', '-i', 'inventory.example.ini', 'site.yml'], ansibleDir);
    expect(r.status, r.output).toBe(0);
  });

  it.skipIf(!ansiblePlaybook)('site.yml tags each role, so one part can be re-run alone', () => {
    const r = run('ansible-playbook', ['--list-tags', '-i', 'inventory.example.ini', 'site.yml'], ansibleDir);
    expect(r.status, r.output).toBe(0);
    for (const tag of ['docker_host', 'firewall', 'stack']) expect(r.output).toContain(tag);
  });

  // No paths: ansible-lint then walks the whole folder (group_vars and inventories included), as Ansible
  // reads it, rather than only the playbook and the roles.
  it.skipIf(!ansibleLint)('the whole ansible/ folder passes ansible-lint --offline with the production profile', () => {
    const r = run('ansible-lint', ['--offline', '--profile', 'production'], ansibleDir);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/Passed with production profile/);
  });

  // group_vars/all.yml beside a group_vars/all/ folder is silently ignored by Ansible: ask Ansible
  // itself which variables a host ends up with, for every example inventory and every group.
  it.skipIf(!ansiblePlaybook)('every host of the example inventories gets the settings of group_vars/all (ansible-inventory)', () => {
    const inventories: [string, string[]][] = [
      ['inventory.example.ini', ['paredao-1']],
      ['inventory.cluster.example.ini', ['paredao-1', 'paredao-2', 'rabbitmq-1']],
    ];
    for (const [inventory, hosts] of inventories) {
      for (const host of hosts) {
        const r = run('ansible-inventory', ['-i', inventory, '--host', host], ansibleDir);
        expect(r.status, r.output).toBe(0);
        const vars = JSON.parse(r.output.slice(r.output.indexOf('{'))) as Record<string, unknown>;
        const where = `${inventory} ${host}`;
        expect(vars.paredao_dir, where).toBe('/opt/paredao');
        expect(vars.paredao_source_dir, where).toBe('{{ playbook_dir }}/..');
        expect([vars.paredao_http_port, vars.paredao_https_port], where).toEqual([80, 443]);
        expect(vars.paredao_compose_profiles, where).toEqual(['logging']);
        expect(vars.paredao_rabbitmq_user, where).toBe('paredao');
      }
    }
  });

  it('no group_vars file sits beside a group_vars folder of the same name (Ansible would skip the file)', () => {
    const dir = join(ansibleDir, 'group_vars');
    const entries = readdirSync(dir, { withFileTypes: true });
    const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name);
    const shadowed = entries.filter((e) => e.isFile() && folders.includes(e.name.replace(/\.(ya?ml|json)$/, '')));
    expect(shadowed.map((e) => e.name)).toEqual([]);
  });

  it('runs compose through the CLI with chdir and a changed_when (no docker_compose_v2 in Ansible 7)', () => {
    const tasks = readFileSync(join(ansibleDir, 'roles/stack/tasks/main.yml'), 'utf8');
    expect(tasks).toMatch(/cmd: docker compose up --detach --wait\b.*--build/);
    expect(tasks).toContain('chdir: "{{ paredao_dir }}"');
    expect(tasks).toMatch(/changed_when: /);
    expect(tasks).not.toMatch(/community\.docker\.docker_compose/);
  });

  it('with several api hosts, the shared MongoDB starts before any host runs `up --wait` (they need it healthy)', () => {
    const tasks = readFileSync(join(ansibleDir, 'roles/stack/tasks/main.yml'), 'utf8');
    const first = tasks.indexOf('cmd: docker compose up --detach --wait --wait-timeout {{ stack_up_timeout }} mongo');
    expect(first).toBeGreaterThan(0);
    expect(tasks.slice(first, tasks.indexOf('\n- ', first))).toContain('inventory_hostname == paredao_mongo_host');
    expect(first).toBeLessThan(tasks.indexOf('--build --remove-orphans'));
    // The override goes where COMPOSE_FILE (stack_compose_files) looks for it.
    expect(tasks).toContain('dest: "{{ paredao_dir }}/ansible/{{ stack_mongo_override }}"');
    expect(readFileSync(join(ansibleDir, 'roles/stack/defaults/main.yml'), 'utf8')).toContain("['ansible/' ~ stack_mongo_override]");
  });

  // A copy replaces a changed file by a new inode; a single-file bind mount keeps showing the old one,
  // and compose does not recreate a container for a changed file. The handler must cover every mount.
  it('every repository file a long-running service mounts is mapped to that service for recreation', () => {
    const defaults = parseYaml(readFileSync(join(ansibleDir, 'roles/stack/defaults/main.yml'), 'utf8')) as { stack_mounted_paths: Record<string, string[]> };
    const compose = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { volumes?: (string | { source?: string })[] }>;
    };
    // One-shot jobs run at `up` and exit: nothing long-running keeps an old inode of their files.
    const oneShot = ['k6', 'prometheus-targets'];
    let mounts = 0;
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : (v.source ?? '');
        if (!source.startsWith('./') || oneShot.includes(name)) continue;
        mounts++;
        const path = source.slice(2);
        const covered = Object.entries(defaults.stack_mounted_paths).some(([prefix, names]) => `${path}/`.startsWith(prefix) && names.includes(name));
        expect(covered, `${name} mounts ${source}`).toBe(true);
      }
    }
    expect(mounts).toBeGreaterThan(5);
  });

  it.skipIf(!ansiblePlaybook)('the services to recreate follow the files the copy changed (rsync itemized output) and the TLS pair', () => {
    const work = mkdtempSync(join(tmpdir(), 'paredao-ansible-'));
    try {
      const playbook = join(work, 'recreate.yml');
      const changed = (lines: string[], tlsChanged: boolean) => ({ stack_sync: { stdout_lines: lines }, stack_tls: { changed: tlsChanged } });
      const cases: [ReturnType<typeof changed>, string][] = [
        [changed(['>f.st...... deploy/rabbitmq/rabbitmq.conf', '*deleting   monitoring/grafana/dashboards/old.json', '>f.st...... api/src/app.ts'], false), 'grafana rabbitmq'],
        // Attributes only (a folder's time), a look-alike folder, source code (rebuilt by up --build).
        [changed(['.d..t...... config/', '>f+++++++++ configx/x', 'cd+++++++++ monitoring/prometheus/new/'], false), ''],
        [changed(['>f..t...... config/paredao.json', '>f.st...... monitoring/prometheus/rules/alerts.yml'], true), 'api prometheus proxy'],
      ];
      writeFileSync(
        playbook,
        stringifyYaml(
          cases.map(([vars], i) => ({
            name: `Case ${i}`,
            hosts: 'localhost',
            connection: 'local',
            gather_facts: false,
            vars_files: [join(ansibleDir, 'roles/stack/defaults/main.yml')],
            vars,
            tasks: [{ name: 'Show', 'ansible.builtin.debug': { msg: 'RECREATE[{{ stack_recreate }}]' } }],
          })),
        ),
      );
      const r = run('ansible-playbook', ['-i', 'localhost,', playbook], work);
      expect(r.status, r.output).toBe(0);
      expect([...r.output.matchAll(/RECREATE\[(.*?)\]/g)].map((m) => m[1])).toEqual(cases.map(([, want]) => want));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  // Docker does not run here: a stand-in `docker` on the PATH answers `compose ps` and records every
  // call, so the role's real handlers run with Ansible's real notify machinery.
  it.skipIf(!ansiblePlaybook)('the handler recreates the changed services that ran before the copy and run now, and nothing on a first deploy', () => {
    const work = mkdtempSync(join(tmpdir(), 'paredao-ansible-'));
    try {
      const bin = join(work, 'bin');
      execFileSync('mkdir', ['-p', bin, join(work, 'app')]);
      const log = join(work, 'docker.log');
      writeFileSync(join(bin, 'docker'), `#!/bin/sh\necho "$*" >> ${JSON.stringify(log)}\ncase "$*" in *" ps "*) printf 'api\\nrabbitmq\\ngrafana\\nprometheus\\n' ;; esac\n`, { mode: 0o755 });
      const play = (name: string, runningBefore: string[]) => ({
        name,
        hosts: 'localhost',
        connection: 'local',
        gather_facts: false,
        vars_files: [join(ansibleDir, 'roles/stack/defaults/main.yml')],
        vars: {
          paredao_dir: join(work, 'app'),
          stack_running_before: { stdout_lines: runningBefore },
          stack_sync: { stdout_lines: ['>f.st...... deploy/rabbitmq/rabbitmq.conf', '>f.st...... monitoring/grafana/dashboards/a.json', '>f.st...... monitoring/alertmanager/alertmanager.compose.yml'] },
        },
        tasks: [{ name: 'A change', 'ansible.builtin.command': { cmd: 'true' }, changed_when: true, notify: 'Recreate the services whose mounted files changed' }],
        handlers: [{ name: 'The role\'s handlers', 'ansible.builtin.import_tasks': join(ansibleDir, 'roles/stack/handlers/main.yml') }],
      });
      const playbook = join(work, 'handlers.yml');
      // Alertmanager changed but did not run before the copy (a new container has the new file).
      writeFileSync(playbook, stringifyYaml([play('Redeploy', ['api', 'rabbitmq', 'grafana', 'prometheus', 'mongo']), play('First deploy', [])]));
      const r = run('ansible-playbook', ['-i', 'localhost,', playbook], work, { PATH: `${bin}:${process.env.PATH ?? ''}` });
      expect(r.status, r.output).toBe(0);
      const calls = readFileSync(log, 'utf8').trim().split('\n');
      expect(calls.filter((c) => c.startsWith('compose up'))).toEqual(['compose up --detach --wait --wait-timeout 900 --no-deps --force-recreate grafana rabbitmq']);
      expect(calls.filter((c) => c.startsWith('compose ps'))).toHaveLength(2);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('the copy and the TLS pair notify the handler, which force-recreates running services; the broker role likewise', () => {
    const tasks = readFileSync(join(ansibleDir, 'roles/stack/tasks/main.yml'), 'utf8');
    const task = (name: string) => tasks.slice(tasks.indexOf(`- name: ${name}`), tasks.indexOf('\n- ', tasks.indexOf(`- name: ${name}`)));
    for (const [name, reg] of [['Copy the repository\'s deployable files', 'stack_sync'], ['Install the TLS certificate and key', 'stack_tls']] as const) {
      expect(task(name)).toContain(`register: ${reg}`);
      expect(task(name)).toContain('notify: Recreate the services whose mounted files changed');
    }
    const handlers = readFileSync(join(ansibleDir, 'roles/stack/handlers/main.yml'), 'utf8');
    expect(handlers).toContain('docker compose ps --services --status running');
    expect(handlers).toMatch(/docker compose up --detach --wait .*--no-deps --force-recreate/);
    expect(handlers).toContain('intersect(stack_running.stdout_lines)');
    expect(tasks.indexOf('register: stack_running_before')).toBeLessThan(tasks.indexOf('register: stack_sync'));
    const broker = readFileSync(join(ansibleDir, 'roles/rabbitmq_node/tasks/main.yml'), 'utf8');
    // The copied configuration, the templates, the TLS pair.
    expect(broker.match(/notify: Recreate the node/g)?.length).toBe(3);
    expect(readFileSync(join(ansibleDir, 'roles/rabbitmq_node/handlers/main.yml'), 'utf8')).toMatch(/- name: Recreate the node\n[\s\S]*--force-recreate rabbitmq/);
  });

  it('provisions Graylog with `compose run` after `up`, only with the logging profile', () => {
    const tasks = readFileSync(join(ansibleDir, 'roles/stack/tasks/main.yml'), 'utf8');
    const up = tasks.indexOf('docker compose up');
    const provision = tasks.indexOf('cmd: docker compose run --rm graylog-provision');
    expect(provision, 'a one-shot job fails `up --wait`: it runs on its own').toBeGreaterThan(up);
    expect(tasks.slice(provision)).toMatch(/'logging' in paredao_compose_profiles/);
  });

  it('a changed Grafana admin password takes effect (the image applies it only on a new database)', () => {
    const tasks = readFileSync(join(ansibleDir, 'roles/stack/tasks/main.yml'), 'utf8');
    const reset = 'grafana cli admin reset-admin-password --password-from-stdin';
    expect(tasks).toContain(`cmd: docker compose exec -T grafana ${reset}`);
    expect(tasks).toMatch(/stdin: "\{\{ vault_grafana_admin_password \}\}"/);
    expect(tasks).toMatch(/stack_grafana_login\.status == 401/);
    const runSh = readFileSync(join(root, 'run.sh'), 'utf8');
    expect(runSh).toContain(`docker compose exec -T grafana ${reset}`);
  });

  it('removes the distribution\'s conflicting container packages before installing Docker\'s', () => {
    const tasks = readFileSync(join(ansibleDir, 'roles/docker_host/tasks/main.yml'), 'utf8');
    const defaults = readFileSync(join(ansibleDir, 'roles/docker_host/defaults/main.yml'), 'utf8');
    const remove = tasks.indexOf('name: "{{ docker_host_conflicting_packages }}"');
    expect(remove).toBeGreaterThan(0);
    expect(tasks.slice(remove, tasks.indexOf('\n-', remove))).toMatch(/state: absent/);
    expect(remove).toBeLessThan(tasks.indexOf('name: "{{ docker_host_packages }}"'));
    for (const pkg of ['docker.io', 'docker-doc', 'docker-compose', 'podman-docker', 'containerd', 'runc']) {
      expect(defaults, pkg).toMatch(new RegExp(`^  - ${pkg.replace('.', '\\.')}$`, 'm'));
    }
  });

  it('declares in requirements.yml every collection the roles use, and they are installed here', () => {
    const used = new Set<string>();
    const walk = (dir: string): string[] =>
      execFileSync('find', [dir, '-name', '*.yml'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const file of [...walk(join(ansibleDir, 'roles')), join(ansibleDir, 'site.yml')]) {
      // Modules as task keys (`  community.general.ufw:`) and lookups (`lookup('ns.coll.name'`).
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:- )?([a-z_]+)\.([a-z_]+)\.[a-z_0-9]+:\s*$|lookup\('([a-z_]+)\.([a-z_]+)\./gm)) {
        const [ns, coll] = m[1] ? [m[1], m[2]] : [m[3], m[4]];
        if (ns !== 'ansible' || coll !== 'builtin') used.add(`${ns}.${coll}`);
      }
    }
    expect(used.size).toBeGreaterThan(0);
    const reqs = readFileSync(join(ansibleDir, 'requirements.yml'), 'utf8');
    const declared = [...reqs.matchAll(/- name: (\S+)/g)].map((m) => m[1]!);
    expect([...used].filter((c) => /^[a-z_]+\.[a-z_]+$/.test(c) && !declared.includes(c))).toEqual([]);
    expect(declared.sort()).toEqual(['ansible.posix', 'community.crypto', 'community.general']);
    if (!ansiblePlaybook) return;
    const r = run('ansible-galaxy', ['collection', 'list', '--format', 'json'], ansibleDir);
    for (const c of declared) expect(r.output, `${c} not installed`).toContain(`"${c}"`);
  });

  it('documents every vaulted variable the roles use in vault.yml.example', () => {
    const example = readFileSync(join(ansibleDir, 'group_vars/all/vault.yml.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^(vault_[a-z0-9_]+):/gm)].map((m) => m[1]!));
    const files = execFileSync('find', [join(ansibleDir, 'roles'), 'site.yml', '-type', 'f'], { cwd: ansibleDir, encoding: 'utf8' }).split('\n').filter(Boolean);
    const used = new Set(files.flatMap((f) => [...readFileSync(resolve(ansibleDir, f), 'utf8').matchAll(/\b(vault_[a-z0-9_]+)/g)].map((m) => m[1]!)));
    expect([...used].filter((v) => !documented.has(v))).toEqual([]);
    expect([...documented].filter((v) => !used.has(v))).toEqual([]);
  });

  it.skipIf(!ansiblePlaybook)('the .env template renders every key of .env.example, mode 0600, with the derived SHA-256', () => {
    const work = mkdtempSync(join(tmpdir(), 'paredao-ansible-'));
    try {
      // The real template for a host of the example inventory, whose group_vars Ansible loads itself.
      const { file: out, text: rendered } = renderTemplate(work, { inventory: 'inventory.example.ini', host: 'paredao-1', template: 'roles/stack/templates/env.j2', roles: ['stack'] });
      const keys = (text: string) => [...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!).sort();
      expect(keys(rendered)).toEqual(keys(readFileSync(join(root, '.env.example'), 'utf8')));
      expect(rendered).toContain('HTTP_PORT=80\n');
      // One host: the main compose file alone, MongoDB on this host.
      expect(rendered).not.toMatch(/^COMPOSE_FILE=/m);
      expect(rendered).toContain('COMPOSE_PROFILES=logging\n');
      expect(rendered).toContain('GELF_URL=udp://graylog:12201\n');
      expect(rendered).toContain('RABBITMQ_PASSWORD=rabbit0\n');
      expect(rendered).toContain('ADMIN_PASSWORD_HASH=scrypt:1024:8:1:c2FsdA==:aGFzaA==\n');
      expect(rendered).toContain('ADMIN_SESSION_SECRET=session0\n');
      expect(rendered).toContain('CPF_HMAC_SECRET=cpfhmac0\n');
      expect(rendered).toContain(`GRAYLOG_ROOT_PASSWORD_SHA2=${createHash('sha256').update('graylog0').digest('hex')}\n`);
      expect(statSync(out).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('YAML style', () => {
  // Not --strict: long lines are warnings by design (.yamllint), everything else is an error.
  it.skipIf(!yamllint)('ansible/, the compose files and .yamllint pass yamllint', () => {
    const targets = ['ansible', '.yamllint', 'docker-compose.yml', 'logging/docker-compose.graylog.yml', 'deploy/rabbitmq/docker-compose.cluster.yml'].filter((p) =>
      existsSync(join(root, p)),
    );
    const r = run('yamllint', ['--format', 'parsable', ...targets], root);
    expect(r.status, r.output).toBe(0);
  });

  it.skipIf(!yamllint)('yamllint does flag a bad file, so the check above can fail', () => {
    const work = mkdtempSync(join(tmpdir(), 'paredao-yamllint-'));
    try {
      writeFileSync(join(work, 'bad.yml'), 'a: 1\na: 2\nb:   [1,2]\n');
      const r = run('yamllint', ['-c', join(root, '.yamllint'), join(work, 'bad.yml')], root);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/duplication of key/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

it('a committed vault file is encrypted', () => {
  const tracked = execFileSync('git', ['ls-files', 'ansible/group_vars'], { cwd: root, encoding: 'utf8' }).split('\n');
  for (const file of tracked.filter((f) => /vault\.ya?ml$/.test(f))) {
    expect(readFileSync(join(root, file), 'utf8').startsWith('$ANSIBLE_VAULT;'), `${file} is not encrypted`).toBe(true);
  }
  expect(existsSync(join(ansibleDir, 'group_vars/all/vault.yml.example'))).toBe(true);
});
