/** File discovery: .gitignore at every level, include/exclude/external patterns, links, globs, explicit files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_EXTERNAL } from '../../server/src/project/config';
import { discoverFiles, DiscoveryError } from '../../server/src/project/discover';
import { makeTree, removeTree } from '../cli/cli-helpers';

const cfg = (root: string, over: { include?: string[]; exclude?: string[]; external?: string[] } = {}) => ({
  root,
  include: over.include ?? [],
  exclude: over.exclude ?? [],
  external: over.external ?? DEFAULT_EXTERNAL,
});

test('.gitignore files apply at every level, deeper ones override, and only inside the repository', () => {
  const dir = makeTree({
    '.git/HEAD': 'ref: refs/heads/main\n',
    '.gitignore': 'build/\n*.gen.c\n',
    'src/a.c': '',
    'src/b.gen.c': '',
    'src/.gitignore': '!keep.gen.c\nlocal.c\n',
    'src/keep.gen.c': '',
    'src/local.c': '',
    'src/sub/local.c': '',
    'build/out.c': '',
    'notes.txt': '',
    'inc/x.h': '',
    'inc/y.HPP': '',
  });
  try {
    const d = discoverFiles(['.'], { cwd: dir, config: cfg(dir) });
    assert.deepEqual(d.files, ['inc/x.h', 'inc/y.HPP', 'src/a.c', 'src/keep.gen.c']);
    assert.equal(d.dropped.gitignore, 4);
    // Started in a subfolder: the repository's top-level .gitignore still applies.
    const sub = discoverFiles(['.'], { cwd: join(dir, 'src'), config: cfg(join(dir, 'src')) });
    assert.deepEqual(sub.files, ['a.c', 'keep.gen.c']);
  } finally {
    removeTree(dir);
  }
});

test('exclude, include and external patterns use .gitignore syntax relative to the config root', () => {
  const dir = makeTree({
    'src/a.c': '',
    'src/test/t.c': '',
    'tools/gen.c': '',
    'third_party/zlib/inflate.c': '',
    'packages/Microsoft.Windows.WDK.x64.10.0.26100.1/c/Include/10.0.26100.0/km/wdm.h': '',
    'Windows Kits/10/Include/10.0.22621.0/shared/ntdef.h': '',
    'sdk/Include/10.0.22621.0/um/winioctl.h': '',
    'external/lib.c': '',
  });
  try {
    const d = discoverFiles([], { cwd: dir, config: cfg(dir, { exclude: ['**/test/**'], include: ['src/', 'third_party/'] }) });
    assert.deepEqual(d.files, ['src/a.c']);
    assert.deepEqual(d.dropped, { gitignore: 0, exclude: 1, include: 1, external: 5 });
    const everything = discoverFiles(['.'], { cwd: dir, config: cfg(dir, { external: [] }) });
    assert.equal(everything.files.length, 8);
    // A negated pattern takes one folder back from the built-in external list.
    const back = discoverFiles(['.'], { cwd: dir, config: cfg(dir, { external: [...DEFAULT_EXTERNAL, '!external/'] }) });
    assert.ok(back.files.includes('external/lib.c'));
  } finally {
    removeTree(dir);
  }
});

test('explicitly named files go through the same filters and are listed as skipped with the reason', () => {
  const dir = makeTree({ '.git/HEAD': '', '.gitignore': 'old.c\n', 'old.c': '', 'a.c': '', 'third_party/z.c': '', 'readme.md': '' });
  try {
    const d = discoverFiles(['a.c', 'old.c', 'third_party/z.c', 'readme.md', 'a.c'], { cwd: dir, config: cfg(dir) });
    assert.deepEqual(d.files, ['a.c']);
    assert.deepEqual(
      d.skipped.map((s) => `${s.file}: ${s.reason}`),
      ['old.c: ignored by a .gitignore file', 'readme.md: not a C/C++ source file (by its extension)', 'third_party/z.c: third-party or SDK code (external patterns); not linted'],
    );
    assert.throws(() => discoverFiles(['missing.c'], { cwd: dir, config: cfg(dir) }), DiscoveryError);
  } finally {
    removeTree(dir);
  }
});

test('glob arguments expand; a glob matching nothing is an error', () => {
  const dir = makeTree({ 'src/a.c': '', 'src/b.cpp': '', 'src/deep/c.c': '' });
  try {
    assert.deepEqual(discoverFiles(['src/**/*.c'], { cwd: dir, config: cfg(dir) }).files, ['src/a.c', 'src/deep/c.c']);
    assert.throws(() => discoverFiles(['src/**/*.cc'], { cwd: dir, config: cfg(dir) }), /no files match the pattern/);
  } finally {
    removeTree(dir);
  }
});

test('symbolic links: files are linted once, folder links and loops are not followed, broken links are reported', () => {
  const dir = makeTree({ 'src/a.c': '', 'src/sub/b.c': '' });
  try {
    symlinkSync('..', join(dir, 'src', 'sub', 'loop'));
    symlinkSync('a.c', join(dir, 'src', 'alias.c'));
    symlinkSync('/nonexistent/x.c', join(dir, 'src', 'dangling.c'));
    mkdirSync(join(dir, 'src', 'dir.c'));
    const d = discoverFiles(['.', 'src/a.c'], { cwd: dir, config: cfg(dir) });
    assert.deepEqual(d.files, ['src/a.c', 'src/sub/b.c']);
    assert.deepEqual(d.skipped, [{ file: 'src/dangling.c', reason: 'broken symbolic link' }]);
  } finally {
    removeTree(dir);
  }
});

test('paths with spaces and non-ASCII characters, and files outside the working folder', () => {
  const dir = makeTree({ 'my project/ünï cødé/drv.c': '', 'other/x.c': '' });
  try {
    const d = discoverFiles(['.'], { cwd: join(dir, 'my project'), config: cfg(join(dir, 'my project')) });
    assert.deepEqual(d.files, ['ünï cødé/drv.c']);
    const out = discoverFiles(['../other'], { cwd: join(dir, 'my project'), config: cfg(join(dir, 'my project')) });
    assert.deepEqual(out.files, [join(dir, 'other', 'x.c')]);
  } finally {
    removeTree(dir);
  }
});
