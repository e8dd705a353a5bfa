/** The text report: compiler-style lines, grouping and colour on terminals, path steps, skipped files, summary. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintTexts } from '../../server/src/engine/lint';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { assembleRun } from '../../server/src/report/assemble';
import { summaryLine, writeText } from '../../server/src/cli/text';
import { RULES } from '../../rules/index.generated';
import { getParsers } from '../helpers';
import { CLEAN, TWO_WARNINGS } from './cli-helpers';

const PORT = 'NTSTATUS P(PFLT_FILTER F, POBJECT_ATTRIBUTES A, PFLT_PORT *Port) { return FltCreateCommunicationPort(F, Port, A, NULL, C, D, Notify, 1); }\n';
const NOTIFY = [
  'NTSTATUS Notify(PVOID Cookie, PVOID In, ULONG InLen, PVOID Out, ULONG OutLen, PULONG Ret)',
  '{',
  '    PULONG v = (PULONG)In;',
  '    // kslint-disable-next-line KS1103, KS1105 -- example',
  '    return v[0];',
  '}',
  '',
].join('\n');

async function sampleRun() {
  const parsers = await getParsers();
  const files = lintTexts(parsers, [{ path: 'src/a.c', text: TWO_WARNINGS }, { path: 'src/b.c', text: CLEAN }, { path: 'src/port.c', text: PORT }, { path: 'src/notify.c', text: NOTIFY }], RULES, DEFAULT_ENGINE_CONFIG);
  return assembleRun({
    tool: { name: 'kslint', version: '0.0.0' },
    rules: RULES,
    files,
    skipped: [{ file: 'src/blob.c', reason: 'contains NUL bytes' }],
    invocation: { commandLine: 'kslint', arguments: [], startTime: '', endTime: '', success: true, workingDirectory: '/w' },
    baseDir: '/w',
    failOn: 'warning',
  });
}

test('plain text: one compiler-style line per active finding, skipped files, then the summary', async () => {
  const run = await sampleRun();
  const text = writeText(run, { color: false, grouped: false });
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0], /^src\/a\.c:3:5: warning KS1301 'strcpy'/);
  assert.match(lines[1], /^src\/a\.c:4:5: warning KS1301 'strcat'/);
  assert.equal(lines[2], 'src/blob.c: skipped: contains NUL bytes');
  assert.equal(lines[3], '0 errors, 2 warnings and 0 notes in 4 files (2 suppressed; 1 file skipped); 2 at or above --fail-on warning');
  assert.equal(lines.length, 4, 'the suppressed finding is counted, not printed');
  assert.equal(summaryLine(run), lines[3]);
  assert.ok(!text.includes('\x1b['));
  assert.equal(writeText(run, { color: false, grouped: false, noSummary: true }).trimEnd().split('\n').length, 3);
});

test('on a terminal: findings grouped under a file heading, coloured, locations still complete', async () => {
  const run = await sampleRun();
  const text = writeText(run, { color: true, grouped: true });
  assert.ok(text.includes('\x1b[4msrc/a.c\x1b[24m'), 'underlined file heading');
  assert.ok(text.includes('\x1b[33mwarning'), 'yellow severity');
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
  assert.match(plain, /^src\/a\.c\n  src\/a\.c:3:5: warning KS1301 /m);
});
