/** KS1005: the RTL_QUERY_REGISTRY_TYPECHECK fixes (safe, unsafe, none) and what the value-read messages say. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getParsers, lintText } from '../helpers';
import { lintTexts } from '../../server/src/engine/lint';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { RULES } from '../../rules/index.generated';
import { applyFixes } from '../helpers-fixes';
import type { Finding } from '../../server/src/engine/rule';

const table = (flags: string, defaultType: string): string =>
  `ULONG g_V;\nNTSTATUS Load(HANDLE Key)\n{\n    RTL_QUERY_REGISTRY_TABLE t[2];\n    RtlZeroMemory(t, sizeof(t));\n    t[0].Flags = ${flags};\n    t[0].Name = L"V";\n    t[0].EntryContext = &g_V;\n    t->DefaultType = ${defaultType};\n    return RtlQueryRegistryValues(RTL_REGISTRY_HANDLE, (PCWSTR)Key, t, NULL, NULL);\n}\n`;

async function ks1005(text: string, path = 'reg.c'): Promise<Finding[]> {
  return (await lintText(path, text)).findings.filter((f) => f.ruleId === 'KS1005');
}

test('adding TYPECHECK is safe when DefaultType already names the expected type, and the result is clean', async () => {
  const shifted = '(REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_DWORD';
  const text = table('RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED', shifted);
  const [f] = await ks1005(text);
  assert.equal(f.severity, 'warning');
  assert.equal(f.subKind, 'direct-without-typecheck');
  assert.deepEqual(f.fixes.map((x) => x.safety), ['safe']);
  const fixed = applyFixes(text, [f]);
  assert.equal(fixed, table('RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED | RTL_QUERY_REGISTRY_TYPECHECK', shifted));
  assert.deepEqual(await ks1005(fixed), []);
});

test('a plain default type becomes the expected type in an unsafe fix; with no type to expect there is no fix', async () => {
  const text = table('RTL_QUERY_REGISTRY_DIRECT', 'REG_DWORD');
  const [f] = await ks1005(text);
  assert.deepEqual(f.fixes.map((x) => x.safety), ['unsafe']);
  const fixed = applyFixes(text, [f]);
  assert.equal(fixed, table('RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK', '(REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_DWORD'));
  assert.deepEqual(await ks1005(fixed), []);
  const [none] = await ks1005(table('RTL_QUERY_REGISTRY_DIRECT', 'REG_NONE'));
  assert.deepEqual(none.fixes, [], 'TYPECHECK with REG_NONE expected would reject every value');
});

const read = (check: string, use: string): string =>
  `ULONG g_V;\nVOID Read(HANDLE Key, PUNICODE_STRING Name, PKEY_VALUE_PARTIAL_INFORMATION Info, ULONG Size)\n{\n    ULONG len;\n    if (!NT_SUCCESS(ZwQueryValueKey(Key, Name, KeyValuePartialInformation, Info, Size, &len)) || ${check}) return;\n    ${use};\n}\n`;

test('a value read names the query, says whether the type was tested, and any test of the size silences it', async () => {
  const [typed] = await ks1005(read('Info->Type != REG_DWORD', 'g_V = *(PULONG)Info->Data'));
  assert.match(typed.message, /through a 'PULONG'.*ZwQueryValueKey.*its Type was tested/);
  assert.equal(typed.subKind, 'unchecked-value-read');
  assert.deepEqual(typed.path.map((s) => s.range.start.line), [4, 5]);
  const [untyped] = await ks1005(read('FALSE', 'g_V = *(PULONG)Info->Data'));
  assert.match(untyped.message, /without testing its Type or DataLength.*'DataLength == sizeof\(ULONG\)'/);
  const [wide] = await ks1005(read('FALSE', 'if (*(PWCHAR)Info->Data != L\'\\\\\') return'));
  assert.match(wide.message, /through a 'PWCHAR'.*'DataLength == sizeof\(WCHAR\)'/, 'the size named is that of the type read');
  const [star] = await ks1005(read('FALSE', 'g_V = *(const USHORT *)Info->Data'));
  assert.match(star.message, /'DataLength == sizeof\(USHORT\)'/);
  const [str] = await ks1005(read('Info->Type != REG_SZ', 'wcslen((PCWSTR)Info->Data)'));
  assert.match(str.message, /'wcslen' treats .* as a terminated string/);
  assert.deepEqual(await ks1005(read('Info->DataLength < sizeof(ULONG)', 'g_V = *(PULONG)Info->Data')), []);
  assert.deepEqual(await ks1005(read('len != FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data) + sizeof(ULONG)', 'g_V = *(PULONG)Info->Data')), []);
});

test('user-mode files are left alone', async () => {
  assert.deepEqual(await ks1005(`#include <windows.h>\n${read('FALSE', 'g_V = *(PULONG)Info->Data')}`), []);
});

/** KS1005 findings of a project of several files, as `file:line` (1-based) with the files of their path. */
async function projectFindings(files: Record<string, string>): Promise<string[]> {
  const results = lintTexts(await getParsers(), Object.entries(files).map(([path, text]) => ({ path, text })), RULES, DEFAULT_ENGINE_CONFIG);
  return results.flatMap((r) => r.findings.filter((f) => f.ruleId === 'KS1005').map((f) => `${r.path}:${f.range.start.line + 1} via ${[...new Set(f.path.map((s) => s.file ?? r.path))].join(',')}`));
}

const helper = 'ULONG LevelOf(PKEY_VALUE_PARTIAL_INFORMATION Info)\n{\n    return *(PULONG)Info->Data;\n}\n';
const caller = (name: string, check: string): string =>
  `ULONG LevelOf(PKEY_VALUE_PARTIAL_INFORMATION Info);\nULONG ${name}(HANDLE Key, PUNICODE_STRING Name, PKEY_VALUE_PARTIAL_INFORMATION Info, ULONG Size)\n{\n    ULONG len;\n    if (!NT_SUCCESS(ZwQueryValueKey(Key, Name, KeyValuePartialInformation, Info, Size, &len)) || ${check}) return 0;\n    return LevelOf(Info);\n}\n`;

test('a helper in another file that reads the structure is reported there unless every caller tested DataLength', async () => {
  assert.deepEqual(await projectFindings({ 'helper.c': helper, 'caller.c': caller('Read', 'FALSE') }), ['helper.c:3 via caller.c,helper.c']);
  assert.deepEqual(await projectFindings({ 'helper.c': helper, 'caller.c': caller('Read', 'Info->DataLength != 4') }), []);
  const both = { 'helper.c': helper, 'a.c': caller('ReadA', 'Info->DataLength != 4'), 'b.c': caller('ReadB', 'Info->Type != REG_DWORD') };
  assert.deepEqual(await projectFindings(both), ['helper.c:3 via b.c,helper.c'], 'one caller tests only the type');
  const checked = helper.replace('return *', 'if (Info->DataLength < sizeof(ULONG)) return 0;\n    return *');
  assert.deepEqual(await projectFindings({ 'helper.c': checked, 'caller.c': caller('Read', 'FALSE') }), []);
});

test('a QueryRoutine named in a query table of another file is analysed', async () => {
  const routine = (body: string): string =>
    `NTSTATUS OnValue(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength, PVOID Context, PVOID EntryContext)\n{\n    ${body}\n    return STATUS_SUCCESS;\n}\n`;
  const table = 'RTL_QUERY_REGISTRY_ROUTINE OnValue;\nNTSTATUS Load(PCWSTR Path)\n{\n    RTL_QUERY_REGISTRY_TABLE t[2] = { { OnValue, 0, L"Limit" } };\n    return RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, Path, t, NULL, NULL);\n}\n';
  assert.deepEqual(await projectFindings({ 'routine.c': routine('*(PULONG)EntryContext = *(PULONG)ValueData;'), 'load.c': table }), ['routine.c:3 via load.c,routine.c']);
  assert.deepEqual(await projectFindings({ 'routine.c': routine('if (ValueLength == sizeof(ULONG)) *(PULONG)EntryContext = *(PULONG)ValueData;'), 'load.c': table }), []);
  assert.deepEqual(await projectFindings({ 'routine.c': routine('*(PULONG)EntryContext = *(PULONG)ValueData;') }), [], 'not named in any table');
});
