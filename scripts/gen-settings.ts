// Writes the README's settings table and .env.example from the config schemas (scripts/settings.ts).
// Run: npm run gen:settings    (after adding or changing a setting; tests/config/settings.test.ts checks it)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderEnvExample, withReadmeTable } from './settings.js';

const root = join(import.meta.dirname, '..');
const readme = join(root, 'README.md');
writeFileSync(readme, withReadmeTable(readFileSync(readme, 'utf8')));
writeFileSync(join(root, '.env.example'), renderEnvExample());
console.log('gen-settings: wrote README.md (settings table) and .env.example');
