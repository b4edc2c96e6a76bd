// The MongoDB image reads its root user's variables and runs /docker-entrypoint-initdb.d only on an
// empty data volume (docker-library/mongo, docker-entrypoint.sh). The .env keys that reach those are
// fixed at the first start: docs/DEPLOY.md must not offer them to the "delete the line and rerun
// gen-env" rotation that works for every other secret.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeServices, environmentOf, root } from './compose-model.js';

const mongo = composeServices().get('mongo')!.svc;
const env = environmentOf(mongo);
const initScripts = (mongo as { volumes?: string[] }).volumes!
  .filter((v) => v.includes(':/docker-entrypoint-initdb.d/'))
  .map((v) => join(root, v.split(':')[0]!));
const readAtInit = new Set([
  'MONGO_INITDB_ROOT_USERNAME',
  'MONGO_INITDB_ROOT_PASSWORD',
  ...initScripts.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/process\.env\.([A-Z_]+)/g)].map((m) => m[1]!)),
]);
const setOnce = [...readAtInit].flatMap((k) => [...(env[k] ?? '').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));

describe('MongoDB secrets fixed at the first start', () => {
  it('when the users are made from .env, then those keys are found', () => {
    expect(initScripts.length).toBeGreaterThan(0);
    expect(setOnce.sort()).toEqual(['MONGO_APP_PASSWORD', 'MONGO_EXPORTER_PASSWORD', 'MONGO_ROOT_PASSWORD']);
  });

  it('docs/DEPLOY.md says where it explains rotation that each of them is set once', () => {
    const deploy = readFileSync(join(root, 'docs/DEPLOY.md'), 'utf8');
    const rotation = deploy.slice(deploy.indexOf('To rotate a secret'), deploy.indexOf('Grafana reads `GRAFANA_ADMIN_PASSWORD`'));
    expect(rotation.length).toBeGreaterThan(0);
    for (const key of setOnce) expect(rotation, key).toMatch(new RegExp(`\`${key}\`[^.]*are set once`));
    // The way it offers to change one updates the user in the database, for each user the image made.
    expect(rotation).toContain("changeUserPassword('paredao'");
    for (const user of ['exporter', 'root']) expect(rotation).toContain(`\`${user}\``);
  });
});
