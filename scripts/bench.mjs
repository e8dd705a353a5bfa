// `npm run bench [-- --mb N] [-- --dir PATH] [--jobs N]`: builds, then runs the benchmark driver (bench/main.ts).
// Options: --mb N | --files N, --seed N, --dir PATH (repeatable), --jobs N (compared with 1), --scale 1,2,4,
// --no-tools, --no-install, --no-corpus, --rerun N (cached re-runs after each kind of edit, N times; 0 skips),
// --json FILE, --keep, --no-build.
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
if (!noBuild) {
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status || 1);
}
const r = spawnSync(process.execPath, [join(root, 'out', 'bench', 'main.js'), ...args.filter((a) => a !== '--no-build')], { stdio: 'inherit' });
process.exit(r.status ?? 1);
