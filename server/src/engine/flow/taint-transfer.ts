/**
 * The taint transfer function: what a statement does to the facts held per access path. Assignments and
 * declarations store the value `evalExpr` gives (bounded when its untrusted leaves are range-checked here), source
 * APIs fill their out-parameters, copies carry a buffer's taint to their destination. Kept apart from the
 * expression evaluation in taint.ts, which answers for one expression in a state and changes nothing.
 */
import { AstNode, child, nodeText, TextSource } from '../ast';
import type { CfgNode } from './cfg';
import { codeGroups, codeGroupsTag } from '../ioctl';
import { CLEAN, Fact, isTainted, load, sourceFact, TaintState, union, withStep } from './facts';
import { GuardState, provesUpper } from './guards';
import { isPathBelow, leavesOf, opOf as opText, pathOf, stripCasts } from './paths';
import { placeMax, storedInto } from './narrow';
import { decrementKeeps } from './quotient';
import { declaratorName, declarations, effectNodes } from './solve';
import { BUF, CALL_SOURCES, COPY_CALLS, USER, VAL } from './sources';
import { callArguments, calleeName, evalExpr, TaintEnv } from './taint';

function isZero(src: TextSource, n: AstNode | undefined): boolean {
  if (!n) return true;
  const t = nodeText(src, stripCasts(n)).trim();
  return t === '0' || t === 'NULL' || t === '0UL' || t === '0U';
}

class MutState {
  readonly map: Map<string, Fact>;
  /** Bumped on every write, so snapshots are taken only after changes. */
  version = 0;
  constructor(s: TaintState) {
    this.map = new Map(s);
  }
  set(path: string, f: Fact | undefined): void {
    this.version++;
    for (const k of [...this.map.keys()]) if (k !== path && isPathBelow(k, path)) this.map.delete(k);
    if (f && isTainted(f)) this.map.set(path, f);
    else if (path.includes('.') || path.includes('[')) this.map.set(path, CLEAN);
    else this.map.delete(path);
  }
}

type OutMode = 'pointer' | 'fill' | 'value';

/** Applies an out-parameter write: `&x` or a pointer argument receiving `fact`. */
function writeOut(env: TaintEnv, m: MutState, arg: AstNode | undefined, fact: Fact, mode: OutMode, call: AstNode): void {
  if (!arg) return;
  const a = stripCasts(arg);
  const label = (p: string): string => `'${p}' filled by ${calleeName(env.src, call)}`;
  if (a.type === 'pointer_expression' && opText(env.src, a) === '&') {
    const inner = child(a, 'argument');
    const p = inner && pathOf(env.src, inner);
    if (!p) return;
    const v = mode === 'fill' ? load(fact) : fact;
    if (v) m.set(p, withStep(v, { node: call, label: label(p) }));
    return;
  }
  const p = pathOf(env.src, a);
  if (!p) return;
  if (mode === 'fill') m.set(p, withStep({ ...fact, kinds: fact.kinds ? BUF : 0, loaded: false }, { node: call, label: label(p) }));
  else m.set(`${p}[]`, withStep(fact, { node: call, label: label(`*${p}`) }));
}

function callEffects(env: TaintEnv, m: MutState, guards: GuardState, n: AstNode): void {
  const src = env.src;
  const name = calleeName(src, n);
  if (!name) return;
  const args = callArguments(n);
  const spec = CALL_SOURCES.get(name);
  if (spec?.outs) {
    const sized = spec.minSizeArg !== undefined && !isZero(src, args[spec.minSizeArg]);
    for (const o of spec.outs) {
      const codes = o.byCode ? codeGroupsTag(codeGroups(src, n)) : undefined;
      const f = sourceFact(o.source.kind, o.source.tag, o.source.label, n, { length: !!o.source.length, sizeChecked: sized && o.source.kind !== VAL, ...(codes ? { tags: [o.source.tag, codes].sort() } : {}) });
      const mode: OutMode = o.source.kind === VAL ? 'value' : spec.minSizeArg !== undefined || name === 'ZwMapViewOfSection' ? 'pointer' : 'fill';
      writeOut(env, m, args[o.arg], f, mode, n);
    }
    return;
  }
  const copy = COPY_CALLS.get(name);
  if (copy) {
    const s = evalExpr(env, m.map, guards, args[copy.src] ?? n);
    if (isTainted(s) && ((s.kinds & (BUF | USER)) || s.params.length)) writeOut(env, m, args[copy.dst], s, 'fill', n);
    return;
  }
  if (STRING_BUILDERS.test(name)) {
    // `RtlOemStringToCountedUnicodeString(&Out, ...)`: the kernel computes Out's length and buffer afresh.
    const a = args[0] && stripCasts(args[0]);
    const inner = a && a.type === 'pointer_expression' && opText(src, a) === '&' ? child(a, 'argument') : undefined;
    const p = inner && pathOf(src, inner);
    if (p && m.map.has(p)) m.set(p, undefined);
    for (const k of [...m.map.keys()]) if (p && isPathBelow(k, p)) m.set(k, undefined);
    return;
  }
  if (name === 'get_user' || name === '__get_user') {
    const p = args[0] && pathOf(src, args[0]);
    if (p) m.set(p, sourceFact(VAL, 'user-data', 'value read from user space by get_user', n, { loaded: true }));
    return;
  }
  for (const s of env.config.sources) {
    if (s.function !== name || typeof s.output !== 'number') continue;
    const f = sourceFact(s.kind === 'buffer' ? BUF : VAL, 'configured', `untrusted data from ${name} (configured source)`, n);
    writeOut(env, m, args[s.output], f, s.kind === 'buffer' ? 'pointer' : 'value', n);
  }
}

/**
 * The value of `expr` in `state`; bounded when it is computed only from range-checked untrusted leaves
 * (`n = hdr->Count` after a check). The leaves are read from the same evaluation rather than evaluated again.
 */
function checkedValue(env: TaintEnv, state: TaintState, guards: GuardState, expr: AstNode): Fact | undefined {
  const memo = new Map<AstNode, Fact | undefined>();
  const v = evalExpr(env, state, guards, expr, memo);
  if (!isTainted(v) || v.bounded) return v;
  const leaves = leavesOf(env.src, expr);
  if (!leaves.length) return v;
  for (const l of leaves) {
    if (!isTainted(evalExpr(env, state, guards, l.node, memo))) continue;
    if (!(guards.facts.get(l.path) ?? []).some(provesUpper)) return v;
  }
  return { ...v, bounded: true, arith: undefined };
}

/** Rtl conversions that rebuild their first (counted string) argument from the others. */
const STRING_BUILDERS = /^Rtl(Oem|Ansi|Unicode|Upcase\w*|Downcase\w*)StringTo\w*String$/;

function hasCallEffects(env: TaintEnv, name: string): boolean {
  return !!name && (CALL_SOURCES.has(name) || COPY_CALLS.has(name) || STRING_BUILDERS.test(name) || name === 'get_user' || name === '__get_user' || env.config.sources.some((s) => s.function === name));
}

/**
 * Whether the state says anything about `p` or a place reached through it: a new value of a pointer (`p = p->Next`,
 * a block-scoped redeclaration of the same name) must clear what was stored through the old one (`p->Len = n`).
 */
function holdsAtOrBelow(state: TaintState, p: string): boolean {
  if (state.has(p)) return true;
  for (const k of state.keys()) if (isPathBelow(k, p)) return true;
  return false;
}

function assignLabel(p: string): string {
  return `assigned to '${p}'`;
}

/**
 * The transfer function: applies a node's assignments, declarations and source calls. `record` receives a
 * snapshot after each effect that changed the state, with the effect's end offset.
 */
export function taintTransfer(env: TaintEnv, node: CfgNode, input: TaintState, guards: GuardState, record?: (end: number, state: TaintState) => void): TaintState {
  const nodes = effectNodes(env.cfg, node);
  if (!nodes.length) return input;
  let m: MutState | undefined;
  const mut = (): MutState => (m ??= new MutState(input));
  const cur = (): TaintState => m?.map ?? input;
  let recorded = -1;
  const src = env.src;
  for (const n of nodes) {
    switch (n.type) {
      case 'assignment_expression': {
        const left = child(n, 'left');
        const right = child(n, 'right');
        const p = left && pathOf(src, left);
        if (!p || !right) break;
        const op = opText(src, n);
        const v = storedInto(src, checkedValue(env, cur(), guards, right), op === '=' ? right : undefined, placeMax(env.types, p));
        // `x -= y` keeps what is known of x: a range-checked x stays checked. A buffer pointer moved by a value
        // (`cursor += len`) is still the same buffer pointer, as for `p + n`.
        const old = op === '=' ? undefined : checkedValue(env, cur(), guards, left!);
        const movesPointer = (op === '+=' || op === '-=') && isTainted(old) && !!(old.kinds & (BUF | USER)) && !(isTainted(v) && v.kinds & (BUF | USER));
        const joined = op === '=' ? v : movesPointer ? old : union(old, v);
        // A compound assignment keeps a quotient only when it cannot make it larger (`n -= i + 1` with i < n).
        const shrinks = op === '/=' || (op === '-=' && decrementKeeps(src, guards, env.types, p, right));
        // It keeps a maximum only when it cannot make the value larger (`n &= 7`, `n >>= 2`).
        const keepsMax = op === '&=' || op === '>>=' || op === '/=' || op === '%=';
        const next = op === '=' || !isTainted(joined) ? joined : { ...joined, divisor: shrinks ? old?.divisor : undefined, max: keepsMax ? joined.max : undefined };
        if (!isTainted(next) && !p.includes('.') && !p.includes('[') && !holdsAtOrBelow(cur(), p)) break;
        mut().set(p, isTainted(next) ? withStep(next, { node: n, label: assignLabel(nodeText(src, left!)) }) : undefined);
        break;
      }
      case 'declaration':
        for (const d of declarations(n)) {
          const name = declaratorName(src, d.declarator);
          if (!name) continue;
          const v = d.value ? storedInto(src, checkedValue(env, cur(), guards, d.value), d.value, placeMax(env.types, name)) : undefined;
          if (!isTainted(v) && !holdsAtOrBelow(cur(), name)) continue;
          mut().set(name, isTainted(v) ? withStep(v, { node: d.declarator, label: assignLabel(name) }) : undefined);
        }
        break;
      case 'update_expression': {
        // `n--` keeps a quotient only when n is known non-zero; `n++` may take it past the dividend, and either may
        // take it past its maximum (a narrow local's type bounds it again when it is read).
        const arg = child(n, 'argument');
        const p = arg && pathOf(src, arg);
        const f = p === undefined ? undefined : cur().get(p);
        if (!p || !f || (f.divisor === undefined && f.max === undefined)) break;
        const keeps = f.divisor !== undefined && opText(src, n) === '--' && decrementKeeps(src, guards, env.types, p, undefined);
        if (keeps && f.max === undefined) break;
        mut().set(p, { ...f, divisor: keeps ? f.divisor : undefined, max: undefined });
        break;
      }
      case 'for_range_loop': {
        const name = declaratorName(src, child(n, 'declarator'));
        const right = child(n, 'right');
        if (!name || !right) break;
        const v = load(evalExpr(env, cur(), guards, right));
        if (isTainted(v) || cur().has(name)) mut().set(name, v && withStep(v, { node: n, label: assignLabel(name) }));
        break;
      }
      case 'call_expression':
        if (hasCallEffects(env, calleeName(src, n))) callEffects(env, mut(), guards, n);
        break;
      default:
        break;
    }
    if (record && m && m.version !== recorded) {
      recorded = m.version;
      record(n.end, new Map(m.map));
    }
  }
  return m ? m.map : input;
}
