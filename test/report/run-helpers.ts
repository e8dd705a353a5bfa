/** Report tests: lint a folder into a `RunResult` with fixed times and version, and compare with golden files. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lintTexts } from '../../server/src/engine/lint';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { languageForPath } from '../../server/src/engine/parse/parse';
import { assembleRun } from '../../server/src/report/assemble';
import { applyBaseline } from '../../server/src/report/baseline';
import type { FailOn, RunResult, SkippedFile } from '../../server/src/report/run';
import { RULES } from '../../rules/index.generated';
import { getParsers } from '../helpers';

export const REPO = join(__dirname, '..', '..', '..');
export const TREE = join(REPO, 'test', 'report', 'tree');
export const GOLDEN = join(REPO, 'test', 'report', 'golden');

/** Rules whose output the golden files pin; new rules elsewhere in the catalogue do not churn them. */
export const GOLDEN_RULES = RULES.filter((r) => r.meta.id === 'KS1101' || r.meta.id === 'KS1301');

export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (languageForPath(name)) out.push(p);
  }
  return out;
}

export interface TreeRunOptions {
  readonly rules?: typeof RULES;
  readonly failOn?: FailOn;
  readonly skipped?: readonly SkippedFile[];
  readonly args?: readonly string[];
}

/** Lints every source under `dir` with paths relative to it (as `kslint .` run in `dir` would). */
export async function lintTree(dir: string, opts: TreeRunOptions = {}): Promise<RunResult> {
  const parsers = await getParsers();
  const inputs = sourceFiles(dir).map((p) => ({ path: relative(dir, p).split(sep).join('/'), text: readFileSync(p, 'utf8') }));
  const rules = opts.rules ?? GOLDEN_RULES;
  const files = lintTexts(parsers, inputs, rules, DEFAULT_ENGINE_CONFIG);
  const args = opts.args ?? ['.'];
  return assembleRun({
    tool: { name: 'kslint', version: '0.0.0-test', informationUri: 'https://example.invalid/kslint', rulesHelpBase: 'https://example.invalid/kslint/rules/' },
    rules,
    files,
    skipped: opts.skipped,
    invocation: { commandLine: ['kslint', ...args].join(' '), arguments: [...args], startTime: '2025-01-01T00:00:00.000Z', endTime: '2025-01-01T00:00:01.000Z', success: true, exitCode: 1, workingDirectory: dir },
    baseDir: dir,
    failOn: opts.failOn ?? 'error',
  });
}

/** Replaces the machine-specific folder (as path and as file URI) with a placeholder. */
export function normalize(text: string, dir: string): string {
  const uri = pathToFileURL(dir).href;
  return text.split(uri).join('file:///TREE').split(JSON.stringify(dir).slice(1, -1)).join('/TREE').split(dir).join('/TREE');
}

/** Compares with test/report/golden/NAME; KSLINT_UPDATE_GOLDEN=1 rewrites the golden file instead. */
export function assertGolden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (process.env.KSLINT_UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.KSLINT_UPDATE_GOLDEN !== '1') assert.fail(`golden file ${name} is missing; run with KSLINT_UPDATE_GOLDEN=1 to create it`);
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  const expected = readFileSync(path, 'utf8');
  if (actual === expected) return;
  const a = actual.split('\n');
  const e = expected.split('\n');
  let i = 0;
  while (i < a.length && i < e.length && a[i] === e[i]) i++;
  assert.fail(`${name} differs from the golden file at line ${i + 1}:\n  expected: ${e[i]?.slice(0, 300)}\n  actual:   ${a[i]?.slice(0, 300)}\n(KSLINT_UPDATE_GOLDEN=1 npm test -- report/ rewrites the golden files)`);
}

/**
 * The golden scenario: the fixture tree with one finding waived in the source (as an inline suppression would),
 * a baseline that accepts the KS1101 findings, and one baselined finding that no longer occurs.
 */
export async function goldenScenario(): Promise<RunResult> {
  const run = await lintTree(TREE, { skipped: [{ file: 'src/huge-table.c', reason: 'larger than the 8 MB file limit' }] });
  const strcat = run.findings.find((f) => f.message.startsWith("'strcat'"));
  assert.ok(strcat, 'the fixture tree has a strcat finding');
  strcat.suppression = { kind: 'inSource', justification: 'buf is a fixed 64-byte stack array and the suffix is constant', location: { file: strcat.file, range: { start: { line: strcat.range.start.line - 1, character: 4 }, end: { line: strcat.range.start.line - 1, character: 60 } } } };
  const accepted = run.findings.filter((f) => f.ruleId === 'KS1101').map((f) => ({ fingerprint: f.fingerprint, ruleId: f.ruleId, file: f.file, line: f.range.start.line + 1, message: f.message }));
  accepted.push({ fingerprint: '0123456789abcdef0123456789abcdef', ruleId: 'KS1301', file: 'src/names.c', line: 30, message: "'sprintf' writes without a destination size." });
  return applyBaseline(run, accepted, 'kslint-baseline.json');
}
