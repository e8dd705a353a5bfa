/**
 * Phase 1 of the project analysis: a small, JSON-safe summary of one file. Runs per file (in a worker in the CLI):
 * the functions it defines, the entry points it registers, and for every call the taint each argument carries,
 * as concrete source kinds or as "depends on the caller's parameter i".
 */
import { AstNode, descendants } from '../ast';
import { EMPTY_PROJECT, FileAnalysis } from '../analysis';
import type { EngineConfig } from '../config';
import { isTainted, stepsOf } from '../flow/facts';
import { kindsToList, TaintKind } from '../flow/sources';
import { callArguments, calleeName } from '../flow/taint';
import type { ParsedFile } from '../parse/parse';
import type { Range } from '../source';
import { findRegistrations, Registration } from './entry-points';

export const SUMMARY_VERSION = 1;

export interface FileSummary {
  readonly version: number;
  readonly path: string;
  readonly functions: readonly FunctionSummary[];
  readonly registrations: readonly Registration[];
  /** Plain names of every function called in the file (sorted, unique). */
  readonly callees: readonly string[];
}

export interface FunctionSummary {
  readonly name: string;
  readonly qualifiedName: string;
  readonly line: number;
  readonly paramCount: number;
  /** Calls passing at least one untrusted (or parameter-derived) argument. */
  readonly calls: readonly CallSummary[];
}

export interface CallSummary {
  readonly callee: string;
  readonly range: Range;
  /** Per argument; null when the argument carries nothing. */
  readonly args: readonly (ArgSummary | null)[];
}

export interface ArgSummary {
  /** Kinds from sources inside the caller. */
  readonly kinds: readonly TaintKind[];
  readonly tags: readonly string[];
  /** Caller parameters the argument derives from; `loads` = pointer reads between the parameter and the value. */
  readonly params: readonly { readonly index: number; readonly loads: number }[];
  readonly length: boolean;
  readonly sizeChecked: boolean;
  readonly bounded: boolean;
  readonly text: string;
  readonly range: Range;
  /** Steps inside the caller, source (or parameter) first. */
  readonly steps: readonly { readonly range: Range; readonly label: string }[];
}

const NOT_PROJECT_FUNCTIONS = new Set(['sizeof', 'RTL_NUMBER_OF', 'ARRAYSIZE', 'FIELD_OFFSET', 'NT_SUCCESS', 'UNREFERENCED_PARAMETER', 'ASSERT', 'NT_ASSERT', 'KdPrint', 'KdPrintEx', 'DbgPrint', 'DbgPrintEx', 'TraceEvents', 'CONTAINING_RECORD', 'min', 'max']);

function summarizeCall(analysis: FileAnalysis, flow: NonNullable<ReturnType<FileAnalysis['flow']>>, call: AstNode, callee: string): CallSummary | undefined {
  const src = analysis.file.source;
  let any = false;
  const args = callArguments(call).map((a): ArgSummary | null => {
    const f = flow.rawTaint(a);
    if (!isTainted(f)) return null;
    any = true;
    const buffer = !!(f.kinds & 3) || f.params.some((c) => (c & 3) === 0);
    return {
      kinds: kindsToList(f.kinds),
      tags: [...f.tags],
      params: f.params.map((c) => ({ index: c >> 2, loads: c & 3 })),
      length: f.length,
      sizeChecked: f.sizeChecked || (buffer && flow.lengthChecked(a, true)),
      bounded: flow.rawBounded(a),
      text: src.text.slice(a.start, a.end).replace(/\s+/g, ' ').slice(0, 80),
      range: src.rangeOf(a.start, a.end),
      steps: stepsOf(f.chain).map((s) => ({ range: s.range ?? src.rangeOf(s.node?.start ?? a.start, s.node?.end ?? a.end), label: s.label })),
    };
  });
  return any ? { callee, range: src.rangeOf(call.start, call.end), args } : undefined;
}

/** Phase 1: the file's contribution to the project index. Deterministic and JSON-serializable. */
export function summarizeFile(parsed: ParsedFile, config: EngineConfig, analysis?: FileAnalysis): FileSummary {
  const a = analysis ?? new FileAnalysis(parsed, EMPTY_PROJECT, config);
  const src = parsed.source;
  const callees = new Set<string>();
  const functions: FunctionSummary[] = [];
  for (const fn of a.functions) {
    const calls: CallSummary[] = [];
    const flow = a.flow(fn);
    const mayCarry = !!flow && (fn.params.some((p) => p.name) || flow.hasTaint);
    for (const call of descendants(fn.body, 'call_expression')) {
      const callee = calleeName(src, call);
      if (!callee || NOT_PROJECT_FUNCTIONS.has(callee)) continue;
      callees.add(callee);
      if (!mayCarry || !flow || !flow.reachable(call)) continue;
      const s = summarizeCall(a, flow, call, callee);
      if (s) calls.push(s);
    }
    functions.push({ name: fn.name, qualifiedName: fn.qualifiedName, line: src.positionAt(fn.node.start).line, paramCount: fn.params.length, calls });
  }
  return {
    version: SUMMARY_VERSION,
    path: parsed.path,
    functions,
    registrations: findRegistrations(parsed, a.functions, config),
    callees: [...callees].sort(),
  };
}
