// The compose MongoDB: the replica-set health check and access control, checked offline.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byName, root } from './compose-model.js';

describe('MongoDB replica-set healthcheck', () => {
  it('initiates rs0 with the member name the api connects to, and passes only on the primary', () => {
    const js = readFileSync(join(root, 'deploy/mongo/healthcheck.js'), 'utf8');
    execFileSync(process.execPath, ['--check', join(root, 'deploy/mongo/healthcheck.js')]);
    expect(js).toContain("host: 'mongo:27017'");
    expect(js).toContain("_id: 'rs0'");
    expect(js).toMatch(/isWritablePrimary\)\s*quit\(1\)/);
    const env = byName.get('api')!.svc.environment as Record<string, string>;
    expect(env.STORE_URL).toMatch(/^mongodb:\/\/paredao:\$\{MONGO_APP_PASSWORD:\?[^}]*\}@mongo:27017\/paredao\?replicaSet=rs0&authSource=paredao$/);
  });
});

describe('MongoDB access control', () => {
  const mongo = () => byName.get('mongo')!.svc;
  const mongoEnv = () => mongo().environment as Record<string, string>;

  it('runs with a keyfile (access control on) and a root user made from a generated secret', () => {
    const command = mongo().command as string[];
    const keyfile = command[command.indexOf('--keyFile') + 1];
    expect(keyfile).toBe('/tmp/mongo-keyfile');
    expect(readFileSync(join(root, 'deploy/mongo/entrypoint.sh'), 'utf8')).toContain(`:-${keyfile}}`);
    expect(mongo().entrypoint).toEqual(['bash', '/usr/local/share/paredao/entrypoint.sh']);
    expect(mongoEnv().MONGO_INITDB_ROOT_USERNAME).toBe('root');
    for (const key of ['MONGO_INITDB_ROOT_PASSWORD', 'MONGO_APP_PASSWORD', 'MONGO_EXPORTER_PASSWORD', 'MONGO_KEYFILE_SECRET']) expect(mongoEnv()[key], key).toMatch(/^\$\{MONGO_[A-Z_]+:\?/);
    const mounts = (mongo().volumes ?? []).map(String);
    expect(mounts).toContain('./deploy/mongo/init-users.js:/docker-entrypoint-initdb.d/10-users.js:ro');
  });

  it('the entrypoint writes the keyfile from the environment, readable by its owner only, and refuses a bad one', () => {
    const work = mkdtempSync(join(tmpdir(), 'paredao-mongo-'));
    writeFileSync(join(work, 'docker-entrypoint.sh'), '#!/bin/sh\necho "handed over: $*"\n', { mode: 0o755 });
    const run = (secret: string) =>
      execFileSync('bash', [join(root, 'deploy/mongo/entrypoint.sh'), '--replSet', 'rs0'], {
        env: { PATH: `${work}:${process.env.PATH ?? ''}`, PAREDAO_MONGO_KEYFILE: join(work, 'keyfile'), MONGO_KEYFILE_SECRET: secret },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    try {
      expect(run('0123456789abcdef').trim()).toBe('handed over: --replSet rs0');
      expect(readFileSync(join(work, 'keyfile'), 'utf8')).toBe('0123456789abcdef\n');
      expect(statSync(join(work, 'keyfile')).mode & 0o777).toBe(0o400);
      rmSync(join(work, 'keyfile'), { force: true });
      expect(() => run('has spaces in it')).toThrow(/base64 characters/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('the services, the exporter and the health check each use a user of their own, with the least role', () => {
    const users = readFileSync(join(root, 'deploy/mongo/init-users.js'), 'utf8');
    execFileSync(process.execPath, ['--check', join(root, 'deploy/mongo/init-users.js')]);
    expect(users).toMatch(/user: 'paredao', pwd: app, roles: \[\{ role: 'readWrite', db: 'paredao' \}\]/);
    expect(users).toMatch(/role: 'clusterMonitor', db: 'admin'/);
    expect(users).not.toMatch(/role: '(root|dbOwner|readWriteAnyDatabase|userAdmin\w*)'/);
    expect(users).toContain('process.env.MONGO_APP_PASSWORD');
    expect(users).toContain('process.env.MONGO_EXPORTER_PASSWORD');
    // The exporter: its own user, in the environment, not on its command line.
    const exporter = byName.get('mongodb-exporter')!.svc;
    expect((exporter.environment as Record<string, string>).MONGODB_URI).toMatch(/^mongodb:\/\/exporter:\$\{MONGO_EXPORTER_PASSWORD:\?[^}]*\}@mongo:27017\//);
    expect(JSON.stringify(exporter.command)).not.toContain('mongodb.uri');
    // The health check logs in as root from the container's environment.
    expect(readFileSync(join(root, 'deploy/mongo/healthcheck.js'), 'utf8')).toContain('.auth(process.env.MONGO_INITDB_ROOT_USERNAME, process.env.MONGO_INITDB_ROOT_PASSWORD)');
  });
});
