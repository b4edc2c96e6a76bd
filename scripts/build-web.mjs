// Builds web/ with Vite. Prints one line of progress, the full output only on failure.
import { spawnSync } from 'node:child_process';
process.stdout.write('building web/ with vite… ');
const r = spawnSync('npm', ['run', '--silent', 'build', '-w', 'web'], { encoding: 'utf8' });
if (r.status !== 0) {
  process.stdout.write('failed\n');
  process.stderr.write(r.stdout + r.stderr);
  process.exit(r.status ?? 1);
}
process.stdout.write('done\n');
