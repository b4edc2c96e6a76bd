// The compose model as `docker compose` builds it from docker-compose.yml and the files it includes,
// read offline (no Docker here), for the focused compose-*.test.ts checks.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type Service = {
  image?: string;
  networks?: string[] | Record<string, unknown>;
  environment?: Record<string, unknown> | string[];
  command?: string | string[];
  profiles?: string[];
  configs?: (string | { source: string; target?: string })[];
};
export type ComposeFile = {
  include?: (string | { path: string | string[] })[];
  services?: Record<string, Service>;
  networks?: Record<string, unknown>;
  configs?: Record<string, { content?: string; file?: string; environment?: string }>;
};
export type Located = { name: string; svc: Service; file: string; dir: string };

export const readCompose = (file: string): ComposeFile => parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;

/** Resolves ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?msg} as compose does, from `env` (empty by default). */
export function interpolate(value: string, env: Record<string, string> = {}): string {
  return value
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g, (_m, name: string, op: string | undefined, arg: string) => {
      const set = name in env;
      const v = env[name] ?? '';
      if (op === ':-') return v === '' ? arg : v;
      if (op === '-') return set ? v : arg;
      return v;
    })
    .replace(/\$\$/g, '$');
}

/** Every file of the model: the main file, then each included one (with its own project folder). */
export function composeFiles(mainFile = join(root, 'docker-compose.yml')): { file: string; dir: string; doc: ComposeFile }[] {
  const main = readCompose(mainFile);
  const included = (main.include ?? [])
    .flatMap((e) => (typeof e === 'string' ? [e] : Array.isArray(e.path) ? e.path : [e.path]))
    .map((p) => resolve(dirname(mainFile), p))
    .filter((f) => existsSync(f));
  return [{ file: mainFile, dir: dirname(mainFile), doc: main }, ...included.map((f) => ({ file: f, dir: dirname(f), doc: readCompose(f) }))];
}

/** Services of the model, every profile included; later files (`-f` overrides) merge into earlier ones. */
export function composeServices(files = composeFiles()): Map<string, Located> {
  const out = new Map<string, Located>();
  for (const { file, dir, doc } of files) {
    for (const [name, svc] of Object.entries(doc.services ?? {})) {
      const prev = out.get(name);
      // As compose merges an override: mappings such as environment key by key, the rest replaced.
      const merged = prev ? { ...prev.svc, ...svc, environment: { ...environmentOf(prev.svc), ...environmentOf(svc) } } : svc;
      out.set(name, prev ? { ...prev, svc: merged } : { name, svc, file, dir });
    }
  }
  return out;
}

export function networksOf(svc: Service): string[] {
  if (!svc.networks) return ['default'];
  return Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks);
}

export function environmentOf(svc: Service): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v ?? '')]));
}

/**
 * The values .env.example documents for a variable besides its default: `NAME=` lines are empty, so
 * the comment above names what to set (e.g. "syslog:server=graylog:1514,tag=nginx with the logging profile").
 */
export function documentedValues(name: string): string {
  const lines = readFileSync(join(root, '.env.example'), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${name}=`));
  if (at < 0) return '';
  let start = at;
  while (start > 0 && lines[start - 1]!.startsWith('#')) start -= 1;
  return lines.slice(start, at + 1).join('\n');
}
