// Writes dashboards/*.json from dashboards.ts. Usage: npx tsx monitoring/grafana/generate.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboards, serialise } from './dashboards.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dashboards');
mkdirSync(dir, { recursive: true });
for (const { file, model } of buildDashboards()) writeFileSync(path.join(dir, file), serialise(model));
