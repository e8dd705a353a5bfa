/** Incremental re-parsing (the editor's path) gives exactly the AST a full parse of the same text gives. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFile, reparseFile, ParsedFile, Parsers } from '../../server/src/engine/parse/parse';
import type { AstNode } from '../../server/src/engine/ast';
import { getParsers } from '../helpers';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');

/** A compact, complete serialisation: type, field, offsets, missing flag, children. */
function shape(node: AstNode): string {
  const out: string[] = [];
  const stack: (AstNode | string)[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (typeof n === 'string') {
      out.push(n);
      continue;
    }
    out.push(`(${n.type}${n.field ? ':' + n.field : ''} ${n.start}-${n.end}${n.missing ? '!' : ''}`);
    stack.push(')');
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  return out.join('');
}

interface Edit {
  readonly at: number;
  readonly remove: number;
  readonly insert: string;
}

function apply(text: string, e: Edit): string {
  return text.slice(0, e.at) + e.insert + text.slice(e.at + e.remove);
}

function assertSameAsFull(parsers: Parsers, inc: ParsedFile, label: string): void {
  const full = parseFile(parsers, inc.path, inc.source.text, {}, inc.lang);
  try {
    assert.equal(inc.masked, full.masked, `${label}: masked text`);
    assert.equal(shape(inc.root), shape(full.root), `${label}: AST differs from a full parse`);
    assert.equal(inc.errorCount, full.errorCount, `${label}: error count`);
    // Nodes taken over from the previous AST hang off the new one: parent and index links agree with children.
    const stack = [inc.root];
    while (stack.length) {
      const n = stack.pop()!;
      n.children.forEach((c, i) => {
        assert.ok(c.parent === n && c.index === i, `${label}: ${c.type} at ${c.start} has a stale parent or index`);
        stack.push(c);
      });
    }
  } finally {
    full.tree.delete?.();
  }
}

/** Applies edits one by one, re-parsing incrementally after each and comparing with a full parse. */
function replay(parsers: Parsers, path: string, text: string, edits: readonly Edit[]): void {
  let current = parseFile(parsers, path, text);
  try {
    edits.forEach((e, i) => {
      const next = reparseFile(parsers, current, apply(current.source.text, e));
      current.tree.delete?.();
      current = next;
      assertSameAsFull(parsers, current, `${path} edit #${i} ${JSON.stringify(e)}`);
    });
  } finally {
    current.tree.delete?.();
  }
}

const DRIVER = `#include <ntddk.h>
DECLSPEC_ALIGN NTSTATUS NTAPI
Dispatch(_In_ PDEVICE_OBJECT Device, _Inout_ PIRP Irp)
{
    PUCHAR buf = (PUCHAR)Irp->AssociatedIrp.SystemBuffer;
    ULONG len = IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.InputBufferLength;
    char name[16];
    strcpy(name, (char *)buf);
    if (len > 4) { buf[len] = 0; }
    return STATUS_SUCCESS;
}
`;

/** Edits located by a string in the text as it stands when the edit is applied. */
const HAND_EDITS: { find: string; skip?: number; remove: number; insert: string }[] = [
  { find: '    char name', remove: 0, insert: '    ULONG extra = 1;\n' }, // insert a statement
  { find: 'extra = 1', skip: 'extra '.length, remove: '= 1'.length, insert: '' }, // delete (leaves broken code)
  { find: '    ULONG extra', remove: '    ULONG extra;\n'.length, insert: '' }, // back to clean code
  { find: '    char name', remove: 0, insert: '/* ' }, // opens a comment: masking and parsing downstream change
  { find: '/*     char name', remove: 3, insert: '' },
  { find: 'NTAPI', remove: 0, insert: '_In_ ' }, // a SAL name typed in (masked)
  { find: 'DECLSPEC_ALIGN', skip: 'DECLSPEC_ALIGN'.length, remove: 0, insert: '(16)' }, // masked with its argument list
  { find: '    if (len', remove: '    if (len > 4) { buf[len] = 0; }\n'.length, insert: '    for (ULONG i = 0;\n         i < len; i++)\n        buf[i] ^= 0x5a;\n' }, // multi-line replace
  { find: '#include', remove: 0, insert: '\r\n' },
  { find: 'return', remove: 0, insert: '/* \u00e9\u{1F600} */ ' }, // non-ASCII, a surrogate pair
];

test('incremental re-parse equals a full parse after inserts, deletes, multi-line replaces and masking changes', async () => {
  const parsers = await getParsers();
  let text = DRIVER;
  const steps: Edit[] = [];
  for (const e of HAND_EDITS) {
    const pos = text.indexOf(e.find);
    assert.ok(pos >= 0, `'${e.find}' not found`);
    const step = { at: pos + (e.skip ?? 0), remove: e.remove, insert: e.insert };
    steps.push(step);
    text = apply(text, step);
  }
  assert.ok(text.includes('DECLSPEC_ALIGN(16)') && text.includes('i < len; i++)') && !text.includes('extra'), text);
  replay(parsers, 'driver.c', DRIVER, steps);
});

test('incremental re-parse equals a full parse on the wasm back end too', async () => {
  const parsers = await getParsers('wasm');
  const edits: Edit[] = [
    { at: DRIVER.indexOf('strcpy'), remove: 6, insert: 'wcscpy' },
    { at: DRIVER.indexOf('{'), remove: 1, insert: '' }, // damaged: parsed from scratch
    { at: DRIVER.indexOf('{'), remove: 0, insert: '{' },
    { at: DRIVER.indexOf('    return'), remove: 0, insert: '    len = 0;\n' },
  ];
  replay(parsers, 'driver.cpp', DRIVER, edits);
});

/** Deterministic pseudo-random edits (mulberry32) over every fixture: typing, deleting, pasting lines. */
function randomEdits(text: string, seed: number, count: number): Edit[] {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const snippets = ['x', ';', '}', '{', '(', ')', '\n', '/*', '*/', '"', '#if 0\n', '#endif\n', '_In_ ', 'buf[i]', 'if (len > 4) return;\n', '  '];
  const edits: Edit[] = [];
  let len = text.length;
  for (let i = 0; i < count; i++) {
    const pos = Math.floor(rnd() * (len + 1));
    const remove = rnd() < 0.4 ? Math.min(len - pos, Math.floor(rnd() * 20)) : 0;
    const insert = rnd() < 0.8 ? snippets[Math.floor(rnd() * snippets.length)] : '';
    edits.push({ at: pos, remove, insert });
    len += insert.length - remove;
  }
  return edits;
}

test('incremental re-parse equals a full parse under random edits of every fixture', async () => {
  const parsers = await getParsers();
  const files = readdirSync(FIXTURES)
    .flatMap((dir) => readdirSync(join(FIXTURES, dir)).map((name) => join(FIXTURES, dir, name)))
    .filter((f) => /\.(c|cpp|h)$/.test(f))
    .sort();
  assert.ok(files.length > 0, 'no fixtures found');
  // About 120 edits in all, however many fixtures there are, so the suite stays fast.
  const perFile = Math.max(3, Math.ceil(120 / files.length));
  files.forEach((file, i) => {
    const text = readFileSync(file, 'utf8');
    replay(parsers, file, text, randomEdits(text, i + 1, perFile));
  });
});
