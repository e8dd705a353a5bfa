/** GitHub workflow commands (escaping, as the runner parses them) and GitLab Code Quality (JSON, fingerprints). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Finding, Severity } from '../../server/src/engine/rule';
import { bySeverityThenLocation, displayPath } from '../../server/src/report/common';
import { GITLAB_SEVERITY, NOT_ANALYSED_CHECK } from '../../server/src/report/gitlab';
import { diskSources, findingStatus, FORMATS, RunResult, summarize } from '../../server/src/report/index';
import { goldenScenario } from './run-helpers';
import { emptyRun, hostileScenario } from './scenarios';

interface WorkflowCommand {
  readonly name: string;
  readonly props: ReadonlyMap<string, string>;
  readonly message: string;
}

const decode = (s: string): string => s.replace(/%(25|0D|0A|3A|2C)/g, (_, c: string) => ({ '25': '%', '0D': '\r', '0A': '\n', '3A': ':', '2C': ',' })[c] as string);

const PROPERTIES = ['file', 'line', 'col', 'endLine', 'endColumn', 'title'];

/**
 * Reads the output as the Actions runner does: a command only at the start of a line (any of CR, LF, CRLF ends
 * one), its properties up to the next `::`, split at `,` and at the first `=`. Every line must be a command.
 */
function parseCommands(out: string): WorkflowCommand[] {
  const lines = out.split(/\r\n|\r|\n/);
  assert.equal(lines.pop(), '', 'the output ends with a line break');
  return lines.map((line) => {
    assert.ok(line.startsWith('::'), `not a command: ${line}`);
    const end = line.indexOf('::', 2);
    assert.ok(end > 2, line);
    const info = line.slice(2, end);
    const sp = info.indexOf(' ');
    const props = new Map<string, string>();
    for (const pair of sp < 0 ? [] : info.slice(sp + 1).split(',')) {
      const eq = pair.indexOf('=');
      const key = pair.slice(0, eq);
      assert.ok(eq > 0 && PROPERTIES.includes(key) && !props.has(key), `unexpected property "${pair}" in ${line}`);
      props.set(key, decode(pair.slice(eq + 1)));
    }
    return { name: sp < 0 ? info : info.slice(0, sp), props, message: decode(line.slice(end + 2)) };
  });
}

const INJECTION = '\n::error::pwned\r::warning file=evil.c,line=1::pwned too %0A %25';
const EVIL_FILE = 'src/we,ird:na%me,line=99,title=x.c';

async function hostileRun(): Promise<{ run: RunResult; root: string }> {
  const { run, root } = await hostileScenario();
  const findings = run.findings.map((f, i): Finding => ({ ...f, suppression: undefined, file: i === 0 ? EVIL_FILE : f.file, message: `${f.message}${INJECTION}\u0001\u001b[31m\u2028\uD800` }));
  return {
    root,
    run: { ...run, findings, baseline: undefined, skipped: [{ file: 'src/blob,x:y%.c', reason: `not UTF-8 ${INJECTION}` }], toolErrors: run.toolErrors.map((e) => ({ ...e, message: e.message + INJECTION })) },
  };
}

test('GitHub commands: hostile file names and messages cannot start a command or add a property', async () => {
  const { run, root } = await hostileRun();
  try {
    const out = FORMATS.github(run, diskSources(run));
    const commands = parseCommands(out);
    const active = run.findings.filter((f) => findingStatus(run, f) === 'active').sort(bySeverityThenLocation);
    assert.ok(active.length >= 2, 'the scenario has findings');
    assert.equal(commands.length, active.length + run.skipped.length + run.toolErrors.length, out);
    // The injected text stays inside its line, where the runner does not look for commands.
    assert.ok(!out.includes('\r') && !/(^|\n)::(error::pwned|warning file=evil)/.test(out), out);
    active.forEach((f, i) => {
      const c = commands[i];
      assert.equal(c.name, f.severity === 'note' ? 'notice' : f.severity);
      assert.equal(c.props.get('file'), displayPath(run, f.file), 'the file name arrives whole');
      assert.equal(c.props.get('line'), String(f.range.start.line + 1));
      assert.equal(c.props.get('title'), `${f.ruleId} ${f.ruleName}`);
      assert.equal(c.message, f.message, 'the message arrives whole, line breaks and percent signs included');
    });
    assert.ok(commands.some((c) => c.props.get('file') === EVIL_FILE));
    const rest = commands.slice(active.length);
    assert.ok(rest.every((c) => c.name === 'warning' && c.props.size === 0));
    assert.ok(rest[0].message.includes('src/blob,x:y%.c') && rest[0].message.endsWith(run.skipped[0].reason), rest[0].message);
    assert.ok(rest[1].message.includes(run.toolErrors[0].message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('GitHub commands: only active findings, positions 1-based, columns only on one line, nothing else', async () => {
  const run = await goldenScenario();
  const commands = parseCommands(FORMATS.github(run, diskSources(run)));
  const active = run.findings.filter((f) => findingStatus(run, f) === 'active');
  assert.equal(summarize(run).suppressed + summarize(run).baselined, 3, 'the scenario waives three findings');
  const where = (file: string | undefined, line: string | undefined) => `${file}:${line}`;
  assert.deepEqual(
    commands.filter((c) => c.props.has('file')).map((c) => where(c.props.get('file'), c.props.get('line'))).sort(),
    active.map((f) => where(displayPath(run, f.file), String(f.range.start.line + 1))).sort(),
  );
  const first = commands[0];
  const f = active.sort(bySeverityThenLocation)[0];
  assert.deepEqual([first.props.get('col'), first.props.get('endLine'), first.props.get('endColumn')], [String(f.range.start.character + 1), String(f.range.end.line + 1), String(f.range.end.character + 1)]);
  const multi: RunResult = { ...run, findings: [{ ...f, range: { start: f.range.start, end: { line: f.range.start.line + 2, character: 1 } } }] };
  const [spread] = parseCommands(FORMATS.github(multi, diskSources(multi)));
  assert.ok(!spread.props.has('col') && !spread.props.has('endColumn') && spread.props.get('endLine') === String(f.range.start.line + 3));
  assert.equal(FORMATS.github(emptyRun(run), diskSources(run)), '', 'a clean run writes nothing');
});

/** The golden run's first active finding at each severity, in three places. */
async function severities(): Promise<RunResult> {
  const run = await goldenScenario();
  const base = run.findings.find((f) => findingStatus(run, f) === 'active') as Finding;
  const at = (severity: Severity, line: number): Finding => ({ ...base, severity, fingerprint: `${line}`.padStart(32, '0'), range: { start: { line, character: 4 }, end: { line, character: 9 } } });
  return { ...run, findings: [at('note', 1), at('warning', 2), at('error', 3)], skipped: [], toolErrors: [] };
}

test('severities map as documented: GitHub error/warning/notice, GitLab critical/major/info', async () => {
  const run = await severities();
  const commands = parseCommands(FORMATS.github(run, diskSources(run)));
  assert.deepEqual(commands.map((c) => `${c.name}@${c.props.get('line')}`), ['error@4', 'warning@3', 'notice@2'], 'most severe first');
  const issues = JSON.parse(FORMATS.gitlab(run, diskSources(run))) as { severity: string; location: { lines: { begin: number } } }[];
  assert.deepEqual(issues.map((i) => `${i.severity}@${i.location.lines.begin}`), ['info@2', 'major@3', 'critical@4']);
  assert.deepEqual(GITLAB_SEVERITY, { note: 'info', warning: 'major', error: 'critical' });
});

interface Issue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: string;
  location: { path: string; lines: { begin: number; end?: number } };
}

function gitlab(run: RunResult): Issue[] {
  const text = FORMATS.gitlab(run, diskSources(run));
  assert.ok(!text.startsWith('\uFEFF'), 'GitLab refuses a byte order mark');
  const issues = JSON.parse(text) as Issue[];
  assert.ok(Array.isArray(issues));
  for (const i of issues) {
    assert.deepEqual(Object.keys(i), ['description', 'check_name', 'fingerprint', 'severity', 'location'], JSON.stringify(i));
    assert.ok(['info', 'minor', 'major', 'critical', 'blocker'].includes(i.severity) && i.location.lines.begin >= 1 && /^[0-9a-f]{32}$/.test(i.fingerprint));
  }
  assert.equal(new Set(issues.map((i) => i.fingerprint)).size, issues.length, 'fingerprints are unique');
  return issues;
}

test('GitLab Code Quality: valid JSON for every scenario, active findings only, the hostile text intact', async () => {
  const golden = await goldenScenario();
  const issues = gitlab(golden);
  const active = golden.findings.filter((f) => findingStatus(golden, f) === 'active');
  const found = issues.filter((i) => i.check_name !== NOT_ANALYSED_CHECK);
  assert.deepEqual(found.map((i) => `${i.location.path}:${i.location.lines.begin} ${i.description}`).sort(), active.map((f) => `${displayPath(golden, f.file)}:${f.range.start.line + 1} ${f.message}`).sort());
  assert.ok(found.every((i) => i.check_name === 'KS1301-banned-string-apis'), JSON.stringify(found));
  assert.deepEqual(issues.filter((i) => i.check_name === NOT_ANALYSED_CHECK).map((i) => [i.location.path, i.severity]), [['src/huge-table.c', 'info']]);
  assert.deepEqual(gitlab(emptyRun(golden)), []);

  const { run, root } = await hostileRun();
  try {
    const hostile = gitlab(run);
    assert.equal(hostile.length, run.findings.length + run.skipped.length + run.toolErrors.length);
    const evil = hostile.find((i) => i.location.path === EVIL_FILE);
    assert.equal(evil?.description, run.findings[0].message);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('GitLab fingerprints: unique when findings share a fingerprint, stable across runs and line moves', async () => {
  const run = await goldenScenario();
  const f = run.findings.find((x) => findingStatus(run, x) === 'active') as Finding;
  const moved = (by: number): Finding => ({ ...f, range: { start: { ...f.range.start, line: f.range.start.line + by }, end: { ...f.range.end, line: f.range.end.line + by } } });
  // The same finding twice in one file, and once in another file (as two copies of one source would give).
  const twice: RunResult = { ...run, findings: [f, moved(5), { ...f, file: 'src/copy-of-names.c' }], baseline: undefined, skipped: [], toolErrors: [] };
  const prints = gitlab(twice).map((i) => i.fingerprint);
  assert.equal(new Set(prints).size, 3);
  assert.deepEqual(gitlab(twice).map((i) => i.fingerprint), prints, 'the same run, the same fingerprints');
  const later: RunResult = { ...twice, findings: [moved(40), moved(45), { ...moved(3), file: 'src/copy-of-names.c' }] };
  assert.deepEqual(gitlab(later).map((i) => i.fingerprint), prints, 'code moved down in both files: the same fingerprints');
});
