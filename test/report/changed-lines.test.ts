/** `--changed-since`: diff parsing, and a real temporary git repository with edits, new files and odd names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedLinesSince, filterToChangedLines, parseUnifiedDiff, unquoteGitPath } from '../../server/src/report/changed-lines';
import { lintTree } from './run-helpers';

test('unified diff hunks give the added and changed lines of each new-side file', () => {
  const diff = [
    'diff --git a/src/a.c b/src/a.c',
    'index 1111111..2222222 100644',
    '--- a/src/a.c',
    '+++ b/src/a.c',
    '@@ -3,0 +4,2 @@ VOID F(VOID)',
    '+    x = 1;',
    '+    y = 2;',
    '@@ -10 +12 @@',
    '-old',
    '+new',
    '@@ -20,3 +21,0 @@',
    '-gone',
    '\\ No newline at end of file',
    'diff --git a/old.c b/renamed.c',
    'similarity index 90%',
    'rename from old.c',
    'rename to renamed.c',
    '--- a/old.c',
    '+++ b/renamed.c',
    '@@ -1 +1 @@',
    '-a',
    '+b',
    'diff --git a/deleted.c b/deleted.c',
    '--- a/deleted.c',
    '+++ /dev/null',
    '@@ -1,2 +0,0 @@',
    'diff --git "a/sp ace\\"q\\303\\251.c" "b/sp ace\\"q\\303\\251.c"',
    '--- "a/sp ace\\"q\\303\\251.c"',
    '+++ "b/sp ace\\"q\\303\\251.c"',
    '@@ -0,0 +1,3 @@',
  ].join('\n');
  const m = parseUnifiedDiff(diff);
  assert.deepEqual([...m.keys()], ['src/a.c', 'renamed.c', 'sp ace"qé.c']);
  assert.deepEqual([...(m.get('src/a.c') as Set<number>)], [4, 5, 12]);
  assert.deepEqual([...(m.get('renamed.c') as Set<number>)], [1]);
  assert.deepEqual([...(m.get('sp ace"qé.c') as Set<number>)], [1, 2, 3]);
  assert.equal(unquoteGitPath('plain.c'), 'plain.c');
  assert.equal(unquoteGitPath('"tab\\there.c"'), 'tab\there.c');
});

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8' });
}

const BASE = ['#include <ntddk.h>', 'VOID A(CHAR *d, const CHAR *s)', '{', '    strcpy(d, s);', '}', 'VOID B(WCHAR *o, ULONG id)', '{', '    swprintf(o, L"x%u", id);', '}', ''].join('\n');

test('a temporary repository: only findings on lines changed since the ref are reported', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-changed-'));
  try {
    git(dir, 'init', '-q');
    writeFileSync(join(dir, 'driver.c'), BASE);
    writeFileSync(join(dir, 'quiet.c'), 'VOID Q(CHAR *d, const CHAR *s)\n{\n    strcat(d, s);\n}\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'base');
    // Shift A's bug without touching it, change the line of B's bug, add a bug in a new function.
    const edited = ['/* header */', '', BASE.replace('swprintf(o, L"x%u", id);', 'swprintf(o, L"dev%u", id);'), 'VOID C(CHAR *d)', '{', '    strcat(d, "-c");', '}', ''].join('\n');
    writeFileSync(join(dir, 'driver.c'), edited);
    writeFileSync(join(dir, 'new file "x".c'), 'VOID N(CHAR *d)\n{\n    sprintf(d, "n");\n}\n');

    const changed = await changedLinesSince('HEAD', dir);
    assert.match(changed.commit, /^[0-9a-f]{40}$/);
    const run = await lintTree(dir);
    assert.equal(run.findings.length, 5);
    const focused = filterToChangedLines(run, changed);
    assert.deepEqual(focused.findings.map((f) => `${f.file}:${f.range.start.line + 1}`), ['driver.c:10', 'driver.c:15', 'new file "x".c:3']);
    assert.deepEqual(focused.changedSince, { ref: 'HEAD', omitted: 2 });

    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'edit');
    const none = filterToChangedLines(await lintTree(dir), await changedLinesSince('HEAD', dir));
    assert.equal(none.findings.length, 0, 'nothing changed since HEAD');
    const sinceFirst = filterToChangedLines(await lintTree(dir), await changedLinesSince('HEAD~1', dir));
    assert.equal(sinceFirst.findings.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hostile or unknown refs and non-repositories are errors that run nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-changed-'));
  try {
    await assert.rejects(changedLinesSince('HEAD', dir), /needs a git repository/);
    git(dir, 'init', '-q');
    writeFileSync(join(dir, 'a.c'), 'int x;\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'base');
    const marker = join(dir, 'pwned');
    for (const ref of ['--output=' + marker, `HEAD; touch ${marker}`, `$(touch ${marker})`, 'no-such-branch', '']) {
      await assert.rejects(changedLinesSince(ref, dir), /not a git revision|unknown git revision/, ref);
    }
    assert.equal(existsSync(marker), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
