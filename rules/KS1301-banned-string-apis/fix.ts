/**
 * KS1301's quick fix: `strcpy(dst, src)` -> `RtlStringCbCopyA(dst, sizeof(dst), src)` and the like, offered only
 * when `sizeof(dst)` is the destination's size (a local, global or field array, never a pointer or parameter)
 * and the call's result is unused. Always unsafe: the returned NTSTATUS must be checked, and a string that no
 * longer fits is now truncated instead of overrunning.
 */
import type { Fix } from '../../server/src/engine/rule';
import { AstNode, child, unwrap } from '../../server/src/engine/ast';
import type { ParsedFile } from '../../server/src/engine/parse/parse';
import { callArgs, isArrayObject } from '../../server/src/engine/syntax';

/** Banned routine -> its ntstrsafe form taking a byte count after the destination, and how many arguments it takes. */
const REWRITES: Record<string, { next: string; args?: number; legacyFormat?: boolean }> = {
  strcpy: { next: 'RtlStringCbCopyA', args: 2 },
  wcscpy: { next: 'RtlStringCbCopyW', args: 2 },
  strcat: { next: 'RtlStringCbCatA', args: 2 },
  wcscat: { next: 'RtlStringCbCatW', args: 2 },
  sprintf: { next: 'RtlStringCbPrintfA' },
  vsprintf: { next: 'RtlStringCbVPrintfA', args: 3 },
  // Only the legacy Microsoft form `swprintf(dst, L"fmt", ...)`; the standard form already takes a count.
  swprintf: { next: 'RtlStringCbPrintfW', legacyFormat: true },
  vswprintf: { next: 'RtlStringCbVPrintfW', args: 3, legacyFormat: true },
};

type FixSpec = Omit<Fix, 'edits'> & { edits: { start: number; end: number; newText: string }[] };

export function stringFix(file: ParsedFile, call: AstNode, name: string): FixSpec[] {
  const spec = Object.prototype.hasOwnProperty.call(REWRITES, name) ? REWRITES[name] : undefined;
  const args = callArgs(call);
  const fn = child(call, 'function');
  if (!spec || !fn || args.length < 2 || (spec.args !== undefined && args.length !== spec.args)) return [];
  if (spec.legacyFormat && !/^(string_literal|concatenated_string)$/.test(unwrap(args[1]).type)) return [];
  // The routine's result (the destination pointer) must be unused: the replacement returns an NTSTATUS.
  if (call.parent?.type !== 'expression_statement') return [];
  const dst = args[0];
  if (!isArrayObject(file, dst)) return [];
  const dstText = file.source.text.slice(dst.start, dst.end);
  return [{
    title: `Use ${spec.next}(${dstText}, sizeof(${dstText}), ...) and check its NTSTATUS`,
    safety: 'unsafe',
    edits: [{ start: fn.start, end: fn.end, newText: spec.next }, { start: dst.end, end: dst.end, newText: `, sizeof(${dstText})` }],
  }];
}
