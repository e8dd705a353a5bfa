/** Report inputs beyond the golden tree: hostile names and code, files outside the base folder, paths and fixes. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from '../../server/src/engine/rule';
import type { RunResult } from '../../server/src/report/run';
import { lintTree } from './run-helpers';

export const HOSTILE_NAME = '<img src=x onerror=globalThis.__kslintPwned=1>.c';

/** Source whose flagged line carries markup that would run if any report inserted it as HTML. */
export const HOSTILE_LINE = '    strcpy(dst, src); /* </script><script>globalThis.__kslintPwned = 2</script><b onmouseover="globalThis.__kslintPwned=3">x</b> */';

export const HOSTILE_CODE = ['#include <ntddk.h>', 'VOID CopyTag(CHAR *dst, const CHAR *src)', '{', HOSTILE_LINE, '}', ''].join('\n');

const CONTENT = [
  '#include <ntddk.h>',
  'NTSTATUS ParseEntry(const UCHAR *buf, ULONG len)',
  '{',
  '    CHAR name[16];',
  '    ULONG count = *(const ULONG *)buf;',
  '    sprintf(name, "entry%u", count);',
  '    return STATUS_SUCCESS;',
  '}',
  '',
].join('\n');

/**
 * A temporary tree `base/` with a hostile file name, a name with spaces and non-ASCII letters, and a file
 * in a sibling folder outside the base. The first finding gets a source-to-sink path, a related location and a fix.
 */
export async function hostileScenario(): Promise<{ run: RunResult; root: string }> {
  const root = mkdtempSync(join(tmpdir(), 'kslint-report-'));
  const base = join(root, 'base');
  mkdirSync(join(base, 'src'), { recursive: true });
  writeFileSync(join(base, 'src', HOSTILE_NAME), HOSTILE_CODE);
  writeFileSync(join(base, 'src', 'contenu été.c'), CONTENT);
  const run = await lintTree(base, { skipped: [{ file: 'src/blob.c', reason: 'not UTF-8 or UTF-16 text' }], args: ['--format', 'sarif', 'src'] });
  const findings = run.findings.map((f): Finding => {
    if (!f.file.includes('été')) return f;
    const line = f.range.start.line;
    return {
      ...f,
      path: [
        { file: f.file, range: { start: { line: line - 1, character: 19 }, end: { line: line - 1, character: 38 } }, label: 'count read from the content buffer' },
        { file: f.file, range: f.range, label: 'count formatted into a 16-byte buffer' },
      ],
      related: [{ file: f.file, range: { start: { line: line - 1, character: 4 }, end: { line: line - 1, character: 9 } }, label: 'another place of the same mistake' }],
      fixes: [
        { title: 'Use RtlStringCbPrintfA with the destination size', safety: 'unsafe', edits: [{ start: f.startOffset, end: f.endOffset, newText: 'RtlStringCbPrintfA', range: f.range }] },
      ],
    };
  });
  return { root, run: { ...run, findings, toolErrors: [{ file: 'src/contenu été.c', ruleId: 'KS1301', message: 'internal error: unexpected node' }] } };
}

/** A run with no findings at all. */
export function emptyRun(template: RunResult): RunResult {
  return { ...template, findings: [], skipped: [], toolErrors: [], baseline: undefined };
}
