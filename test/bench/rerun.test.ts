/** The cached re-run benchmark: each kind of edit is made to a copy of the tree and timed; the tree itself is left alone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchReruns } from '../../bench/rerun';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'cross-file');

test('cached re-runs: one timed run per kind of edit (a line edit in a median and in a large file, a comment in a file another passes data to), made to a copy; the renamed call is one the summary passes on', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'kslint-rerun-test-'));
  const source = join(scratch, 'source');
  cpSync(FIXTURES, source, { recursive: true });
  // Two more files, larger than those two: the median-file edit takes mid.c, the large-file edit large.c.
  cpSync(join(FIXTURES, '..', 'KS1001', 'ioctl-wdm.c'), join(source, 'mid.c'));
  cpSync(join(FIXTURES, '..', 'KS1401', 'sizes.c'), join(source, 'large.c'));
  const files = readdirSync(source).filter((f) => f.endsWith('.c')).map((f) => join(source, f)).sort();
  const before = files.map((f) => readFileSync(f, 'utf8'));
  try {
    const r = await benchReruns('fixtures', source, files, scratch, 1, 1, () => undefined);
    assert.ok(r, 'dispatch.c passes the request buffer to ParseRecords');
    assert.equal(r.edited.renamed, 'dispatch.c (ApplyLimit)');
    assert.deepEqual(Object.values(r.runs).map((t) => t.length), [1, 1, 1, 1, 1, 1]);
    assert.ok(r.coldS > 0 && Object.values(r.runs).every(([t]) => t > 0));
    // records.c's findings come from the buffer dispatch.c passes it: it is the edited callee.
    assert.equal(r.edited.callee, 'records.c');
    assert.match(readFileSync(join(scratch, 'rerun-tree', 'records.c'), 'utf8'), /\/\/ kslint bench edit 0\n$/);
    const copy = readFileSync(join(scratch, 'rerun-tree', 'dispatch.c'), 'utf8');
    assert.match(copy, /ApplyLimitBench0\(hdr->Limit\);/);
    const moved = readFileSync(join(scratch, 'rerun-tree', r.edited.moved), 'utf8');
    assert.match(moved, /^\/\/ kslint bench line 0\n[^]*\/\/ kslint bench edit 0\n$/);
    assert.deepEqual([r.edited.moved, r.edited.large], ['mid.c', 'large.c']);
    const large = readFileSync(join(scratch, 'rerun-tree', r.edited.large), 'utf8');
    assert.match(large, /^\/\/ kslint bench line 0\n/);
    assert.deepEqual(files.map((f) => readFileSync(f, 'utf8')), before, 'the measured tree is not touched');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
