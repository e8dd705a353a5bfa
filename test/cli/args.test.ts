/** The real `kslint` command on small trees: options, formats, exit codes and messages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLEAN, makeTree, removeTree, runCli, TWO_WARNINGS } from './cli-helpers';

test('text output is compiler-style, one line per finding plus a summary; exit code follows --fail-on', async () => {
  const dir = makeTree({ 'src/copy.c': TWO_WARNINGS, 'src/ok.c': CLEAN });
  try {
    const def = await runCli(['src'], { cwd: dir });
    assert.equal(def.code, 0, def.stderr);
    const lines = def.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^src\/copy\.c:3:5: warning KS1301 'strcpy' writes without a destination size/);
    assert.match(lines[1], /^src\/copy\.c:4:5: warning KS1301 'strcat'/);
    assert.equal(lines[2], '0 errors, 2 warnings and 0 notes in 2 files');
    assert.ok(!/\x1b\[/.test(def.stdout), 'no colour when not on a terminal');
    const warn = await runCli(['--fail-on', 'warning', 'src'], { cwd: dir });
    assert.equal(warn.code, 1);
    assert.match(warn.stdout, /2 at or above --fail-on warning/);
    assert.equal((await runCli(['--fail-on', 'none', '--rule', 'KS1301=error', 'src'], { cwd: dir })).code, 0);
    const err = await runCli(['-r', 'banned-string-apis=error', '--quiet', 'src/copy.c'], { cwd: dir });
    assert.equal(err.code, 1);
    assert.equal(err.stdout.split('\n').filter(Boolean).length, 2, 'quiet: findings only');
    assert.match(err.stdout, /error KS1301/);
    assert.equal(err.stderr, '');
    const off = await runCli(['--rule', 'KS1301=off', '--fail-on=note'], { cwd: dir });
    assert.equal(off.code, 0);
    assert.equal(off.stdout, '0 errors, 0 warnings and 0 notes in 2 files\n');
  } finally {
    removeTree(dir);
  }
});

test('usage errors exit with 2 and say what is wrong', async () => {
  const dir = makeTree({ 'a.c': CLEAN });
  try {
    const cases: [string[], RegExp][] = [
      [['--bogus'], /unknown option '--bogus'/],
      [['--format', 'pdf'], /unknown report format "pdf" \(known: text, json, sarif, html, markdown, junit, github, gitlab\)/],
      [['--format', 'json', '--format', 'sarif'], /formats json and sarif would both go to standard output/],
      [['--baseline', 'none.json'], /--baseline none\.json: file not found/],
      [['--fail-on', 'fatal'], /Allowed choices are error, warning, note, none/],
      [['--rule', 'KS1301'], /expected RULE=off\|note\|warning\|error/],
      [['--rule', 'KS9999=off'], /unknown rule "KS9999"/],
      [['--jobs', '0'], /expected a whole number from 1 to 256/],
      [['--explain', 'KS9999'], /--explain: unknown rule "KS9999"/],
      [['missing-dir'], /no such file or folder: missing-dir/],
      [['--config', 'nope.yaml'], /nope\.yaml: config file not found/],
      [['--stats=xml'], /'--stats \[format\]' argument 'xml' is invalid\. Allowed choices are text, json/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { cwd: dir });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
    }
  } finally {
    removeTree(dir);
  }
});

test('a broken config stops the run with exit 2 and one message naming file, line and column', async () => {
  const dir = makeTree({ '.kslintrc.yaml': 'rules:\n  KS1301: error\n  unknown-rule-name: off\n', 'src/a.c': TWO_WARNINGS });
  try {
    const r = await runCli(['src'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `kslint: ${join(dir, '.kslintrc.yaml')}:3:3: unknown rule "unknown-rule-name" (kslint --list-rules shows the rules)\n`);
    assert.equal(r.stdout, '');
  } finally {
    removeTree(dir);
  }
});

test('--help, --version, --list-rules and --explain print and exit 0', async () => {
  const dir = makeTree({ '.kslintrc.json': '{"rules": {"KS1301": "off"}}' });
  try {
    const help = await runCli(['--help'], { cwd: dir });
    assert.equal(help.code, 0);
    for (const opt of ['--format', '--output', '--config', '--rule', '--fail-on', '--jobs', '--list-rules', '--explain', '--stats', '--cache', '--no-color', '--quiet', '--version']) assert.ok(help.stdout.includes(opt), opt);
    const version = await runCli(['--version'], { cwd: dir });
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')).version);
    const list = await runCli(['--list-rules'], { cwd: dir });
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^KS1301\s+off\s+banned-string-apis\s+Strings\s+Unbounded/m, 'effective severity from the config');
    assert.match(list.stdout, /^KS0001\s+warning\s+unjustified-suppression/m);
    const explain = await runCli(['--explain', 'c28719'], { cwd: dir });
    assert.equal(explain.code, 0);
    assert.match(explain.stdout, /^# KS1301 banned-string-apis\n/);
    assert.match(explain.stdout, /## Why it matters/);
    assert.match(explain.stdout, /Also accepted in suppressions: .*C28719/);
    // A check's own number finds its rule, whose explanation lists each check and what suppresses it alone.
    const check = await runCli(['--explain', 'C30030'], { cwd: dir });
    assert.match(check.stdout, /^# KS1201 pool-api-hygiene\n/);
    assert.match(check.stdout, /^- Check executable-pool: suppressed alone by C30030, 30030, C30029, 30029, KS1201\/executable-pool$/m);
  } finally {
    removeTree(dir);
  }
});

test('json and sarif reports go to --output atomically; the summary goes to standard error', async () => {
  const dir = makeTree({ 'src/copy.c': TWO_WARNINGS, 'src/blob.c': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]) });
  try {
    const r = await runCli(['--format', 'json', '--output', 'src/copy.c/report.json', 'src'], { cwd: dir });
    assert.equal(r.code, 2, 'the output folder is a file');
    assert.match(r.stderr, /cannot write the report \((ENOTDIR|EEXIST)\): .*src\/copy\.c\/report\.json: a parent folder in its path is a file\n$/);
    const made = await runCli(['--format', 'json', '--output', 'src/out/deeper/report.json', 'src'], { cwd: dir });
    assert.equal(made.code, 0, made.stderr);
    assert.equal(JSON.parse(readFileSync(join(dir, 'src/out/deeper/report.json'), 'utf8')).findings.length, 2, 'missing folders are created');
    const j = await runCli(['--format', 'json', '--output', 'report.json', '--fail-on', 'warning', 'src'], { cwd: dir });
    assert.equal(j.code, 1, j.stderr);
    assert.equal(j.stdout, '');
    assert.equal(j.stderr, '0 errors, 2 warnings and 0 notes in 1 file (1 file skipped); 2 at or above --fail-on warning -> report.json\n');
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    assert.equal(report.kind, 'kslint-report');
    assert.equal(report.findings.length, 2);
    assert.deepEqual(report.skipped, [{ file: 'src/blob.c', reason: 'contains NUL bytes (a binary file, or UTF-16 without a byte-order mark)' }]);
    assert.equal(report.invocation.exitCode, 1);
    const s = await runCli(['-f', 'sarif', '-o', 'report.sarif', 'src'], { cwd: dir });
    assert.equal(s.code, 0);
    const sarif = JSON.parse(readFileSync(join(dir, 'report.sarif'), 'utf8'));
    assert.equal(sarif.version, '2.1.0');
    assert.equal(sarif.runs[0].results.length, 2);
    assert.deepEqual(readdirSync(dir).sort(), ['report.json', 'report.sarif', 'src'], 'no temporary files left behind');
    const text = await runCli(['src'], { cwd: dir });
    assert.match(text.stdout, /^src\/blob\.c: skipped: contains NUL bytes/m, 'skipped files are listed in text output too');
    assert.ok(existsSync(join(dir, 'report.json')));
  } finally {
    removeTree(dir);
  }
});

test('colour only on request (FORCE_COLOR) and never with --no-color or NO_COLOR', async () => {
  const dir = makeTree({ 'a.c': TWO_WARNINGS });
  try {
    const forced = await runCli([], { cwd: dir, env: { FORCE_COLOR: '1' } });
    assert.ok(/\x1b\[/.test(forced.stdout));
    assert.ok(!/\x1b\[/.test((await runCli(['--no-color'], { cwd: dir, env: { FORCE_COLOR: '1' } })).stdout));
    assert.ok(!/\x1b\[/.test((await runCli([], { cwd: dir, env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout));
  } finally {
    removeTree(dir);
  }
});

test('several reports in one run, and a baseline that accepts today\'s findings', async () => {
  const dir = makeTree({ 'src/copy.c': TWO_WARNINGS });
  try {
    const first = await runCli(['--format', 'sarif=k.sarif,html=k.html', '-f', 'markdown', '-o', 'k.md', '--write-baseline', 'base.json', '--fail-on', 'warning', 'src'], { cwd: dir });
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stderr, /2 warnings .* -> k\.sarif, k\.html, k\.md/);
    for (const f of ['k.sarif', 'k.html', 'k.md', 'base.json']) assert.ok(existsSync(join(dir, f)), f);
    const next = await runCli(['--baseline', 'base.json', '--fail-on', 'warning', 'src'], { cwd: dir });
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, /^0 errors, 0 warnings and 0 notes in 1 file \(2 in the baseline\)$/m);
  } finally {
    removeTree(dir);
  }
});

test('--stats=json: the run statistics as one JSON object on the last line of standard error, agreeing with the report', async () => {
  const dir = makeTree({ 'src/copy.c': TWO_WARNINGS, 'src/ok.c': CLEAN, 'src/blob.c': '\u0000\u0001binary' });
  try {
    const r = await runCli(['src', '-f', 'json', '--stats=json', '--jobs', '1'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    const stats = JSON.parse(r.stderr.trimEnd().split('\n').at(-1)!);
    assert.deepEqual(stats.files, { analysed: 2, skipped: 1, skippedBy: { 'contains NUL bytes': 1 }, leftOut: { gitignore: 0, exclude: 0, include: 0, external: 0 } });
    assert.equal(stats.lines, report.stats.lines);
    assert.deepEqual(stats.findings.byRule, { KS1301: 2 });
    assert.equal(stats.findings.active, report.summary.active);
    assert.equal(stats.jobs, 1);
    for (const k of ['total', 'discovery', 'phase1', 'index', 'phase2', 'report']) assert.equal(typeof stats.timeMs[k], 'number', k);
    assert.ok(stats.workerMs.parse > 0, 'two files were parsed');
    assert.ok(stats.peakRssMb > 0);
    assert.equal(stats.cache, undefined, 'no cache in this run');
    // `--stats` alone (before a path, which it must not take as its format) still prints the text form.
    const text = await runCli(['--stats', 'src'], { cwd: dir });
    assert.match(text.stderr, /kslint statistics\n {2}files {8}2 analysed; 1 skipped/);
  } finally {
    removeTree(dir);
  }
});
