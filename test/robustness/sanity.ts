/** Shared checks for the robustness and fuzz suites: a lint result must be well-formed for its input text. */
import assert from 'node:assert/strict';
import type { BackendKind } from '../../server/src/engine/parse/backend';
import { FileResult, lintTexts } from '../../server/src/engine/lint';
import { DEFAULT_ENGINE_CONFIG, EngineConfig } from '../../server/src/engine/config';
import { SourceText, Range } from '../../server/src/engine/source';
import { RULES } from '../../rules/index.generated';
import { getParsers } from '../helpers';

export async function lintWith(kind: BackendKind | 'auto', path: string, text: string, config: EngineConfig = DEFAULT_ENGINE_CONFIG): Promise<FileResult> {
  const parsers = await getParsers(kind);
  return lintTexts(parsers, [{ path, text }], RULES, config)[0];
}

function assertRange(src: SourceText, r: Range, what: string): void {
  assert.ok(r.start.line >= 0 && r.end.line < src.lineCount, `${what}: lines ${r.start.line}-${r.end.line} outside 0-${src.lineCount - 1}`);
  assert.ok(r.start.line < r.end.line || (r.start.line === r.end.line && r.start.character <= r.end.character), `${what}: range ends before it starts`);
  assert.ok(r.start.character >= 0 && r.start.character <= src.lineText(r.start.line).length + 2, `${what}: start column past the line`);
}

/** Every finding, path step and fix edit lies inside the file; statistics add up; no rule threw. */
export function assertSane(result: FileResult, text: string, label = result.path): void {
  const src = new SourceText(text);
  assert.deepEqual(result.ruleErrors, [], `${label}: a rule threw`);
  assert.equal(result.stats.lines, src.lineCount, `${label}: line count`);
  assert.equal(result.stats.analysed + result.stats.skipped, result.stats.functions, `${label}: analysed + skipped`);
  for (const f of result.findings) {
    const what = `${label}: ${f.ruleId} at ${f.startOffset}-${f.endOffset}`;
    assert.ok(f.startOffset >= 0 && f.startOffset <= f.endOffset && f.endOffset <= text.length, `${what}: offsets outside 0-${text.length}`);
    assert.deepEqual(f.range, src.rangeOf(f.startOffset, f.endOffset), `${what}: range does not match offsets`);
    assertRange(src, f.range, what);
    assert.ok(f.message.length > 0 && /^[0-9a-f]{32}$/.test(f.fingerprint), `${what}: message or fingerprint`);
    for (const step of f.path) if (step.file === result.path) assertRange(src, step.range, `${what} path step`);
    for (const fix of f.fixes) {
      for (const e of fix.edits) assert.ok(e.start >= 0 && e.start <= e.end && e.end <= text.length, `${what}: fix edit outside the file`);
    }
  }
}

/** `line:RULE` keys (1-based), for comparing runs. */
export function keys(result: FileResult): string[] {
  return result.findings.map((f) => `${f.range.start.line + 1}:${f.range.start.character}:${f.ruleId}`).sort();
}
