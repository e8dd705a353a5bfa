/** Following edits that only move call sites: pairing positions, composing moves, moving a seed's citations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeMaps, positionMap, remapSeed } from '../../server/src/engine/index/moves';
import { SUMMARY_VERSION, FileSummary } from '../../server/src/engine/index/summary';
import type { ParamSeed } from '../../server/src/engine/analysis';
import type { Range } from '../../server/src/engine/source';

const range = (line: number, from: number, to: number, endLine = line): Range => ({ start: { line, character: from }, end: { line: endLine, character: to } });

/** A summary with one summarized call at `call` whose argument is at `arg`, and a registration at `reg`. */
function summary(call: Range, arg: Range, reg: { line: number; character: number }): FileSummary {
  return {
    version: SUMMARY_VERSION,
    path: 'd.c',
    functions: [{ name: 'Dispatch', calls: [{ callee: 'Parse', range: call, args: [{ kinds: ['buffer'], tags: ['system-buffer'], params: [], length: false, sizeChecked: false, bounded: false, loose: null, sameAs: [], explain: 0 }] }] }],
    registrations: [{ function: 'Dispatch', role: 'wdm-device-control', ...reg }],
    ioctls: [],
    ioctlRefs: [],
    macros: [],
    macroRefs: [],
    addressRefs: [],
    types: [],
    memberRefs: [],
    memberUsers: [],
    explanations: [{ text: 'buf', range: arg, steps: [{ range: arg, label: 'request buffer' }] }],
  };
}

test('positions of two summaries of one shape are paired one to one, registrations as empty ranges', () => {
  const before = summary(range(10, 4, 20), range(10, 10, 13), { line: 30, character: 4 });
  const after = summary(range(12, 4, 20), range(12, 10, 13), { line: 32, character: 4 });
  const map = positionMap(before, after)!;
  assert.deepEqual(map.ranges.get('10:4-10:20'), range(12, 4, 20));
  assert.deepEqual(map.ranges.get('30:4-30:4'), range(32, 4, 4));
  assert.deepEqual([...map.lines].sort((a, b) => a[0] - b[0]), [[10, 12], [30, 32]]);
  // The same positions paired again (identity) map every line to itself.
  assert.deepEqual([...positionMap(after, after)!.lines].sort((a, b) => a[0] - b[0]), [[12, 12], [32, 32]]);
});

test('no pairing when the shapes differ or a line splits', () => {
  const before = summary(range(10, 4, 20), range(10, 10, 13), { line: 30, character: 4 });
  const renamed = { ...summary(range(10, 4, 20), range(10, 10, 13), { line: 30, character: 4 }), registrations: [] };
  assert.equal(positionMap(before, renamed), undefined, 'a registration fewer');
  // A line break inside the call: its start stays on line 10, its argument moves to line 11.
  assert.equal(positionMap(before, summary(range(10, 4, 20, 11), range(11, 8, 11), { line: 31, character: 4 })), undefined);
});

test('moves compose, and a seed citing the moved file moves with it', () => {
  const a = summary(range(10, 4, 20), range(10, 10, 13), { line: 30, character: 4 });
  const b = summary(range(11, 4, 20), range(11, 10, 13), { line: 31, character: 4 });
  const c = summary(range(13, 4, 20), range(13, 10, 13), { line: 33, character: 4 });
  const map = composeMaps(positionMap(a, b)!, positionMap(b, c)!)!;
  assert.deepEqual(map, positionMap(a, c));

  const seed: ParamSeed = {
    kind: 'buffer',
    origin: "'buf' passed by Dispatch (d.c:11)",
    file: 'd.c',
    line: 10,
    path: [
      { file: 'other.c', range: range(3, 0, 5), label: 'elsewhere' },
      { file: 'd.c', range: range(10, 10, 13), label: 'request buffer' },
      { file: 'd.c', range: range(10, 4, 20), label: 'passed to Parse() by Dispatch' },
    ],
  };
  const moved = remapSeed(seed, 'd.c', map)!;
  assert.equal(moved.origin, "'buf' passed by Dispatch (d.c:14)");
  assert.equal(moved.line, 13);
  assert.deepEqual(moved.path!.map((p) => p.range.start.line), [3, 13, 13]);
  assert.equal(moved.path![0], seed.path![0], 'citations of other files are left as they are');
  // A citation the map does not know cannot be moved.
  assert.equal(remapSeed({ ...seed, path: [{ file: 'd.c', range: range(50, 0, 1), label: 'unknown' }] }, 'd.c', map), undefined);
});
