/**
 * Real VS Code end to end (code-server in headless Chromium): runs scripts/e2e-vscode.mjs, which installs its
 * tools on first use (cached under ~/.cache/kslint-e2e), packages and installs the .vsix, and drives the
 * workbench. Its output names the step that failed; screenshots are in test-artifacts/e2e/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

test('VS Code (code-server): squiggle, Problems entry, hover with the rule text, quick fix applied to the file', { timeout: 45 * 60_000 }, async () => {
  const child = spawn(process.execPath, [join(root, 'scripts', 'e2e-vscode.mjs')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 0, `e2e-vscode.mjs exited with ${code}:\n${out.split('\n').slice(-60).join('\n')}`);
  assert.match(out, /\[e2e\] passed in/);
});
