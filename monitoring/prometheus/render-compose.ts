// Rewrites the committed prometheus.compose.yml from targets.ts.
// Usage: npx tsx monitoring/prometheus/render-compose.ts
import { writeFileSync } from 'node:fs';
import { COMPOSE_FILE, renderCompose } from './targets.js';

writeFileSync(COMPOSE_FILE, renderCompose());
