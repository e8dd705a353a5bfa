/** Format/output pairing, and the order of baseline and changed-line focusing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findingsExitCode, focusRun, parseReportRequests, writeReports } from '../../server/src/report/emit';
import { diskSources, summarize } from '../../server/src/report/index';
import { lintTree } from './run-helpers';

test('formats pair with outputs in both spellings; conflicts are usage errors', () => {
  assert.deepEqual(parseReportRequests(['sarif', 'html'], ['a.sarif', 'b.html']), [
    { format: 'sarif', output: 'a.sarif' },
    { format: 'html', output: 'b.html' },
  ]);
  assert.deepEqual(parseReportRequests(['sarif=a.sarif,html=b.html'], []), [
    { format: 'sarif', output: 'a.sarif' },
    { format: 'html', output: 'b.html' },
  ]);
  assert.deepEqual(parseReportRequests(['text', 'md=pr.md', 'junit'], ['-', 'junit.xml']), [
    { format: 'text', output: undefined },
    { format: 'markdown', output: 'pr.md' },
    { format: 'junit', output: 'junit.xml' },
  ]);
  assert.deepEqual(parseReportRequests(['github', 'codequality=gl.json'], []), [
    { format: 'github', output: undefined },
    { format: 'gitlab', output: 'gl.json' },
  ]);
  assert.deepEqual(parseReportRequests([], []), [{ format: 'text', output: undefined }]);
  assert.throws(() => parseReportRequests(['pdf'], []), /unknown report format "pdf"/);
  assert.throws(() => parseReportRequests(['sarif', 'html'], []), /both go to standard output/);
  assert.throws(() => parseReportRequests(['sarif=a', 'html=a'], []), /two reports would be written to a/);
  assert.throws(() => parseReportRequests(['sarif'], ['a', 'b']), /2 --output values for 1/);
});

const CODE = 'VOID A(CHAR *d, const CHAR *s)\n{\n    strcpy(d, s);\n}\nVOID B(CHAR *d)\n{\n    strcat(d, "x");\n}\n';

test('baseline written from the whole run; changed-since narrows afterwards without inventing fixed findings', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-emit-'));
  try {
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: dir });
    git('init', '-q');
    writeFileSync(join(dir, 'a.c'), CODE);
    writeFileSync(join(dir, 'untouched.c'), CODE);
    writeFileSync(join(dir, '.gitignore'), 'base.json\n*.sarif\n*.html\n');
    git('add', '.');
    git('commit', '-q', '-m', 'base');
    const base = join(dir, 'base.json');
    const first = await focusRun(await lintTree(dir, { failOn: 'warning' }), { writeBaseline: base, changedSince: 'HEAD' });
    assert.equal(first.findings.length, 0, 'nothing changed yet');
    assert.equal(JSON.parse(readFileSync(base, 'utf8')).entries.length, 4, 'the baseline holds the whole run');

    // Fix A's bug in a.c and add a new one; untouched.c stays as it was.
    writeFileSync(join(dir, 'a.c'), CODE.replace('strcpy(d, s);', 'RtlStringCbCopyA(d, 8, s);') + 'VOID C(CHAR *d)\n{\n    sprintf(d, "c");\n}\n');
    const run = await focusRun(await lintTree(dir, { failOn: 'warning' }), { baseline: base, changedSince: 'HEAD' });
    const s = summarize(run);
    assert.deepEqual([run.findings.length, s.active, s.fixed, run.changedSince?.omitted], [1, 1, 1, 3]);
    assert.equal(run.baseline?.fixed[0].file, 'a.c');
    assert.equal(findingsExitCode(run), 1);

    const outputs: string[] = [];
    writeReports(run, [{ format: 'sarif', output: join(dir, 'r.sarif') }, { format: 'html', output: join(dir, 'r.html') }, { format: 'text' }], diskSources(run), { stdout: (t) => outputs.push(t), text: (r) => `${r.findings.length} findings\n` });
    assert.deepEqual(outputs, ['1 findings\n']);
    assert.equal(JSON.parse(readFileSync(join(dir, 'r.sarif'), 'utf8')).runs[0].results.length, 2, 'one new result and one absent (fixed)');
    assert.ok(readdirSync(dir).every((f) => !f.endsWith('.tmp')));
    assert.equal(findingsExitCode({ ...run, failOn: 'error' }), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
