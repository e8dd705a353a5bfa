/** `kslint --fix`: safe fixes written into the linted files, only where the bytes are certain to survive. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashOf } from '../../server/src/cli/cache';
import { applySafeFixes, reportFixes } from '../../server/src/cli/fix';
import { applyPatch, parsePatch } from 'diff';
import { applyEdits } from '../../server/src/engine/fix-all';
import { readSourceFile } from '../../server/src/project/read-source';
import { lintText } from '../helpers';
import { makeTree, removeTree, runCli } from './cli-helpers';

/** An MDL mapping used without a NULL test (KS1202, a safe fix) and without MdlMappingNoExecute (KS1801, safe). */
const MAP = (eol: string): string =>
  ['NTSTATUS Map(PMDL Mdl)', '{', '    PUCHAR p;', `    p = (PUCHAR)MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority); // é`, '    p[0] = 1;', '    return STATUS_SUCCESS;', '}', ''].join(eol);
const FIXED = (eol: string): string =>
  ['NTSTATUS Map(PMDL Mdl)', '{', '    PUCHAR p;', '    p = (PUCHAR)MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority | MdlMappingNoExecute); // é', '    if (p == NULL) {', '        return STATUS_INSUFFICIENT_RESOURCES;', '    }', '    p[0] = 1;', '    return STATUS_SUCCESS;', '}', ''].join(eol);
const utf16le = (text: string): Buffer => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

test('--fix writes the safe fixes (CRLF, UTF-16 with BOM, permissions and symbolic links kept) and reports what remains', async () => {
  const dir = makeTree({ 'crlf.c': MAP('\r\n'), 'wide.c': utf16le(MAP('\n')), 'target/real.c': MAP('\n') });
  try {
    chmodSync(join(dir, 'crlf.c'), 0o640);
    symlinkSync(join(dir, 'target', 'real.c'), join(dir, 'link.c'));
    const before = await runCli(['crlf.c', 'wide.c', 'link.c'], { cwd: dir });
    assert.equal(before.code, 1, before.stdout);
    assert.equal(before.stdout.match(/ KS1202 /g)?.length, 3);

    const r = await runCli(['--fix', 'crlf.c', 'wide.c', 'link.c'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /^kslint: applied 6 safe fixes in 3 files$/m);
    assert.match(r.stdout, /^0 errors, 0 warnings and 0 notes in 3 files$/m, 'the report is of the fixed files');
    assert.equal(readFileSync(join(dir, 'crlf.c'), 'utf8'), FIXED('\r\n'), 'inserted lines end in CRLF like the others');
    assert.equal(statSync(join(dir, 'crlf.c')).mode & 0o777, 0o640);
    assert.deepEqual(readFileSync(join(dir, 'wide.c')), utf16le(FIXED('\n')), 'still UTF-16 LE with its BOM');
    assert.ok(lstatSync(join(dir, 'link.c')).isSymbolicLink(), 'the link is still a link');
    assert.equal(readFileSync(join(dir, 'target', 'real.c'), 'utf8'), FIXED('\n'));

    const again = await runCli(['--fix', 'crlf.c', 'wide.c', 'link.c'], { cwd: dir });
    assert.equal(again.code, 0);
    assert.match(again.stderr, /^kslint: no safe fixes to apply$/m);
    assert.equal(readFileSync(join(dir, 'crlf.c'), 'utf8'), FIXED('\r\n'));
  } finally {
    removeTree(dir);
  }
});

test('--fix leaves alone suppressed and baselined findings, and files whose bytes would not survive a rewrite', async () => {
  const suppressed = MAP('\n').replace('    p[0] = 1;', '    // kslint-disable-next-line KS1202 -- the MDL is locked system memory, mapped at start-up\n    p[0] = 1;');
  const latin1 = Buffer.from(MAP('\n').replace('é', '\u00e9'), 'latin1');
  const dir = makeTree({ 'src/suppressed.c': suppressed, 'src/latin1.c': latin1, 'src/old.c': MAP('\n') });
  try {
    const base = await runCli(['--write-baseline', 'base.json', 'src/old.c'], { cwd: dir });
    assert.equal(base.code, 1);
    const r = await runCli(['--fix', '--baseline', 'base.json', 'src'], { cwd: dir });
    assert.equal(r.code, 1, 'the error in the legacy-encoded file is still reported');
    assert.match(r.stderr, /^kslint: applied 1 safe fix in 1 file$/m);
    assert.match(r.stderr, /^kslint: note: safe fixes not applied to src\/latin1\.c: its bytes would not be written back as they are/m);
    assert.deepEqual(readFileSync(join(dir, 'src', 'latin1.c')), latin1, 'byte for byte as it was');
    assert.equal(readFileSync(join(dir, 'src', 'old.c'), 'utf8'), MAP('\n'), 'a baselined finding is accepted as it is');
    const fixed = readFileSync(join(dir, 'src', 'suppressed.c'), 'utf8');
    assert.ok(fixed.includes('NormalPagePriority | MdlMappingNoExecute') && !fixed.includes('== NULL'), 'only the fix of the finding that is not suppressed');
    assert.match(r.stdout, /src\/latin1\.c:5:5: error KS1202/);
  } finally {
    removeTree(dir);
  }
});

test('--fix without --cache still works where no temporary folder can be made (the second lint is then a full one)', async () => {
  const dir = makeTree({ 'map.c': MAP('\n') });
  try {
    const r = await runCli(['--fix', 'map.c'], { cwd: dir, env: { TMPDIR: join(dir, 'no-such-folder') } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^kslint: applied 2 safe fixes in 1 file$/m);
    assert.equal(readFileSync(join(dir, 'map.c'), 'utf8'), FIXED('\n'));
  } finally {
    removeTree(dir);
  }
});

test('a file changed after it was linted is not rewritten; with the hash of what was linted it is', async () => {
  const dir = makeTree({ 'map.c': MAP('\n') });
  try {
    const { findings } = await lintText('map.c', MAP('\n'));
    const input = { findings, cwd: dir, maxBytes: 1 << 20 };
    writeFileSync(join(dir, 'map.c'), MAP('\n') + '// edited meanwhile\n');
    const stale = applySafeFixes({ ...input, contentHashes: new Map([['map.c', hashOf(Buffer.from(MAP('\n')))]]) });
    assert.deepEqual(stale, { fixed: [], left: [{ file: 'map.c', reason: 'changed since it was linted' }], failed: [] });
    assert.equal(readFileSync(join(dir, 'map.c'), 'utf8'), MAP('\n') + '// edited meanwhile\n');

    writeFileSync(join(dir, 'map.c'), MAP('\n'));
    const done = applySafeFixes({ ...input, contentHashes: new Map([['map.c', hashOf(Buffer.from(MAP('\n')))]]) });
    assert.deepEqual(done, { fixed: [{ file: 'map.c', fixes: 2 }], left: [], failed: [] });
    assert.equal(readFileSync(join(dir, 'map.c'), 'utf8'), FIXED('\n'));
  } finally {
    removeTree(dir);
  }
});

test('a file that cannot be written is a failure, named with the reason, and the other files are still fixed', async () => {
  const dir = makeTree({ 'a.c': MAP('\n'), 'b.c': MAP('\n') });
  try {
    const findings = [...(await lintText('a.c', MAP('\n'))).findings, ...(await lintText('b.c', MAP('\n'))).findings];
    const hash = hashOf(Buffer.from(MAP('\n')));
    const written: string[] = [];
    const out = applySafeFixes({
      findings,
      contentHashes: new Map([['a.c', hash], ['b.c', hash]]),
      cwd: dir,
      maxBytes: 1 << 20,
      write: (path, data) => {
        if (path.endsWith('a.c')) throw new Error('cannot write a.c: read-only file system');
        written.push(path);
        writeFileSync(path, data);
      },
    });
    assert.deepEqual(out, { fixed: [{ file: 'b.c', fixes: 2 }], left: [], failed: [{ file: 'a.c', reason: 'cannot write a.c: read-only file system' }] });
    assert.equal(readFileSync(join(dir, 'a.c'), 'utf8'), MAP('\n'), 'the file that failed is as it was');
    assert.equal(readFileSync(join(dir, 'b.c'), 'utf8'), FIXED('\n'));
    assert.deepEqual(written, [join(dir, 'b.c')]);
    const lines: string[] = [];
    const failed = reportFixes({ fixes: 2, files: new Set(['b.c']), left: new Map(), failed: new Map([['a.c', 'read-only file system']]) }, { quiet: true, write: (s) => lines.push(s) });
    assert.equal(failed, true, 'the CLI turns this into exit code 2');
    assert.deepEqual(lines, ['kslint: cannot write the fixes to a.c: read-only file system\n'], 'said even with --quiet');
  } finally {
    removeTree(dir);
  }
});

test('--fix ends with exit code 2 when a fixed file cannot be written, and still fixes the others', { skip: process.platform === 'win32' }, async () => {
  // The limit on the size of a written file stops even root (file permissions would not), at the fixed file only.
  const big = `/* ${'-'.repeat(3000)} */\n${MAP('\n')}`;
  const dir = makeTree({ 'big.c': big, 'small.c': MAP('\n') });
  try {
    const r = await runCli(['--fix', 'big.c', 'small.c'], { cwd: dir, fileSizeLimit: 4 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^kslint: cannot write the fixes to big\.c: .*EFBIG/m);
    assert.equal(readFileSync(join(dir, 'big.c'), 'utf8'), big, 'as it was');
    assert.equal(readFileSync(join(dir, 'small.c'), 'utf8'), FIXED('\n'));
    assert.match(r.stdout, /^big\.c:\d+:\d+: error KS1202 /m, 'the report shows what is still there');
  } finally {
    removeTree(dir);
  }
});

test('--diff shows what --fix would write as a patch that applies, and changes no file', async () => {
  const files = { 'src/crlf.c': MAP('\r\n'), 'src/wide.c': utf16le(MAP('\n')), 'src/clean.c': 'int f(void) { return 0; }\n' };
  const [shown, fixed] = [makeTree(files), makeTree(files)];
  try {
    const before = await runCli(['src'], { cwd: shown });
    const r = await runCli(['--diff', '-f', 'json', '-o', 'report.json', 'src'], { cwd: shown });
    assert.equal(r.code, before.code, 'the exit code is the lint\'s');
    assert.match(r.stderr, /^kslint: the diff shows 4 safe fixes in 2 files \(no file was changed\)$/m);
    assert.match(r.stdout, /^diff --git a\/src\/crlf\.c b\/src\/crlf\.c\n--- a\/src\/crlf\.c\n\+\+\+ b\/src\/crlf\.c\n@@ /m);
    assert.equal(JSON.parse(readFileSync(join(shown, 'report.json'), 'utf8')).findings.length, 4, 'the report went to its file');
    for (const [name, content] of Object.entries(files)) assert.deepEqual(readFileSync(join(shown, name)), Buffer.from(content), `${name} untouched`);

    assert.equal((await runCli(['--fix', 'src'], { cwd: fixed })).code, 0);
    const patches = parsePatch(r.stdout);
    assert.deepEqual(patches.map((p) => p.newFileName), ['b/src/crlf.c', 'b/src/wide.c']);
    for (const p of patches) {
      const name = p.newFileName!.slice(2);
      const text = readSourceFile(join(shown, name), { maxBytes: 1 << 20 });
      const expected = readSourceFile(join(fixed, name), { maxBytes: 1 << 20 });
      assert.ok(text.ok && expected.ok);
      assert.equal(applyPatch(text.text, p), expected.text, `the patch of ${name} gives what --fix wrote`);
    }
  } finally {
    removeTree(shown);
    removeTree(fixed);
  }
});

test('--diff keeps standard output for the diff: a report asked for there, or --fix beside it, is a usage error', async () => {
  const dir = makeTree({ 'map.c': MAP('\n') });
  try {
    for (const args of [['--diff', '-f', 'sarif', 'map.c'], ['--diff', '--fix', 'map.c']]) {
      const r = await runCli(args, { cwd: dir });
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /--diff/);
    }
    const quiet = await runCli(['--diff', '-q', 'map.c'], { cwd: dir });
    assert.equal(quiet.code, 1);
    assert.equal(quiet.stderr, '');
    assert.ok(quiet.stdout.startsWith('diff --git a/map.c b/map.c\n'), quiet.stdout);
    assert.equal(readFileSync(join(dir, 'map.c'), 'utf8'), MAP('\n'));
  } finally {
    removeTree(dir);
  }
});

test('edits apply from the end, keep the text around them, and take the line breaks of the file', () => {
  const edits = [
    { start: 1, end: 2, newText: 'B' },
    { start: 4, end: 4, newText: 'x\ny' },
    { start: 0, end: 0, newText: '>' },
  ];
  assert.equal(applyEdits('ab\ncd', edits), '>aB\ncx\nyd');
  assert.equal(applyEdits('ab\r\ncd', [{ start: 6, end: 6, newText: '\nz' }]), 'ab\r\ncd\r\nz');
  assert.equal(applyEdits('ab\ncd\r\n', [{ start: 5, end: 5, newText: '\nz' }]), 'ab\ncd\nz\r\n', 'a file whose first line ends in LF gets LF');
});
