/**
 * Phase 1 of the project analysis: a small, JSON-safe summary of one file. Runs per file (in a worker in the CLI):
 * the functions it defines, the entry points it registers, and for every call the taint each argument carries,
 * as concrete source kinds or as "depends on the caller's parameter i".
 */
import { AstNode, descendants, nodeText, TextSource } from '../ast';
import { EMPTY_PROJECT, FileAnalysis } from '../analysis';
import type { EngineConfig } from '../config';
import { isTainted, Step, stepsOf } from '../flow/facts';
import { pathOf, stripCasts } from '../flow/paths';
import { registrySizeTested } from '../flow/registry-reads';
import { isObjectParam, kindsToList, TaintKind } from '../flow/sources';
import { callArguments, calleeName } from '../flow/taint';
import type { ParsedFile } from '../parse/parse';
import type { Range, SourceText } from '../source';
import { findRegistrations, Registration } from './entry-points';
import type { FunctionInfo } from './functions';
import { isLoggingCallee, isUserModeFile } from '../syntax';
import { ioctlDefinitions, IoctlMethod } from '../ioctl';
import { ioctlRefs } from '../user-memory/mapped';
import { fileMacros, MacroEntries, mergeMacro, namedParams } from '../flow/macro-table';
import type { MacroSummary } from '../flow/macro-values';
import { returnedSource, returnValues, sortedSources } from '../flow/returned-sources';
import { typeDeclarations, TypeEntries } from './members';
import { userMemory } from '../user-memory/accesses';
import { pointerMemberChains } from '../user-memory/followed';

export const SUMMARY_VERSION = 10;

export interface FileSummary {
  readonly version: number;
  readonly path: string;
  readonly functions: readonly FunctionSummary[];
  readonly registrations: readonly Registration[];
  /** IOCTL codes the file defines with `CTL_CODE`, and their transfer methods. */
  readonly ioctls: readonly (readonly [string, IoctlMethod])[];
  /** IOCTL names the file's lint looks up in the project (see `ioctlRefs`). */
  readonly ioctlRefs: readonly string[];
  /**
   * The file's function-like macros and single-return functions (see flow/macro-table.ts), and its other functions
   * whose `return` values carry a source (flow/returned-sources.ts).
   */
  readonly macros: MacroEntries;
  /** Names the file's functions call, whose macro facts its lint may read from the project. */
  readonly macroRefs: readonly string[];
  /** Those of `macroRefs` called with an address (`&x`) among the arguments (see `readView`). */
  readonly addressRefs: readonly string[];
  /** The structures and typedefs the file declares (see index/members.ts). */
  readonly types: TypeEntries;
  /** Per function, the member chains whose facts its analysis may read (see `pointerMemberChains`), for those with any. */
  readonly memberRefs: readonly (readonly [string, readonly string[]])[];
  /**
   * Functions whose analysis reads member facts whatever the project says of them: they touch user memory or hold
   * a source of untrusted data. The others read them only once the project seeds or registers them, or gives a
   * function they may call a returned source.
   */
  readonly memberUsers: readonly string[];
  /**
   * Where each summarized argument is and how it got its taint, indexed by `ArgSummary.explain`. Only the call
   * sites that end up explaining a seed read it, so a stored summary may keep it apart and decode it on first use.
   */
  readonly explanations: readonly ArgExplanation[];
}

/** The function's own position is not kept: an edit that only moves it leaves the summary as it was unless it has summarized calls. */
export interface FunctionSummary {
  readonly name: string;
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
  /**
   * When not `bounded`: the caller parameters whose part of the value is not range-checked in the caller, if only
   * parameters are unchecked; null when a source inside the caller is. A parameter the caller checked before it fed
   * the argument (`n = *Size >> 9; if (n > Free) return; Helper(First + n);`) adds nothing unchecked.
   */
  readonly loose: readonly { readonly index: number; readonly loads: number }[] | null;
  /** Other argument positions of the call written as the same access path (`Io(Irp, Len, Len)`): the same value. */
  readonly sameAs: readonly number[];
  /** Index of the argument's entry in `FileSummary.explanations`. */
  readonly explain: number;
}

/**
 * The value most arguments have in each field but `explain`, in the order `summarizeCall` writes the fields: a
 * stored summary may leave such fields out (see the CLI's summary pack), and is read back by filling them in.
 */
export const ARG_DEFAULTS: Omit<ArgSummary, 'explain'> = Object.freeze({ kinds: [], tags: [], params: [], length: false, sizeChecked: false, bounded: false, loose: [], sameAs: [] });

export interface ArgExplanation {
  readonly text: string;
  readonly range: Range;
  /** Steps inside the caller, source (or parameter) first. */
  readonly steps: readonly { readonly range: Range; readonly label: string }[];
  /**
   * The caller parameter the steps start from, when they do: an argument mixing several parameters (`Hint + Count`)
   * is explained by one chain, which the index keeps only if that parameter is one data reached.
   */
  readonly from?: number;
}

const NOT_PROJECT_FUNCTIONS = new Set(['sizeof', 'RTL_NUMBER_OF', 'ARRAYSIZE', 'FIELD_OFFSET', 'NT_SUCCESS', 'UNREFERENCED_PARAMETER', 'ASSERT', 'NT_ASSERT', 'KdPrint', 'KdPrintEx', 'DbgPrint', 'DbgPrintEx', 'TraceEvents', 'CONTAINING_RECORD', 'min', 'max']);

/** WDK/SDK routine families (prefix + capital letter), C runtime names and ALL-CAPS macros: not the project's code. */
const SYSTEM_PREFIX = /^(Rtl|Ex|Io|Ke|Mm|Ob|Ps|Zw|Nt|Wdf|Flt|Fwps|Fwpm|Ndis|Cm|Se|Po|Hal|Kd|Dbg|Wmi|Tdi|Wsk|Usbd|Hid|StorPort|ScsiPort|Acx|Ucx|Ufx|SerCx|SpbCx|Gpio|Wpp|Etw|Tlg|Interlocked|Nmr|NetAdapter|NetPacket|NetRx|NetTx|Vmb|Pci|Acpi|Sx|Kse|Wsk|ClassAcquire)[A-Z_0-9]/;
const C_RUNTIME = new Set(['memcpy', 'memmove', 'memset', 'memcmp', 'strlen', 'wcslen', 'strcmp', 'wcscmp', 'strncmp', 'wcsncmp', '_stricmp', '_wcsicmp', 'strcpy', 'wcscpy', 'sprintf', 'swprintf', 'printf', 'malloc', 'free', 'calloc', 'realloc', 'abs', 'labs', 'va_start', 'va_end', 'offsetof', 'static_cast', 'reinterpret_cast', 'const_cast', 'dynamic_cast']);

/** True for callees that cannot be functions of the linted project (so their arguments need no summary). */
export function isSystemCallee(name: string): boolean {
  return NOT_PROJECT_FUNCTIONS.has(name) || C_RUNTIME.has(name) || SYSTEM_PREFIX.test(name) || /^[A-Z0-9_]+$/.test(name);
}

function passesAddress(src: TextSource, call: AstNode): boolean {
  return callArguments(call).some((a) => {
    const s = stripCasts(a);
    return s.type === 'pointer_expression' && nodeText(src, s).startsWith('&');
  });
}

function hasVariableArgument(call: AstNode): boolean {
  return callArguments(call).some((a) => a.type !== 'number_literal' && a.type !== 'string_literal' && a.type !== 'null' && a.type !== 'true' && a.type !== 'false' && a.type !== 'concatenated_string');
}

/** Per argument, the other positions written as the same access path (casts and spacing included). */
function sameArguments(src: TextSource, args: readonly AstNode[]): number[][] {
  const keys = args.map((a) => (pathOf(src, a) === undefined ? undefined : nodeText(src, a).replace(/\s+/g, '')));
  return keys.map((key, k) => (key === undefined ? [] : keys.flatMap((other, j) => (j !== k && other === key ? [j] : []))));
}

function summarizeCall(analysis: FileAnalysis, flow: NonNullable<ReturnType<FileAnalysis['flow']>>, call: AstNode, callee: string, explanations: ArgExplanation[]): CallSummary | undefined {
  const src = analysis.file.source;
  let any = false;
  const list = callArguments(call);
  let same: number[][] | undefined;
  const args = list.map((a, k): ArgSummary | null => {
    const f = flow.rawTaint(a);
    if (!isTainted(f)) return null;
    any = true;
    const bounded = flow.rawBounded(a);
    const buffer = !!(f.kinds & 3) || f.params.some((c) => (c & 3) === 0);
    return {
      kinds: kindsToList(f.kinds),
      tags: [...f.tags],
      params: f.params.map((c) => ({ index: c >> 2, loads: c & 3 })),
      length: f.length,
      sizeChecked: f.sizeChecked || (buffer && flow.lengthChecked(a, true)) || (f.tags.includes('registry-data') && registrySizeTested(flow, a)),
      bounded,
      loose: bounded ? [] : (f.looseParams?.map((c) => ({ index: c >> 2, loads: c & 3 })) ?? null),
      sameAs: (same ??= sameArguments(src, list))[k],
      explain: explanations.push(explanationOf(src, flow.fn, a, stepsOf(f.chain))) - 1,
    };
  });
  return any ? { callee, range: src.rangeOf(call.start, call.end), args } : undefined;
}

function explanationOf(src: SourceText, fn: FunctionInfo, a: AstNode, steps: readonly Step[]): ArgExplanation {
  const from = steps.length ? fn.params.find((p) => p.node === steps[0].node)?.index : undefined;
  return {
    text: src.text.slice(a.start, a.end).replace(/\s+/g, ' ').slice(0, 80),
    range: src.rangeOf(a.start, a.end),
    steps: steps.map((s) => ({ range: s.range ?? src.rangeOf(s.node?.start ?? a.start, s.node?.end ?? a.end), label: s.label })),
    ...(from !== undefined ? { from } : {}),
  };
}

/** Keys under which a summary holds positions (call sites, registrations, explanation steps). */
const POSITION_KEYS = new Set(['range', 'line', 'character']);

/**
 * The summary's JSON without any position: equal for two versions of a file that differ only in where things are
 * (a line inserted above a call moves the call, not what it passes). A file whose summary keeps its shape
 * contributes the same facts to the project index; only explanations that point into the file can move.
 */
export function summaryShape(summary: FileSummary): string {
  return JSON.stringify(summary, (key, value: unknown) => (POSITION_KEYS.has(key) ? undefined : value));
}

function hasLocalSource(a: FileAnalysis, fn: FileAnalysis['functions'][number]): boolean {
  return !fn.damaged && a.hasTaint(fn);
}

/** The sources a function's `return` values carry, from its phase-1 flow (which knows no other file's facts). */
function functionReturns(a: FileAnalysis, fn: FunctionInfo): MacroSummary['returns'] {
  const values = returnValues(fn);
  const flow = values.length && hasLocalSource(a, fn) ? a.flow(fn) : undefined;
  if (!flow) return [];
  const names = namedParams(fn);
  const nodes = fn.params.map((p) => p.node);
  return sortedSources(
    values.map((v) => {
      const f = flow.reachable(v) ? flow.rawTaint(v) : undefined;
      const sized = !!f && (flow.lengthChecked(v, true) || (f.tags.includes('registry-data') && registrySizeTested(flow, v)));
      return returnedSource(a.file.source, f, names, nodes, sized);
    }),
  );
}

/**
 * The macro entries with the file's other functions whose values carry a source, each an entry of kind `function`
 * with nothing but `returns` (names the entries hold already are left as they are; two definitions of a name in the
 * file that differ give none, as a function that is not one `return` gives none: the project reads it as unknown).
 */
function withReturns(a: FileAnalysis, entries: MacroEntries): MacroEntries {
  const own = new Set(entries.map(([name]) => name));
  const merged = new Map<string, MacroSummary | null>();
  for (const fn of a.functions) {
    if (own.has(fn.name)) continue;
    const returns = fn.damaged ? [] : functionReturns(a, fn);
    const arity = namedParams(fn).length;
    mergeMacro(merged, fn.name, returns.length ? { name: fn.name, kind: 'function', arity, flows: [], same: false, bounded: false, max: null, access: null, readOnly: false, nullTests: [], returns } : null);
  }
  const added = [...merged].filter((e): e is [string, MacroSummary] => e[1] !== null);
  if (!added.length) return entries;
  return [...entries, ...added].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

/** Phase 1: the file's contribution to the project index. Deterministic and JSON-serializable. */
export function summarizeFile(parsed: ParsedFile, config: EngineConfig, analysis?: FileAnalysis): FileSummary {
  const a = analysis ?? new FileAnalysis(parsed, EMPTY_PROJECT, config);
  const src = parsed.source;
  const functions: FunctionSummary[] = [];
  const explanations: ArgExplanation[] = [];
  // A tool or service sharing the tree calls its own functions; matched by name, its calls would seed driver
  // functions that happen to have the same name, so user-mode files pass nothing on.
  const userMode = isUserModeFile(parsed);
  const refs = new Set<string>();
  const addressRefs = new Set<string>();
  const chains = new Map<string, Set<string>>();
  const memberUsers = new Set<string>();
  for (const fn of a.functions) {
    // A function holding user pointers reads the members its names are given; so may a message-notify callback
    // (six parameters) that another file registers.
    const model = userMemory(a, fn);
    const holds = model.accesses.length > 0 || model.aliases.holdsAny();
    const own = pointerMemberChains(parsed, fn, holds || fn.params.length === 6);
    if (own.length) {
      const set = chains.get(fn.name) ?? new Set<string>();
      for (const c of own) set.add(c);
      chains.set(fn.name, set);
      if (holds || a.hasTaint(fn)) memberUsers.add(fn.name);
    }
    const calls: CallSummary[] = [];
    const candidates: { call: AstNode; callee: string }[] = [];
    for (const call of descendants(fn.body, 'call_expression')) {
      const callee = calleeName(src, call);
      refs.add(callee);
      if (passesAddress(src, call)) addressRefs.add(callee);
      if (!callee || NOT_PROJECT_FUNCTIONS.has(callee)) continue;
      if (!userMode && !isSystemCallee(callee) && !isLoggingCallee(callee) && hasVariableArgument(call)) candidates.push({ call, callee });
    }
    // The data flow runs only where an argument may carry something to another project function.
    const flow = candidates.length && (fn.params.some((p) => p.name && !isObjectParam(p.typeText)) || hasLocalSource(a, fn)) ? a.flow(fn) : undefined;
    const mayCarry = !!flow && (fn.params.some((p) => p.name && !isObjectParam(p.typeText)) || flow.hasTaint);
    for (const { call, callee } of mayCarry ? candidates : []) {
      if (!flow!.reachable(call)) continue;
      const s = summarizeCall(a, flow!, call, callee, explanations);
      if (s) calls.push(s);
    }
    functions.push({ name: fn.name, calls });
  }
  return {
    version: SUMMARY_VERSION,
    path: parsed.path,
    functions,
    registrations: findRegistrations(parsed, a.functions, config),
    ioctls: [...ioctlDefinitions(parsed)].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)),
    ioctlRefs: ioctlRefs(parsed),
    macros: withReturns(a, fileMacros(parsed, a.functions, config).entries),
    macroRefs: [...refs].sort(),
    addressRefs: [...addressRefs].sort(),
    types: typeDeclarations(src, parsed.root),
    memberRefs: [...chains].map(([name, set]) => [name, [...set].sort()] as const).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)),
    memberUsers: [...memberUsers].sort(),
    explanations,
  };
}
