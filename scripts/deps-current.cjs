// Exit 0 when node_modules matches package-lock.json (same packages at the same versions), so
// preflight.sh can skip `npm ci` and its one-minute better-sqlite3 compile.
const fs = require('node:fs');
try {
  const want = JSON.parse(fs.readFileSync('package-lock.json', 'utf8')).packages;
  const have = JSON.parse(fs.readFileSync('node_modules/.package-lock.json', 'utf8')).packages;
  for (const [path, meta] of Object.entries(want)) {
    // Every installed package, also one a workspace keeps in its own node_modules (api/node_modules/…).
    if (!path.includes('node_modules/') || meta.optional) continue;
    if (have[path]?.version !== meta.version) process.exit(1);
  }
  process.exit(fs.existsSync('node_modules/better-sqlite3/build/Release/better_sqlite3.node') ? 0 : 1);
} catch {
  process.exit(1);
}
