/** The bounds-check skeleton offered by KS1001 (an unsafe fix: it changes behaviour for bad input). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../helpers';

function apply(text: string, edits: readonly { start: number; end: number; newText: string }[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

test('KS1001 inserts a check against the declared array size, and the fixed code is clean', async () => {
  const text = 'NTSTATUS F(PIRP Irp)\n{\n    PREQ r = (PREQ)Irp->AssociatedIrp.SystemBuffer;\n    ULONG t[8];\n    t[r->Slot] = 1;\n    return STATUS_SUCCESS;\n}\n';
  const r = await lintText('fix.c', text);
  const f = r.findings.find((x) => x.ruleId === 'KS1001');
  assert.ok(f && f.fixes.length === 1 && f.fixes[0].safety === 'unsafe');
  const fixed = apply(text, f.fixes[0].edits);
  assert.ok(fixed.includes('    if (r->Slot >= RTL_NUMBER_OF(t)) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    t[r->Slot] = 1;'));
  assert.deepEqual((await lintText('fix.c', fixed)).findings.filter((x) => x.ruleId === 'KS1001'), []);
});

test('no fix when the bound is unknown or the failure value is not obvious', async () => {
  const r = await lintText('nofix.c', 'int G(PIRP Irp, PULONG t)\n{\n    PREQ r = (PREQ)Irp->AssociatedIrp.SystemBuffer;\n    return t[r->Slot];\n}\n');
  const f = r.findings.find((x) => x.ruleId === 'KS1001');
  assert.ok(f);
  assert.deepEqual(f.fixes, []);
});
