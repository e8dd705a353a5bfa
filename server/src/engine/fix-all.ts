/**
 * Applying fixes without an editor: which safe fixes of a file's findings can be applied together, and the text
 * they give. The editor's "fix all" action and `kslint --fix` share this, so both change a file the same way.
 */
import type { Finding, Fix, TextEdit } from './rule';

/**
 * The safe fixes of `findings` (suppressed findings left alone) that can be applied together: a fix whose edits
 * overlap an edit already taken is left for another pass.
 */
export function selectSafeFixes(findings: readonly Finding[]): Fix[] {
  const taken: { start: number; end: number }[] = [];
  const out: Fix[] = [];
  for (const f of findings) {
    if (f.suppression) continue;
    const fix = f.fixes.find((x) => x.safety === 'safe');
    if (!fix) continue;
    if (fix.edits.some((e) => taken.some((t) => overlaps(e, t)))) continue;
    taken.push(...fix.edits.map((e) => ({ start: e.start, end: e.end })));
    out.push(fix);
  }
  return out;
}

/** Overlapping spans, counting two insertions at the same point (their order would be ambiguous). */
function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return (a.start < b.end && b.start < a.end) || a.start === b.start;
}

/**
 * `text` with `edits` (non-overlapping, offsets into `text`) applied. Line breaks in inserted text follow the
 * file's: a file whose first line ends in CRLF gets CRLF (editors do the same when they apply an edit).
 */
export function applyEdits(text: string, edits: readonly Pick<TextEdit, 'start' | 'end' | 'newText'>[]): string {
  const crlf = /^[^\n]*\r\n/.test(text);
  const parts: string[] = [];
  let at = text.length;
  for (const e of [...edits].sort((a, b) => b.start - a.start || b.end - a.end)) {
    parts.push(text.slice(e.end, at), crlf ? e.newText.replace(/\r?\n/g, '\r\n') : e.newText);
    at = e.start;
  }
  parts.push(text.slice(0, at));
  return parts.reverse().join('');
}
