/** Reading sources: encodings, binary data, size limits and files that cannot be read all give text or a reason. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSource, readSourceFile } from '../../server/src/project/read-source';
import { makeTree, removeTree } from '../cli/cli-helpers';

const TEXT = 'int é = 1; // ünï\r\nvoid f(void) {}\n';

function utf16(text: string, be: boolean): Buffer {
  const le = Buffer.from(text, 'utf16le');
  if (be) for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1], le[i]];
  return Buffer.concat([Buffer.from(be ? [0xfe, 0xff] : [0xff, 0xfe]), le]);
}

test('UTF-8 with and without BOM, UTF-16 LE and BE with BOM decode to the same text', () => {
  const forms: [Buffer, string][] = [
    [Buffer.from(TEXT, 'utf8'), 'utf-8'],
    [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT, 'utf8')]), 'utf-8-bom'],
    [utf16(TEXT, false), 'utf-16le'],
    [utf16(TEXT, true), 'utf-16be'],
  ];
  for (const [bytes, encoding] of forms) {
    const r = decodeSource(bytes);
    assert.ok(r.ok, encoding);
    assert.equal(r.text, TEXT, encoding);
    assert.equal(r.encoding, encoding);
    assert.equal(r.replaced, false);
  }
});

test('invalid UTF-8 is decoded with replacement characters and still linted; lines stay where they were', () => {
  const bytes = Buffer.concat([Buffer.from('// caf'), Buffer.from([0xe9, 0xff]), Buffer.from('\nint x;\n')]);
  const r = decodeSource(bytes);
  assert.ok(r.ok);
  assert.equal(r.replaced, true);
  assert.equal(r.text, '// caf\ufffd\ufffd\nint x;\n');
});

test('NUL bytes (binary, or UTF-16 without BOM) and UTF-32 are skipped with a reason', () => {
  const bin = decodeSource(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]));
  assert.ok(!bin.ok && bin.kind === 'binary' && /NUL bytes/.test(bin.reason));
  const noBom = decodeSource(Buffer.from('int x;', 'utf16le'));
  assert.ok(!noBom.ok && noBom.kind === 'binary');
  const u32 = decodeSource(Buffer.from([0xff, 0xfe, 0, 0, 0x41, 0, 0, 0]));
  assert.ok(!u32.ok && u32.kind === 'unsupported-encoding');
  const empty = decodeSource(Buffer.alloc(0));
  assert.ok(empty.ok && empty.text === '');
});

test('size limits, missing, unreadable and special files give reasons instead of errors', () => {
  const dir = makeTree({ 'big.c': 'x'.repeat(5000), 'ok.c': TEXT, 'locked.c': 'int x;' });
  try {
    const big = readSourceFile(join(dir, 'big.c'), { maxBytes: 4096 });
    assert.ok(!big.ok && big.kind === 'too-large');
    assert.equal(big.reason, 'larger than 4 KB (4.9 KB; raise limits.maxFileSize to lint it)');
    const ok = readSourceFile(join(dir, 'ok.c'), { maxBytes: 4096 });
    assert.ok(ok.ok && ok.text === TEXT);
    const gone = readSourceFile(join(dir, 'gone.c'), { maxBytes: 4096 });
    assert.ok(!gone.ok && gone.kind === 'vanished');
    const folder = readSourceFile(dir, { maxBytes: 4096 });
    assert.ok(!folder.ok && folder.kind === 'not-a-file');
    chmodSync(join(dir, 'locked.c'), 0o000);
    const locked = readSourceFile(join(dir, 'locked.c'), { maxBytes: 4096 });
    // Root may read anything; everyone else gets a reason.
    if (process.getuid?.() === 0) assert.ok(locked.ok);
    else assert.ok(!locked.ok && locked.kind === 'unreadable' && /permission denied/.test(locked.reason));
  } finally {
    removeTree(dir);
  }
});
