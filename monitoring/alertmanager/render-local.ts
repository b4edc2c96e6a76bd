// Writes the single-machine Alertmanager config for ./run.sh: the routes and inhibitions of compose,
// the webhook from ALERT_WEBHOOK_URL (empty: alerts stay in Alertmanager's UI).
// Usage: npx tsx monitoring/alertmanager/render-local.ts <out.yml>
import { writeFileSync } from 'node:fs';
import { renderLocal } from './config.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: render-local.ts <output.yml>');
  process.exit(2);
}
writeFileSync(out, renderLocal(process.env));
