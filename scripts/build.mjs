// Build: rule index, TypeScript (type-check + emit to out/), client type-check, esbuild bundles to dist/.
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function step(args) {
  const r = spawnSync(node, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}

step([join(root, 'scripts', 'gen-rule-index.mjs')]);
step([tsc, '-b', 'tsconfig.json']);
if (existsSync(join(root, 'client', 'tsconfig.json'))) step([tsc, '-p', 'client/tsconfig.json', '--noEmit']);
if (existsSync(join(root, 'scripts', 'bundle.mjs'))) step([join(root, 'scripts', 'bundle.mjs')]);
