// The images built from this repository: multi-stage, pinned, non-root, one lockfile, and the Node
// services started as the local run starts them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOf, byName, instructions, interpolate, isPinned, root, services } from './compose-model.js';

describe('Dockerfiles', () => {
  const dockerfiles = ['Dockerfile', 'proxy/Dockerfile'];

  it.each(dockerfiles)('%s is multi-stage, pins every base image and serves requests as a non-root user', (file) => {
    const ins = instructions(join(root, file));
    const froms = ins.filter((i) => i.op === 'FROM');
    expect(froms.length, 'multi-stage').toBeGreaterThanOrEqual(2);
    const stageNames = new Set(froms.map((f) => f.args.split(/\s+AS\s+/i)[1]).filter(Boolean));
    for (const f of froms) {
      const image = f.args.replace(/--platform=\S+\s+/, '').split(/\s+/)[0]!;
      if (stageNames.has(image)) continue;
      expect(isPinned(image), `${file}: FROM ${image}`).toBe(true);
    }
    const last = froms.length - 1;
    const users = ins.filter((i) => i.op === 'USER' && i.stage === last);
    if (file === 'proxy/Dockerfile') {
      // nginx's master reads the TLS key as root and starts the workers, which serve every request,
      // as the image's nginx user (tests/config/proxy-tls-key.test.ts).
      const cmd = JSON.parse(ins.filter((i) => i.op === 'CMD' && i.stage === last).at(-1)!.args) as string[];
      expect(cmd.join(' ')).toMatch(/\buser nginx\b/);
    } else {
      expect(users.length, `${file}: final stage sets no USER`).toBeGreaterThan(0);
      expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/);
    }
    expect(ins.some((i) => i.op === 'HEALTHCHECK' && i.stage === last), `${file}: no HEALTHCHECK`).toBe(true);
  });

  it.each(dockerfiles)('%s builds from the root lockfile with npm ci', (file) => {
    const ins = instructions(join(root, file));
    expect(ins.some((i) => i.op === 'COPY' && /\bpackage-lock\.json\b/.test(i.args))).toBe(true);
    expect(ins.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))).toBe(true);
  });

  // One Dockerfile for the two Node services: compose chooses the service and its port by build args.
  const nodeImage = instructions(join(root, 'Dockerfile'));
  it.each([
    ['api', 'api/dist/main.js', 'API_PORT', '3000'],
    ['consumer', 'consumer/dist/main.js', 'CONSUMER_PORT', '3001'],
  ])('the %s image starts with the same command as the local run, listens on all interfaces and probes its own /healthz', (pkg, entry, portVar, port) => {
    const svc = byName.get(pkg)!.svc;
    expect(buildOf(svc)!.args).toEqual({ SERVICE: pkg, PORT: port });
    expect((svc.environment as Record<string, string>)[portVar]).toBe(port);
    const cmd = JSON.parse(nodeImage.filter((i) => i.op === 'CMD').at(-1)!.args) as string[];
    // sh only to expand $SERVICE; exec makes node PID 1, which gets the stop signal.
    expect(cmd.slice(0, 2)).toEqual(['sh', '-c']);
    const command = cmd[2]!.replace(/"?\$SERVICE"?/g, pkg).replace(/"/g, '');
    expect(command).toBe(`exec node ${entry}`);
    const text = readFileSync(join(root, 'run.sh'), 'utf8').replace(/\s+/g, ' ');
    expect(text, `run.sh does not start "node ${entry}"`).toContain(`node ${entry}`);
    const env = nodeImage.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(new RegExp(`${portVar.replace('PORT', 'HOST')}=0\\.0\\.0\\.0`));
    expect(env).toContain('SERVICE_PORT=${PORT}');
    const hc = nodeImage.find((i) => i.op === 'HEALTHCHECK')!;
    expect(hc.args).toContain('/healthz');
    expect(hc.args).toContain('process.env.SERVICE_PORT');
  });

  it('the Node image refuses to build without a known SERVICE', () => {
    expect(nodeImage.some((i) => i.op === 'RUN' && /test "\$SERVICE" = api \|\| test "\$SERVICE" = consumer/.test(i.args))).toBe(true);
  });
});

describe('Node.js versions', () => {
  // Node 20 left support on 2026-04-30; 22 and 24 are the LTS lines. Images run a pinned LTS; the code
  // keeps working on the Node a local run finds (engines), which CI runs on.
  const LTS_MAJORS = [22, 24];
  const nodeImages = [
    ...['Dockerfile', 'proxy/Dockerfile'].flatMap((f) =>
      instructions(join(root, f))
        .filter((i) => i.op === 'FROM')
        .map((i) => ({ where: f, image: i.args.replace(/--platform=\S+\s+/, '').split(/\s+/)[0]! })),
    ),
    ...services.filter((s) => s.svc.image).map((s) => ({ where: s.name, image: interpolate(s.svc.image!) })),
  ].filter((x) => /^(docker\.io\/)?(library\/)?node:/.test(x.image));

  it('every image with Node runs a pinned current LTS (22 or 24)', () => {
    expect(nodeImages.length).toBeGreaterThanOrEqual(4);
    for (const { where, image } of nodeImages) {
      expect(isPinned(image), `${where}: ${image}`).toBe(true);
      const major = Number(/:(\d+)\./.exec(image)?.[1]);
      expect(LTS_MAJORS, `${where}: ${image}`).toContain(major);
    }
  });

  it('package.json still accepts Node 20.19, and this Node satisfies it', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('>=20.19');
    const [major, minor] = process.versions.node.split('.').map(Number);
    expect(major! > 20 || (major === 20 && minor! >= 19), `running on ${process.versions.node}`).toBe(true);
  });
});
