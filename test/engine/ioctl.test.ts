/** IOCTL codes: methods from CTL_CODE definitions, the codes code runs under, and their resolution. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { descendants } from '../../server/src/engine/ast';
import { codeGroups, codeGroupsTag, directOnly, ioctlDefinitions, IoctlMethod, LOCKED_MAPPING_TAG, resolveCodeTags } from '../../server/src/engine/ioctl';
import { calleeName } from '../../server/src/engine/syntax';
import { parseFile } from '../../server/src/engine/parse/parse';
import { getParsers } from '../helpers';

test('methods of CTL_CODE definitions: names, values, continued lines, parentheses and wrapper macros', async () => {
  const text = [
    '#define IOCTL_A \\',
    '    CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_IN_DIRECT, FILE_READ_DATA | \\',
    '        FILE_WRITE_DATA)',
    '#define IOCTL_B (CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, 2, FILE_ANY_ACCESS))',
    '#define MY_CODE(f, m) CTL_CODE(FILE_DEVICE_UNKNOWN, f, m, FILE_ANY_ACCESS)',
    '#define IOCTL_C MY_CODE(0x802, METHOD_BUFFERED)',
    '#define IOCTL_D MY_CODE(0x803, 1)',
    '#define IOCTL_E CTL_CODE(FILE_DEVICE_UNKNOWN, 0x804, METHOD_NEITHER, FILE_ANY_ACCESS) | 0x10000',
    '#define IOCTL_F CTL_CODE(FILE_DEVICE_UNKNOWN, 0x805, METHOD_DIRECT_FROM_HARDWARE, FILE_ANY_ACCESS)',
    'ULONG Code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x806, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);',
  ].join('\n');
  const parsed = parseFile(await getParsers(), 'codes.h', text);
  // A wrapper's numeric argument is not known to be the method; a value that is more than the call is no plain code.
  assert.deepEqual([...ioctlDefinitions(parsed)].sort(), [['IOCTL_A', 'in-direct'], ['IOCTL_B', 'out-direct'], ['IOCTL_C', 'buffered'], ['IOCTL_F', 'out-direct']]);
});

async function groupsAt(body: string): Promise<string[][]> {
  const parsed = parseFile(await getParsers(), 'g.c', `VOID F(ULONG Code, ULONG Kind) {\n${body}\n}`);
  const call = descendants(parsed.root, 'call_expression').find((c) => calleeName(parsed, c) === 'Here')!;
  return codeGroups(parsed.source, call);
}

test('code groups: the labels that reach a case (fall-through included), innermost first, and == tests', async () => {
  assert.deepEqual(
    await groupsAt('switch (Code) { case A: Prep(); case B: case C: switch (Kind) { case K1: Here(); break; } break; case D: break; }'),
    [['K1'], ['C', 'B', 'A']],
  );
  assert.deepEqual(await groupsAt('switch (Code) { case A: break; case B: { Prep(); break; } case C: Here(); }'), [['C']]);
  assert.deepEqual(await groupsAt('switch (Code) { case A: break; default: case B: Here(); }'), [['B', '?']]);
  assert.deepEqual(await groupsAt('if (Code == IOCTL_A || IOCTL_B == Code) { Here(); }'), [['IOCTL_A', 'IOCTL_B']]);
  assert.deepEqual(await groupsAt('if (Code == IOCTL_A && Kind) { Here(); } else { Other(); }'), []);
  assert.deepEqual(await groupsAt('Here(); switch (Code) { case A: break; }'), []);
});

test('direct only when the innermost group naming a known code names only direct codes', () => {
  const methods: Record<string, IoctlMethod> = { A: 'in-direct', B: 'out-direct', C: 'buffered' };
  const method = (n: string): IoctlMethod | undefined => methods[n];
  assert.equal(directOnly([['K1'], ['B', 'A']], method), true);
  assert.equal(directOnly([['A', 'C']], method), false, 'a buffered code reaches the same code');
  assert.equal(directOnly([['A', 'UNKNOWN']], method), false, 'a code defined nowhere may be buffered');
  assert.equal(directOnly([['A', '?']], method), false, 'default: reaches it');
  assert.equal(directOnly([['C'], ['A']], method), false, 'the innermost dispatch decides');
  assert.equal(directOnly([['K1']], method), false);
  assert.equal(directOnly([], method), false);
});

test('code-group tags resolve to the locked-mapping tag, or to nothing', () => {
  const method = (n: string): IoctlMethod | undefined => (n === 'A' ? 'in-direct' : n === 'C' ? 'buffered' : undefined);
  assert.equal(codeGroupsTag([]), undefined);
  const direct = codeGroupsTag([['K1'], ['A']])!;
  const mixed = codeGroupsTag([['A', 'C']])!;
  assert.deepEqual(resolveCodeTags(['wdf-output-buffer', direct], method), [LOCKED_MAPPING_TAG, 'wdf-output-buffer']);
  assert.deepEqual(resolveCodeTags(['wdf-output-buffer', mixed], method), ['wdf-output-buffer']);
  // One caller passing a mapping is enough: the parameter may hold one.
  assert.deepEqual(resolveCodeTags([direct, mixed, 'wdf-output-buffer'], method), [LOCKED_MAPPING_TAG, 'wdf-output-buffer']);
  assert.deepEqual(resolveCodeTags(['system-buffer'], method), ['system-buffer']);
});
