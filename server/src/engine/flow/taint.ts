/**
 * Taint: the may analysis of untrusted data over the CFG. Expression taint is computed structurally (reads
 * through untrusted pointers are untrusted values, pointer arithmetic keeps a buffer a buffer, `& mask`, `% n`
 * and `min` bound a value); statements assign facts to access paths and source APIs fill their out-parameters
 * (the transfer function, `taint-transfer.ts`).
 */
import { AstNode, child, namedChildren, nodeText, TextSource } from '../ast';
import type { EngineConfig } from '../config';
import type { Cfg } from './cfg';
import { codeGroups, codeGroupsTag } from '../ioctl';
import { addressOf, CLEAN, Fact, isTainted, load, sourceFact, TaintState, union } from './facts';
import { GuardState, provesCompared, provesUpper } from './guards';
import { leavesOf, literalValue, opOf as opText, parenCastOperand, pathOf, stripCasts, VALUE_PRESERVING_CALLS } from './paths';

export { literalValue } from './paths';
import { divisorKey, quotientProduct } from './quotient';
import { pushNamedChildren } from './solve';
import { BUF, CALL_SOURCES, isUserReadAccessor, MAX_CALLS, MIN_CALLS, pathSource, POINTER_CALLS, trustedField, USER, VAL } from './sources';
import { castMax, NameType, narrowTypeMax } from './types';
import { narrowResult, storedInto, SWAP16_CALLS, SWAP_CALLS } from './narrow';
import { MacroLookup, macroValue } from './macro-values';

/** What evaluating an expression needs. */
export interface ExprEnv {
  readonly src: TextSource;
  readonly config: EngineConfig;
  /** Narrow declared types of the function's names (value ranges). */
  readonly types: ReadonlyMap<string, NameType>;
  /** The project's macros and single-return functions (macro-values.ts). */
  readonly macros: MacroLookup;
}

export interface TaintEnv extends ExprEnv {
  readonly cfg: Cfg;
}


/** The fact without a divisor: the value may have grown past the quotient (`-q`, `~q`, `q + 1`, a byte swap). */
const noDivisor = (f: Fact | undefined): Fact | undefined => (f?.divisor === undefined ? f : { ...f, divisor: undefined });

/** The fact of a value that may have grown past anything known of it (`-x`, `~x`, `x += y`): no divisor, no maximum. */
const grown = (f: Fact | undefined): Fact | undefined => (f?.divisor === undefined && f?.max === undefined ? f : { ...f, divisor: undefined, max: undefined });

const withMax = (f: Fact | undefined, max: number | undefined): Fact | undefined =>
  !isTainted(f) || max === undefined || (f.max !== undefined && f.max <= max) ? f : { ...f, max };

const SKIP = new Set(['sizeof_expression', 'alignof_expression', 'offsetof_expression', 'lambda_expression', 'string_literal', 'concatenated_string', 'number_literal', 'char_literal', 'true', 'false', 'null', 'type_descriptor', 'field_identifier', 'comment', 'initializer_list', 'compound_literal_expression', 'new_expression', 'template_argument_list']);
const COMPARE_OR_LOGIC = new Set(['<', '<=', '>', '>=', '==', '!=', '&&', '||', 'and', 'or']);


export function calleeName(src: TextSource, call: AstNode): string {
  const fn = child(call, 'function');
  return fn ? lastName(src, stripCasts(fn)) : '';
}

/** The name a callee expression ends in, without scope or template arguments: `ns::Foo<T>::bar<U>` gives `bar`. */
function lastName(src: TextSource, f: AstNode): string {
  switch (f.type) {
    case 'identifier':
    case 'field_identifier':
    case 'type_identifier':
    case 'operator_name':
    case 'destructor_name':
      return nodeText(src, f);
    case 'field_expression': {
      const field = child(f, 'field');
      return field ? lastName(src, field) : '';
    }
    case 'qualified_identifier':
    case 'template_function':
    case 'template_method': {
      const name = child(f, 'name');
      return name ? lastName(src, name) : '';
    }
    default:
      return '';
  }
}

export function callArguments(call: AstNode): AstNode[] {
  const a = child(call, 'arguments');
  return a ? namedChildren(a).filter((c) => c.type !== 'comment') : [];
}

function isConstant(src: TextSource, n: AstNode): boolean {
  const s = stripCasts(n);
  if (s.type === 'number_literal' || s.type === 'sizeof_expression' || s.type === 'char_literal') return true;
  if (s.type === 'identifier') return /^[A-Z_][A-Z0-9_]*$/.test(nodeText(src, s));
  if (s.type === 'binary_expression' || s.type === 'parenthesized_expression' || s.type === 'unary_expression') {
    return namedChildren(s).every((c) => isConstant(src, c));
  }
  return false;
}

/** Is every path leaf of `operand` bounded from above (or, for `compared`, compared at all) at this point? */
function leavesGuarded(src: TextSource, guards: GuardState, operand: AstNode, compared: boolean): boolean {
  const leaves = leavesOf(src, operand);
  if (!leaves.length) return false;
  return leaves.every((l) => (guards.facts.get(l.path) ?? []).some((g) => (compared ? provesCompared(g) : provesUpper(g))));
}

/** Is `operand`, a single access path, tested non-zero (or greater than zero) at this point? */
function knownNonZero(src: TextSource, guards: GuardState, operand: AstNode): boolean {
  const p = pathOf(src, stripCasts(operand));
  return p !== undefined && (guards.facts.get(p) ?? []).some((g) => g.rel === 'nonzero');
}

/**
 * Evaluates the taint of an expression in a state. Iterative: deep expressions must not exhaust the stack.
 * `memo` caches results for states that no longer change (queries), so nested queries stay linear.
 */
export function evalExpr(env: ExprEnv, state: TaintState, guards: GuardState, root: AstNode, memo?: Map<AstNode, Fact | undefined>): Fact | undefined {
  if (memo?.has(root)) return memo.get(root);
  const results = memo ?? new Map<AstNode, Fact | undefined>();
  const get = (c: AstNode | undefined): Fact | undefined => (c ? results.get(c) : undefined);
  // Two parallel stacks rather than one of `{ n, done }` pairs, and one `get` per call: this runs for every
  // expression node of every transfer and query.
  const nodes: AstNode[] = [root];
  const done: boolean[] = [false];
  while (nodes.length) {
    const n = nodes.pop()!;
    if (!done.pop()) {
      if (SKIP.has(n.type) || results.has(n)) continue;
      nodes.push(n);
      done.push(true);
      pushNamedChildren(n, nodes, done);
      continue;
    }
    results.set(n, compute(env, state, guards, n, get));
  }
  return results.get(root);
}

function lookup(state: TaintState, path: string): Fact | undefined {
  const f = state.get(path);
  return f === CLEAN ? undefined : f;
}

function compute(env: ExprEnv, state: TaintState, guards: GuardState, n: AstNode, get: (c: AstNode | undefined) => Fact | undefined): Fact | undefined {
  const src = env.src;
  switch (n.type) {
    case 'identifier':
      return withMax(lookup(state, nodeText(src, n)), env.types.get(nodeText(src, n))?.max);
    case 'qualified_identifier':
    case 'this':
      return lookup(state, pathOf(src, n) ?? '');
    case 'parenthesized_expression': {
      const inner = namedChildren(n).filter((c) => c.type !== 'comment');
      return get(inner[inner.length - 1]);
    }
    case 'cast_expression': {
      const max = castMax(src, child(n, 'type'));
      return withMax(storedInto(src, get(child(n, 'value')), child(n, 'value'), max), max);
    }
    case 'field_expression':
    case 'subscript_expression':
    case 'pointer_expression': {
      const op = n.type === 'pointer_expression' ? opText(src, n) : n.type === 'field_expression' ? opText(src, n) : '[';
      const arg = child(n, 'argument');
      if (n.type === 'pointer_expression' && op === '&') return addressOf(get(arg));
      const p = pathOf(src, n);
      if (p !== undefined) {
        if (state.has(p)) return lookup(state, p);
        const s = pathSource(p);
        if (s) return sourceFact(s.kind, s.tag, s.label, n, { length: !!s.length });
      }
      const base = get(arg);
      if (n.type === 'field_expression' && base && trustedField(src, n, base)) return undefined;
      // `s.f` of a struct value that is itself untrusted content is untrusted too.
      if (op === '.' && base && !(base.kinds & (BUF | USER)) && !base.params.some((c) => (c & 3) === 0)) return base.kinds || base.params.length ? { ...base, bounded: false, length: false, max: undefined, divisor: undefined } : undefined;
      const root = arg && stripCasts(arg).type === 'identifier' ? nodeText(src, stripCasts(arg)) : undefined;
      return withMax(load(base), n.type !== 'field_expression' && root ? env.types.get(root)?.elementMax : undefined);
    }
    case 'binary_expression':
      return arithmetic(env, guards, n, get);
    case 'unary_expression': {
      const op = opText(src, n);
      if (op === '!' || op === 'not') return undefined;
      const f = get(child(n, 'argument'));
      return op === '+' ? f : grown(f);
    }
    case 'update_expression':
      return noDivisor(get(child(n, 'argument')));
    case 'conditional_expression': {
      // `n > MAX ? MAX : n` clamps: a branch the condition bounds from above is bounded.
      const cond = child(n, 'condition');
      const arms = [child(n, 'consequence'), child(n, 'alternative')].map((arm, i) => {
        const f = get(arm);
        return f && arm && ((cond && branchBounded(src, cond, i === 0, arm)) || (isTainted(f) && !f.bounded && leavesGuarded(src, guards, arm, false))) ? { ...f, bounded: true, arith: undefined } : f;
      });
      return union(arms[0], arms[1]);
    }
    case 'assignment_expression':
      return opText(src, n) === '=' ? get(child(n, 'right')) : grown(union(get(child(n, 'left')), get(child(n, 'right'))));
    case 'comma_expression':
      return get(child(n, 'right'));
    case 'call_expression': {
      const cast = parenCastOperand(n, src);
      if (!cast) return callValue(env, state, guards, n, get);
      // `(USHORT)(x)`, parsed as a call: the same as a cast.
      const max = narrowTypeMax(nodeText(src, child(n, 'function') ?? n).replace(/[()\s]/g, ''));
      return withMax(storedInto(src, get(cast), cast, max), max);
    }
    default:
      return undefined;
  }
}

const INVERTED: Record<string, string> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<' };

/** Does `cond` evaluating to `polarity` bound `arm` from above (`x < n ? x : n`, `x > n ? n : x`)? */
function branchBounded(src: TextSource, cond: AstNode, polarity: boolean, arm: AstNode): boolean {
  let c = stripCasts(cond);
  let pol = polarity;
  while (c.type === 'unary_expression' && opText(src, c) === '!' && child(c, 'argument')) {
    c = stripCasts(child(c, 'argument')!);
    pol = !pol;
  }
  if (c.type !== 'binary_expression') return false;
  let op = opText(src, c);
  if (!(op in INVERTED)) return false;
  if (!pol) op = INVERTED[op];
  const armPath = pathOf(src, arm);
  const l = child(c, 'left');
  const r = child(c, 'right');
  if (!armPath || !l || !r) return false;
  return (pathOf(src, l) === armPath && (op === '<' || op === '<=')) || (pathOf(src, r) === armPath && (op === '>' || op === '>='));
}

function arithmetic(env: ExprEnv, guards: GuardState, n: AstNode, get: (c: AstNode | undefined) => Fact | undefined): Fact | undefined {
  const src = env.src;
  const op = opText(src, n);
  if (COMPARE_OR_LOGIC.has(op)) return undefined;
  const left = child(n, 'left');
  const right = child(n, 'right');
  const l = get(left);
  const r = get(right);
  if (!isTainted(l) && !isTainted(r)) return undefined;
  const ptrL = isTainted(l) && !!(l.kinds & (BUF | USER));
  const ptrR = isTainted(r) && !!(r.kinds & (BUF | USER));
  if ((op === '+' || op === '-') && ptrL !== ptrR) return ptrL ? l : r;
  const u = union(l, r)!;
  const lv = literalValue(src, left);
  const rv = literalValue(src, right);
  const okOperand = (f: Fact | undefined, node: AstNode | undefined, compared: boolean): boolean =>
    !isTainted(f) || f.bounded || (!!node && leavesGuarded(src, guards, node, compared));
  const rOk = okOperand(r, right, false);
  // `x % n` is below n, so it is as bounded as its divisor, whatever x is.
  if ((op === '&' && ((left && isConstant(src, left)) || (right && isConstant(src, right)))) || (op === '%' && rOk)) {
    const max = op === '&' ? (rv ?? lv) : rv !== undefined && rv > 0 ? rv - 1 : undefined;
    return { ...u, bounded: true, arith: undefined, max };
  }
  // A divisor that is unchecked only through parameters (`c->Count` of a parameter `c`) leaves the remainder
  // bounded for callers that pass those parameters nothing untrusted; the dividend does not matter.
  const lOk = op === '%' || okOperand(l, left, false);
  let arith = l?.arith ?? r?.arith;
  // Known operand maxima whose sum or product fits in 32 bits: it cannot wrap (narrow.ts).
  const narrowed = narrowResult(src, env.types, op, l, left, r, right);
  if (!arith) {
    if (op === '-') {
      // Underflow needs the minuend compared (len >= HDR) or a subtrahend that is bounded; `n - 1` needs only n
      // known non-zero (`if (n == 0) return;`, `while (n > 0 && ...)`).
      const minuendOk = !isTainted(l) || okOperand(l, left, true) || (rv === 1 && !!left && knownNonZero(src, guards, left));
      if (!minuendOk || !rOk) arith = n;
    } else if ((op === '+' || op === '*' || op === '<<') && (!lOk || !rOk) && !quotientProduct(src, op, l, left, r, right) && narrowed === undefined) arith = n;
  }
  const lmax = isTainted(l) ? l.max : lv;
  const max = (op === '>>' || op === '/') && lmax !== undefined && rv !== undefined && !isTainted(r) ? (op === '>>' ? lmax >>> Math.min(rv, 31) : rv > 0 ? Math.floor(lmax / rv) : undefined) : narrowed;
  // Operands that are range-checked here add nothing unchecked, whatever their facts say.
  const loose = (f: Fact | undefined, ok: boolean): readonly number[] | undefined => (ok || !isTainted(f) ? [] : f.bounded ? [] : f.looseParams);
  const ll = loose(l, lOk);
  const rl = loose(r, rOk);
  const looseParams = lOk && rOk ? undefined : ll && rl ? [...new Set([...ll, ...rl])].sort((x, y) => x - y) : undefined;
  const divisor = op === '/' && !isTainted(r) ? divisorKey(src, right) : undefined;
  return { ...u, bounded: lOk && rOk, looseParams, arith, length: u.length && (op === '+' || op === '-' || op === '/'), max, divisor };
}

function callValue(env: ExprEnv, state: TaintState, guards: GuardState, n: AstNode, get: (c: AstNode | undefined) => Fact | undefined): Fact | undefined {
  const src = env.src;
  const name = calleeName(src, n);
  const args = callArguments(n);
  if (!name) return undefined;
  if (POINTER_CALLS.has(name)) return get(args[0]);
  if (MIN_CALLS.has(name) || MAX_CALLS.has(name)) {
    const vals = name.endsWith('_t') ? args.slice(1) : args;
    const facts = vals.map((a) => get(a));
    const tainted = facts.filter(isTainted);
    if (!tainted.length) return undefined;
    let u: Fact | undefined;
    for (const f of tainted) u = union(u, f);
    // An argument range-checked here counts as bounded (`if (e > b && e > c) e - max(b, c)`): a max needs every
    // argument bounded, a min any one.
    const ok = (f: Fact | undefined, i: number): boolean => !isTainted(f) || f.bounded || leavesGuarded(src, guards, vals[i], false);
    const bounded = name.startsWith('clamp') || (MIN_CALLS.has(name) ? facts.some(ok) : facts.every(ok));
    return { ...u!, bounded, arith: bounded ? undefined : u!.arith, divisor: MIN_CALLS.has(name) ? u!.divisor : undefined };
  }
  if (VALUE_PRESERVING_CALLS.has(name)) {
    let u: Fact | undefined;
    for (const a of args) u = union(u, get(a));
    // A byte swap moves the low bytes up: only a 16-bit swap's result has a known maximum.
    const swapped = SWAP_CALLS.has(name) ? grown(u) : noDivisor(u);
    return withMax(swapped, SWAP16_CALLS.has(name) ? 0xffff : undefined);
  }
  const spec = CALL_SOURCES.get(name);
  if (spec?.ret) {
    if (spec.ret.when === 'mdl') {
      const mdl = args[0];
      const p = mdl && pathOf(src, mdl);
      const irp = !!p && p.endsWith('.MdlAddress');
      const f = irp ? undefined : get(mdl);
      if (!irp && !isTainted(f)) return undefined;
      // The request's own MDL, or the output MDL of a KMDF request: for a direct-I/O code, the caller's locked pages.
      const codes = irp || f?.tags.includes('request-output-mdl') ? codeGroupsTag(codeGroups(src, n)) : undefined;
      if (codes) return sourceFact(spec.ret.kind, spec.ret.tag, spec.ret.label, n, { tags: [spec.ret.tag, codes].sort() });
    }
    return sourceFact(spec.ret.kind, spec.ret.tag, spec.ret.label, n);
  }
  for (const s of env.config.sources) {
    if (s.function === name && s.output === 'return') return sourceFact(s.kind === 'buffer' ? BUF : VAL, 'configured', `untrusted data returned by ${name} (configured source)`, n);
  }
  if (isUserReadAccessor(name)) return sourceFact(VAL, 'user-data', `value read from user memory by ${name}`, n, { loaded: true });
  const m = env.macros(name);
  return m && m.arity === args.length ? macroValue(src, m, n, args, state, guards, get, (a) => leavesGuarded(src, guards, a, false)) : undefined;
}
