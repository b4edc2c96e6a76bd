import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allSettings, renderEnvExample, withReadmeTable } from '../../scripts/settings.js';

const root = join(import.meta.dirname, '../..');
const REGENERATE = 'out of date: run `npm run gen:settings` (it rewrites the README settings table and .env.example from api/src/platform/config.ts, consumer/src/config.ts and scripts/settings.ts)';

describe('settings documentation, generated from the config schemas', () => {
  it('the README settings table is the one the config schemas generate', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme, `README.md settings table ${REGENERATE}`).toBe(withReadmeTable(readme));
  });

  it('.env.example is the one the config schemas generate', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    expect(example, `.env.example ${REGENERATE}`).toBe(renderEnvExample());
  });

  it('every setting the api and the consumer parse is in .env.example, set or commented out with its default', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    const missing = allSettings().filter((s) => !documented.has(s.key)).map((s) => s.key);
    expect(missing).toEqual([]);
    // A few the issue named as undocumented before the table was generated.
    for (const key of ['ADMIN_SESSION_HOURS', 'LOG_PRETTY', 'PUBLISH_TIMEOUT_MS', 'RESULTS_REFRESH_MS', 'PREFETCH', 'BATCH_MAX', 'ANTIBOT_EXPIRY_SECONDS']) {
      expect(documented, key).toContain(key);
    }
  });
});
