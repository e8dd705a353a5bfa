// `npm run package`: builds (type-check + bundles) and packages the extension as kslint-<version>.vsix, offline.
// The .vsix holds dist/ (bundles, wasm fallback, native prebuilds for darwin/linux/win32 x64+arm64, rule docs),
// the grammar and the config schema; see .vscodeignore.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args) => {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
};
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (!process.argv.includes('--no-build')) run([join(root, 'scripts', 'build.mjs')]);
const out = process.argv.find((a) => a.startsWith('--out='))?.slice(6) ?? join(root, `kslint-${version}.vsix`);
run([join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '--out', out]);
