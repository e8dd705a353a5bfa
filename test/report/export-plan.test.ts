/** The editor's export command: CLI arguments, default names, and how exit codes read. */
import { test } from 'node:test';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import assert from 'node:assert/strict';
import { CLI_LAUNCHER, defaultReportName, exportArgs, interpretExit } from '../../server/src/report/export-plan';

test('export runs the CLI with targets after "--" and reads exit codes 0/1 as written, others as errors', () => {
  const args = exportArgs({ cliModule: '/ext/dist/cli.js', format: 'html', output: '/w/r.html', targets: ['/w', '-odd.c'], configPath: '/w/kslint.yaml' });
  assert.deepEqual(args.slice(2), ['--', '/ext/dist/cli.js', '--format', 'html', '--output', '/w/r.html', '--config', '/w/kslint.yaml', '--', '/w', '-odd.c']);
  assert.equal(args[0], '-e');
  assert.equal(defaultReportName('sarif', 'workspace'), 'kslint-report.sarif');
  assert.equal(defaultReportName('markdown', 'file', '/w/src/dispatch.c'), 'dispatch.c.kslint.md');
  assert.deepEqual(interpretExit(0, '', 'r.html'), { ok: true, message: 'Kernel Safety Lint report written to r.html.' });
  assert.match(interpretExit(1, '', 'r.html').message, /contains findings that fail the run/);
  assert.deepEqual(interpretExit(2, '\nkslint.yaml: rules.KS9999: unknown rule\nmore', 'r.html'), { ok: false, message: 'Kernel Safety Lint could not write the report: kslint.yaml: rules.KS9999: unknown rule' });
  assert.match(interpretExit(null, '', 'r').message, /stopped/);
});

test('the launcher passes the arguments through untouched and exits with the module\'s code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-launcher-'));
  try {
    const mod = join(dir, 'fake-cli.js');
    writeFileSync(mod, "exports.run = async (argv) => { process.stdout.write(JSON.stringify(argv)); return argv.includes('fail') ? 1 : 0; };");
    const out = execFileSync(process.execPath, ['-e', CLI_LAUNCHER, '--', mod, '--format', 'html', '--', '$(touch x)', 'a b'], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), ['--format', 'html', '--', '$(touch x)', 'a b']);
    assert.throws(() => execFileSync(process.execPath, ['-e', CLI_LAUNCHER, '--', mod, 'fail'], { stdio: 'pipe' }), (e: { status?: number }) => e.status === 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const DIST = join(__dirname, '..', '..', '..', 'dist');
const FIXTURE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'KS1001');

test('the shipped CLI bundle (what the export command runs) lints with its workers and writes the report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-bundle-'));
  try {
    const out = join(dir, 'report.sarif');
    const r = spawnSync(process.execPath, exportArgs({ cliModule: join(DIST, 'cli.js'), format: 'sarif', output: out, targets: [FIXTURE] }), { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr); // the fixtures hold errors
    const sarif = JSON.parse(readFileSync(out, 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
    assert.ok(sarif.runs[0].results.some((x) => x.ruleId === 'KS1001'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bundle whose worker threads cannot start fails with a message and exit code 2, never a silent success', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-broken-bundle-'));
  try {
    // The bundle without piscina's thread bootstrap: no worker can start.
    cpSync(DIST, join(dir, 'dist'), { recursive: true, filter: (src) => !src.endsWith(`${sep}worker.js`) && !src.endsWith('.map') });
    const out = join(dir, 'report.sarif');
    const r = spawnSync(process.execPath, exportArgs({ cliModule: join(dir, 'dist', 'cli.js'), format: 'sarif', output: out, targets: [FIXTURE] }), { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /worker threads cannot start/);
    assert.ok(!existsSync(out), 'no report');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
