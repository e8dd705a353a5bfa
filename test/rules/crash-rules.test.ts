/** KS1701 and KS1702 beyond the fixtures: options, source-to-sink paths, and what counts as a nearby check. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../helpers';
import type { Finding } from '../../server/src/engine/rule';

async function findings(rule: string, text: string, options: Record<string, unknown> = {}): Promise<Finding[]> {
  return (await lintText('crash.c', text, { rules: { [rule]: { options } } })).findings.filter((f) => f.ruleId === rule);
}

const DISPATCH = (body: string): string => `typedef struct _REQ { ULONG Count; ULONG Slot; } REQ, *PREQ;\nNTSTATUS F(PIRP Irp)\n{\n    PREQ req = (PREQ)Irp->AssociatedIrp.SystemBuffer;\n${body}\n    return STATUS_SUCCESS;\n}\n`;

test('KS1701: a data-decided bug check is an error with the path from the request to the crash', async () => {
  const [f] = await findings('KS1701', DISPATCH('    if (req->Count > 20) KeBugCheckEx(1, 0, 0, 0, 0);'));
  assert.equal(f.severity, 'error');
  assert.deepEqual(f.path.map((s) => s.label).slice(-2), ['condition on untrusted data', 'crash on that branch']);
  assert.match(f.path[0].label, /SystemBuffer/);
  assert.match(f.message, /req->Count/);
});

test('KS1701: other bug checks are notes, silenced for boot-critical drivers', async () => {
  const text = 'VOID G(PLIST_ENTRY e)\n{\n    if (e->Flink == NULL) KeBugCheck(2);\n    if (e->Blink == NULL) RtlFailFast(3);\n}\n';
  const notes = await findings('KS1701', text);
  assert.deepEqual(notes.map((f) => f.severity), ['note']);
  assert.deepEqual(await findings('KS1701', text, { bootCritical: true }), []);
  const data = await findings('KS1701', DISPATCH('    if (req->Slot == 7) KeBugCheck(4);'), { bootCritical: true });
  assert.equal(data.length, 1, 'a data-decided bug check stays an error for boot-critical drivers too');
});

test('KS1702: a check up to three statements later counts; one further away does not', async () => {
  const near = DISPATCH('    ASSERT(req->Slot < 16);\n    KdPrint(("slot\\n"));\n    if (req->Slot >= 16) return STATUS_INVALID_PARAMETER;');
  assert.deepEqual(await findings('KS1702', near), []);
  const far = DISPATCH('    ASSERT(req->Slot < 16);\n    KdPrint(("a"));\n    KdPrint(("b"));\n    KdPrint(("c"));\n    if (req->Slot >= 16) return STATUS_INVALID_PARAMETER;');
  const [f] = await findings('KS1702', far);
  assert.ok(f);
  assert.equal(f.path[f.path.length - 1].label, 'checked only by an assertion');
});

test('KS1702: masked or min-ed values and pointers are not what the rule is about', async () => {
  assert.deepEqual(await findings('KS1702', DISPATCH('    ASSERT((req->Slot & 15) < 16);')), []);
  assert.deepEqual(await findings('KS1702', DISPATCH('    ASSERT(req != NULL);')), []);
});
