/**
 * KS1104: one finding per buffer a function reads in place, led by its most telling location, with the other
 * locations as related information in every report and in the editor; the leading location keeps its fingerprint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { lintTexts } from '../../server/src/engine/lint';
import type { Finding } from '../../server/src/engine/rule';
import { assembleRun, FORMATS } from '../../server/src/report/index';
import { writeText } from '../../server/src/cli/text';
import { toDiagnostic } from '../../server/src/lsp/diagnostics';
import { RuleDocs } from '../../server/src/lsp/rule-docs';
import { RULES } from '../../rules/index.generated';
import { getParsers, lintText } from '../helpers';

/** A METHOD_NEITHER handler; `extra` goes after the check of Slot and its use. */
const handler = (before: string, extra = ''): string => `NTSTATUS DispatchIoctl(PDEVICE_OBJECT Device, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PREQ req = (PREQ)sp->Parameters.DeviceIoControl.Type3InputBuffer;
    ULONG v;
    __try {
        ProbeForRead(req, sizeof(REQ), 1);
${before}        if (req->Slot >= 16) return STATUS_INVALID_PARAMETER;
        Table[req->Slot] = 1;
${extra}    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}
`;

const ks1104 = async (text: string): Promise<Finding[]> => (await lintText('ioctl.c', text)).findings.filter((f) => f.ruleId === 'KS1104');
const lines = (f: Finding): number[] => f.related.map((s) => s.range.start.line + 1);

test('the locations of one buffer read twice are one finding, led by the value checked and then used', async () => {
  const text = handler('        v = req->Kind;\n        Keep(req->Kind);\n', '        Save(req->Flags);\n        Save(req->Flags);\n');
  const found = await ks1104(text);
  assert.equal(found.length, 1);
  const [f] = found;
  assert.equal(f.range.start.line + 1, 11, 'Table[req->Slot]: checked on line 10, then used');
  assert.deepEqual(lines(f), [9, 13], 'Kind and Flags, in source order');
  assert.match(f.message, /2 other locations of the same buffer twice too \(lines 9, 13\)/);
  assert.match(f.related[0].label, /^'req->Kind' is read again here \(first read on line 8\)$/);
});

test('the leading location keeps the fingerprint it had alone, as a less telling location joins it', async () => {
  const [alone] = await ks1104(handler(''));
  const [grouped] = await ks1104(handler('', '        Save(req->Flags);\n        Save(req->Flags);\n'));
  assert.deepEqual(alone.related, []);
  assert.deepEqual(lines(grouped), [11]);
  assert.equal(grouped.fingerprint, alone.fingerprint);
});

test('related locations reach SARIF relatedLocations, the JSON report, the text report and the editor', async () => {
  const text = handler('        v = req->Kind;\n        Keep(req->Kind);\n');
  const files = lintTexts(await getParsers(), [{ path: 'ioctl.c', text }], RULES, DEFAULT_ENGINE_CONFIG);
  const run = assembleRun({
    tool: { name: 'kslint', version: '0.0.0' },
    rules: RULES,
    files,
    invocation: { commandLine: 'kslint', arguments: [], startTime: '', endTime: '', success: true, workingDirectory: '/w' },
    baseDir: '/w',
    failOn: 'error',
  });
  const f = run.findings.find((x) => x.ruleId === 'KS1104')!;
  const sources = { readSource: () => text };
  const sarif = JSON.parse(FORMATS.sarif(run, sources)).runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'KS1104');
  assert.deepEqual(
    sarif.relatedLocations.map((l: { id: number; physicalLocation: { region: { startLine: number } }; message: { text: string } }) => [l.id, l.physicalLocation.region.startLine, l.message.text]),
    [[1, 9, f.related[0].label]],
  );
  const json = JSON.parse(FORMATS.json(run, sources)).findings.find((x: { ruleId: string }) => x.ruleId === 'KS1104');
  assert.deepEqual(json.related, [{ file: 'ioctl.c', startLine: 9, startColumn: 14, endLine: 9, endColumn: 23, label: f.related[0].label }]);
  assert.ok(writeText(run, { color: false, grouped: false }).includes(`ioctl.c:9:14: note: ${f.related[0].label}`));
  const d = toDiagnostic(f, { docs: new RuleDocs(RULES), version: 1, relatedInformation: true });
  assert.deepEqual(d.relatedInformation?.map((r) => r.message), [...f.path.map((s) => s.label), f.related[0].label]);
});
