/**
 * What a project's function-like macro, or a project function whose body is one `return <expr>;`, does with its
 * arguments, as a JSON-safe summary computed where it is defined (`macro-table.ts`) and merged over the project by
 * name (`index/project.ts`). A call of it then carries its arguments' taint into its value as the expanded text
 * would: `switch (BPF_CLASS(p->code))` with `BPF_CLASS` defined in a header, `Table[GetIndex(Buffer)]`.
 */
import { AstNode, child, TextSource } from '../ast';
import { Fact, isTainted, load, TaintState, union, withStep } from './facts';
import { BUF, USER } from './sources';
import { opOf, pathOf, stripCasts } from './paths';
import { GuardState, provesUpper } from './guards';
import { ReturnedSource, returnedValue } from './returned-sources';

export interface MacroSummary {
  readonly name: string;
  /** A `#define` or a function definition; a name defined both ways is unknown. */
  readonly kind: 'macro' | 'function';
  readonly arity: number;
  /** Parameters the value is computed from, as `index * 4 + loads` (pointer reads between parameter and value). */
  readonly flows: readonly number[];
  /** The value is one parameter unchanged (casts and parentheses aside). */
  readonly same: boolean;
  /** The value is range-bounded whatever the arguments are (`(code) & 0x07`), with this maximum when known. */
  readonly bounded: boolean;
  readonly max: number | null;
  /** The value is an access path below one parameter (`(r)->Index`): the caller's guards on that path hold for it. */
  readonly access: { readonly param: number; readonly suffix: string } | null;
  /** One expression that writes nothing through its arguments (see pure-macros.ts). */
  readonly readOnly: boolean;
  /** Parameters the body tests against NULL, leaving the caller (goto, return, `__leave`) when they are. */
  readonly nullTests: readonly number[];
  /**
   * The untrusted sources the value is on some path (returned-sources.ts): for a function of any body, what its
   * `return` statements give.
   */
  readonly returns: readonly ReturnedSource[];
}

/** A macro or single-return function known by name, undefined when unknown or defined differently twice. */
export type MacroLookup = (name: string) => MacroSummary | undefined;

/**
 * What the analysis reads of a project's answer: nothing for a name defined differently (null) or for a summary
 * that does nothing the analysis uses (no value from its parameters, writes, no NULL test), as for an unknown name.
 * Dependency keys hash only this, so a file calling a header's logging macros does not depend on the header.
 */
export function effective(m: MacroSummary | null | undefined): MacroSummary | undefined {
  return m && (m.flows.length || m.readOnly || m.nullTests.length || m.returns.length) ? m : undefined;
}

/**
 * What a file reads of a name's summary: whether it writes nothing matters only to calls passing an address (`&x`),
 * so a file that never does so does not depend on it (sizeof-like macros are read-only and called everywhere).
 */
export function readView(m: MacroSummary | null | undefined, passesAddress: boolean): MacroSummary | undefined {
  const e = effective(m);
  return e && e.readOnly && !passesAddress ? effective({ ...e, readOnly: false }) : e;
}

/** The path the value of a call reads: the caller's argument path followed by the summary's suffix. */
export function accessPath(src: TextSource, m: MacroSummary, args: readonly AstNode[]): string | undefined {
  if (!m.access) return undefined;
  const a = args[m.access.param];
  if (!a) return undefined;
  const s = stripCasts(a);
  // `(&x)->f` is `x.f`, `*(&x)` is `x`.
  if (s.type === 'pointer_expression' && opOf(src, s) === '&') {
    const inner = child(s, 'argument');
    const p = inner && pathOf(src, inner);
    const suffix = m.access.suffix.startsWith('[]') ? m.access.suffix.slice(2) : m.access.suffix;
    return p === undefined ? undefined : p + suffix;
  }
  const p = pathOf(src, s);
  return p === undefined ? undefined : p + m.access.suffix;
}

/**
 * The value of a call of `m`: each argument the value is computed from, read through as often as the body reads
 * it; range-bounded when the body bounds it, when every argument it keeps unread is bounded or range-checked here,
 * or when the caller checked the path the value reads.
 */
export function macroValue(src: TextSource, m: MacroSummary, call: AstNode, args: readonly AstNode[], state: TaintState, guards: GuardState, get: (n: AstNode | undefined) => Fact | undefined, guarded: (arg: AstNode) => boolean): Fact | undefined {
  const returned = m.returns.length ? returnedValue(src, m.name, m.returns, call, args) : undefined;
  // What `effective` drops is read as unknown here too: dependency keys hash only that.
  if (!m.flows.length) return returned;
  const path = accessPath(src, m, args);
  let u: Fact | undefined;
  // A path the caller wrote to holds what was written, as the expanded text would read it.
  if (path !== undefined && state.has(path)) u = state.get(path);
  else {
    const parts: Fact[] = [];
    for (const code of m.flows) {
      const arg = args[code >> 2];
      let f = get(arg);
      if (!isTainted(f)) continue;
      if ((code & 3) === 0 && !f.bounded && arg && guarded(arg)) f = { ...f, bounded: true, arith: undefined };
      for (let k = code & 3; k > 0 && f; k--) f = load(f);
      if (isTainted(f)) parts.push(f);
    }
    // A pointer moved by values (`Add2Ptr(Buffer, Offset)`) is still that pointer, as `p + n` is.
    const pointers = parts.filter((f) => f.kinds & (BUF | USER));
    for (const f of pointers.length ? pointers : parts) u = union(u, f);
  }
  if (!isTainted(u)) return returned;
  if (m.same) return union(u, returned);
  const checked = m.bounded || (path !== undefined && (guards.facts.get(path) ?? []).some(provesUpper));
  const v: Fact = { ...u, divisor: undefined, length: false, max: m.max ?? undefined, ...(checked ? { bounded: true, arith: undefined, looseParams: undefined } : {}) };
  return union(withStep(v, { node: call, label: `computed by ${m.name}()` }), returned);
}
