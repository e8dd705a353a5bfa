// `npm test`: generate the rule index, type-check and build, lint the project's own code, then run every test
// file under out/test with node's test runner. Extra arguments are passed on as test-file filters.
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fg from 'fast-glob';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);

function run(label, cmd, args, opts = {}) {
  const t0 = Date.now();
  process.stdout.write(`> ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
  process.stdout.write(`  ${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

const node = process.execPath;
run('build', node, [join(root, 'scripts', 'build.mjs')]);
if (!filters.length) run('eslint', node, [join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--max-warnings=0', '.']);
const files = fg.sync('out/test/**/*.test.js', { cwd: root }).sort().filter((f) => !filters.length || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
run('tests', node, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { env: { ...process.env, NODE_OPTIONS: '--enable-source-maps' } });
