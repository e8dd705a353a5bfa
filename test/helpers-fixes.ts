/** Applying a finding's fixes to its text, as an editor or `--fix` would. */
import assert from 'node:assert/strict';
import type { Finding, Fix } from '../server/src/engine/rule';

type Edit = { readonly start: number; readonly end: number; readonly newText: string };

/** Applies edits (of one fix or several) to `text`; overlapping edits are a test failure. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1].end <= sorted[i].start, `overlapping edits at ${sorted[i].start}`);
  let out = text;
  for (const e of sorted.reverse()) {
    assert.ok(e.start >= 0 && e.start <= e.end && e.end <= text.length, `edit out of range: ${e.start}-${e.end}`);
    out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  }
  return out;
}

/** Applies the given fixes together (each finding's first fix when findings are given). */
export function applyFixes(text: string, fixes: readonly (Fix | Finding)[]): string {
  const edits: Edit[] = [];
  for (const f of fixes) {
    const fix = 'edits' in f ? f : f.fixes[0];
    assert.ok(fix, `finding without a fix: ${'message' in f ? f.message : ''}`);
    edits.push(...fix.edits);
  }
  return applyEdits(text, edits);
}
