/** The CI formats from the real CLI: GitHub workflow commands on standard output, a GitLab Code Quality file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLEAN, TWO_WARNINGS, makeTree, removeTree, runCli } from './cli-helpers';

test('--format github: one workflow command per finding on standard output, the summary on standard error', async () => {
  const dir = makeTree({ 'src/copy.c': TWO_WARNINGS, 'src/ok.c': CLEAN, 'src/blob.c': '\u0000\u0001binary' });
  try {
    const r = await runCli(['--format', 'github', 'src'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines.length, 4, r.stdout);
    assert.ok(lines[0].startsWith("::warning file=src/copy.c,line=3,col=5,endLine=3,endColumn=11,title=KS1301 banned-string-apis::'strcpy' writes without a destination size"), lines[0]);
    assert.ok(lines[1].startsWith("::warning file=src/copy.c,line=4,col=5,endLine=4,endColumn=11,title=KS1301 banned-string-apis::'strcat' "), lines[1]);
    assert.ok(lines[2].startsWith('::warning::kslint did not analyse src/blob.c: contains NUL bytes'), lines[2]);
    assert.equal(lines[3], '', 'nothing after the commands');
    assert.match(r.stderr, /2 warnings/);
    const failing = await runCli(['--format', 'github', '--fail-on', 'warning', 'src'], { cwd: dir });
    assert.equal(failing.code, 1, 'the exit status still follows --fail-on');
  } finally {
    removeTree(dir);
  }
});

test('-f gitlab -o gl.json: a Code Quality file, nothing on standard output', async () => {
  const dir = makeTree({ 'src/copy.c': TWO_WARNINGS });
  try {
    const r = await runCli(['-f', 'gitlab', '-o', 'gl.json', 'src'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /2 warnings .* -> gl\.json/);
    const issues = JSON.parse(readFileSync(join(dir, 'gl.json'), 'utf8')) as { check_name: string; severity: string; fingerprint: string; location: { path: string; lines: { begin: number } } }[];
    assert.deepEqual(issues.map((i) => [i.check_name, i.severity, i.location.path, i.location.lines.begin]), [
      ['KS1301-banned-string-apis', 'major', 'src/copy.c', 3],
      ['KS1301-banned-string-apis', 'major', 'src/copy.c', 4],
    ]);
    assert.equal(new Set(issues.map((i) => i.fingerprint)).size, 2);
    const again = await runCli(['--format', 'codequality=gl2.json', 'src'], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(join(dir, 'gl2.json'), 'utf8'), readFileSync(join(dir, 'gl.json'), 'utf8'), 'the same fingerprints on the next run');
  } finally {
    removeTree(dir);
  }
});
