/**
 * The README is the user's entry point: its rule table is generated from the rule folders, and its quick start
 * names the two commands a fresh machine needs (install-and-lint, test), the second being exactly what CI runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

test('the README rule table is what scripts/gen-readme-rules.mjs generates from the rule folders', () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'gen-readme-rules.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const ruleDirs = readdirSync(join(root, 'rules')).filter((d) => /^KS\d{4}-/.test(d));
  for (const d of ruleDirs) assert.ok(readme.includes(`](rules/${d}/rule.md)`), `${d} is listed`);
});

test('the quick start has the install-and-lint command and the test command; CI runs that test command', () => {
  const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1));
  assert.match(quick, /^npm ci && npx kslint .+$/m);
  assert.match(quick, /^npm test(\s|$)/m);
  const ci = readFileSync(join(root, '.ci', 'run'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  assert.equal(ci[ci.length - 1].trim(), 'npm test', 'the last step of .ci/run is the README test command');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.ok(pkg.bin.kslint, 'npx kslint resolves to this package');
});
