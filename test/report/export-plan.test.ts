/** The editor's export command: CLI arguments, default names, and how exit codes read. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultReportName, exportArgs, interpretExit } from '../../server/src/report/export-plan';

test('export runs the CLI with targets after "--" and reads exit codes 0/1 as written, others as errors', () => {
  assert.deepEqual(exportArgs({ cliPath: '/ext/bin/kslint.js', format: 'html', output: '/w/r.html', targets: ['/w', '-odd.c'], configPath: '/w/kslint.yaml' }), [
    '/ext/bin/kslint.js', '--format', 'html', '--output', '/w/r.html', '--config', '/w/kslint.yaml', '--', '/w', '-odd.c',
  ]);
  assert.equal(defaultReportName('sarif', 'workspace'), 'kslint-report.sarif');
  assert.equal(defaultReportName('markdown', 'file', '/w/src/dispatch.c'), 'dispatch.c.kslint.md');
  assert.deepEqual(interpretExit(0, '', 'r.html'), { ok: true, message: 'Kernel Safety Lint report written to r.html.' });
  assert.match(interpretExit(1, '', 'r.html').message, /contains findings that fail the run/);
  assert.deepEqual(interpretExit(2, '\nkslint.yaml: rules.KS9999: unknown rule\nmore', 'r.html'), { ok: false, message: 'Kernel Safety Lint could not write the report: kslint.yaml: rules.KS9999: unknown rule' });
  assert.match(interpretExit(null, '', 'r').message, /stopped/);
});
