// Rewrites the committed alertmanager.compose.yml from config.ts.
// Usage: npx tsx monitoring/alertmanager/render-compose.ts
import { writeFileSync } from 'node:fs';
import { COMPOSE_FILE, renderCompose } from './config.js';

writeFileSync(COMPOSE_FILE, renderCompose());
