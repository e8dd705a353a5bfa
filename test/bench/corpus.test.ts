/** The benchmark corpus generator: deterministic, sized as asked, and realistic enough to parse cleanly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCorpus, writeCorpus } from '../../bench/corpus/generate';
import { Rng } from '../../bench/corpus/prng';
import { collectFunctions } from '../../server/src/engine/index/functions';
import { parseFile } from '../../server/src/engine/parse/parse';
import { walk } from '../../server/src/engine/ast';
import { getParsers } from '../helpers';

function digest(opts: Parameters<typeof generateCorpus>[0]): string {
  const h = createHash('sha256');
  for (const f of generateCorpus(opts)) h.update(f.path).update('\0').update(f.text).update('\0');
  return h.digest('hex');
}

test('the PRNG is a pure function of its seed', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 1000 }, () => a.u32());
  assert.deepEqual(Array.from({ length: 1000 }, () => b.u32()), xs);
  const other = new Rng(43);
  assert.notDeepEqual(Array.from({ length: 1000 }, () => other.u32()), xs);
  const ints = Array.from({ length: 2000 }, () => a.int(3, 7));
  assert.ok(ints.every((n) => n >= 3 && n <= 7));
  assert.deepEqual([...new Set(ints)].sort(), [3, 4, 5, 6, 7]);
});

test('the same seed and size give the same corpus; another seed gives another', () => {
  assert.equal(digest({ seed: 7, files: 25 }), digest({ seed: 7, files: 25 }));
  assert.notEqual(digest({ seed: 7, files: 25 }), digest({ seed: 8, files: 25 }));
});

test('the corpus honours file and byte budgets', () => {
  assert.equal([...generateCorpus({ seed: 1, files: 17 })].length, 17);
  const files = [...generateCorpus({ seed: 1, bytes: 400_000 })];
  const bytes = files.reduce((s, f) => s + Buffer.byteLength(f.text), 0);
  assert.ok(bytes >= 400_000 && bytes - Buffer.byteLength(files[files.length - 1].text) < 400_000, `${bytes} bytes`);
  assert.throws(() => [...generateCorpus({ seed: 1 })]);
});

test('writeCorpus writes exactly the generated files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-corpus-'));
  try {
    const summary = writeCorpus(dir, { seed: 3, files: 12 });
    const generated = [...generateCorpus({ seed: 3, files: 12 })];
    assert.equal(summary.files, 12);
    for (const f of generated) assert.equal(readFileSync(join(dir, f.path), 'utf8'), f.text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generated drivers parse with few errors and contain the driver shapes the rules look for', async () => {
  const parsers = await getParsers();
  let bytes = 0;
  let errorBytes = 0;
  const names = new Set<string>();
  const exts = new Set<string>();
  let crlf = 0;
  for (const f of generateCorpus({ seed: 11, files: 60 })) {
    exts.add(f.path.slice(f.path.lastIndexOf('.')));
    if (f.text.includes('\r\n')) crlf++;
    const parsed = parseFile(parsers, f.path, f.text);
    bytes += f.text.length;
    walk(parsed.root, (n) => {
      if (n.type === 'ERROR') {
        errorBytes += n.end - n.start;
        return false;
      }
      return true;
    });
    for (const fn of collectFunctions(parsed)) names.add(fn.qualifiedName.replace(/^[A-Za-z]+\d+/, ''));
    parsed.tree.delete?.();
  }
  assert.ok(errorBytes / bytes < 0.01, `${((100 * errorBytes) / bytes).toFixed(2)}% of bytes in ERROR nodes`);
  for (const n of ['DriverEntry', 'DispatchDeviceControl', 'EvtIoDeviceControl', 'MessageNotify', 'InterpretContent', 'ReadSetting', 'RuleEngine::Load']) assert.ok(names.has(n), `no ${n} in ${[...names].slice(0, 20).join(', ')}`);
  assert.deepEqual([...exts].sort(), ['.c', '.cpp', '.h']);
  assert.ok(crlf > 0, 'some drivers use CRLF line endings');
});
