/**
 * Reads of a local variable that certainly has no value yet: the question behind KS1207.
 *
 * A local declared without an initializer is certainly unwritten at a point when no path from its declaration to
 * that point writes it. From such a point (the declaration itself, or a branch taken before any write, such as
 * the `else` of `if (ok) { v = ...; }`) every path is followed; the variable is reported when all of them read it
 * before anything writes it, leaves the function, or makes the outcome uncertain (see must-reach.ts). What remains
 * can only be wrong if the branch itself never runs.
 *
 * Writes are counted generously: any `&v` handed to a call, `v` passed to a macro in capitals (or, in C++, to any
 * call, which may bind a reference), and an assignment to any part of it (`v.Field = x` counts as writing `v`).
 * Variables whose address is kept (`p = &v`) or that are arrays are not followed, nor, in C++, objects of class
 * type, whose constructors may set them.
 */
import { AstNode, child, descendants, nodeText, SubtreeMemo, TextSource, walk } from '../ast';
import type { FunctionInfo } from '../index/functions';
import type { CfgNode } from './cfg';
import type { FunctionFlow } from './function-flow';
import { ASSERTION, contradictsDominating, handlerEntries, insideAssertion, mayLeave, mustReach } from './must-reach';
import { addressOperand, argumentListOf, insideSizeContext, opOf, stripCasts } from './paths';
import { declaratorName, declarations, isStaticOrExtern } from './solve';
import { declaratorShape } from './types';
import { callArguments, calleeName } from './taint';

export type UninitOrigin = 'declared' | 'branch' | 'unmatched';

export interface UninitializedRead {
  readonly name: string;
  readonly declarator: AstNode;
  /** The branch condition (with `polarity`) before which nothing wrote the variable, for `branch` origins. */
  readonly branch?: { readonly cond: AstNode; readonly polarity: boolean };
  readonly kind: UninitOrigin;
  readonly read: AstNode;
}

type Event = 'read' | 'write' | 'leave' | 'redeclare' | undefined;

/**
 * What the part of `root` that CFG node `owner` evaluates after offset `after` does to each of `names`, in
 * evaluation order (`eventsIn` for locals; uninitialized-pool.ts for the memory an allocation returned).
 */
export type EventsIn = (flow: FunctionFlow, root: AstNode, after: number, owner: number, names: ReadonlySet<string>) => NameEvent[];

/** A local the rule follows: its declaration and declarator, and whether it is declared a pointer (`T *v`). */
export interface UninitCandidate {
  readonly decl: AstNode;
  readonly declarator: AstNode;
  readonly pointer: boolean;
}

/** Calls that only print what they are given (`&v` there is an address to show, not one to fill). */
export const INERT_CALLS = /^(v?DbgPrint(Ex)?|KdPrint(Ex)?|printf|wprintf|DoTraceMessage|TraceEvents|TraceLoggingWrite)$/;
const PRIMITIVE = new Set(['primitive_type', 'sized_type_specifier']);

/** `v`, `v.f`, `v[i]`, `(v)`: the name a store or address targets. */
function rootName(src: TextSource, n: AstNode | undefined): string | undefined {
  let x = n && stripCasts(n, src);
  while (x && (x.type === 'field_expression' || x.type === 'subscript_expression') && !x.children.some((c) => c.type === '->')) x = child(x, 'argument') && stripCasts(child(x, 'argument')!, src);
  return x?.type === 'identifier' ? nodeText(src, x) : undefined;
}

/** An event for one name, or for every name (`*`: a statement that may leave, an assertion). */
export interface NameEvent {
  readonly name: string;
  readonly event: Exclude<Event, undefined>;
  readonly node?: AstNode;
}

/**
 * What the part of `root` that CFG node `owner` evaluates after offset `after` does to each of `names`, in
 * evaluation order: one walk for all the function's candidates.
 */
function eventsIn(flow: FunctionFlow, root: AstNode, after: number, owner: number, names: ReadonlySet<string>): NameEvent[] {
  const src = flow.file.source;
  const out: NameEvent[] = [];
  const visit = (n: AstNode): void => {
    if (outsideOrDeclaration(flow, root, after, owner, names, n, visit, out)) return;
    if (n.type === 'assignment_expression') {
      const right = child(n, 'right');
      const left = child(n, 'left');
      if (right) visit(right);
      const target = left && rootName(src, left);
      if (target !== undefined && names.has(target)) out.push({ name: target, event: opOf(src, n) === '=' ? 'write' : 'read', node: left });
      else if (left) visit(left);
      return;
    }
    const address = rootName(src, addressOperand(n));
    if (address !== undefined && names.has(address)) {
      // `DbgPrint("%p", &v)` prints the address; any other call may fill the variable.
      if (!INERT_CALLS.test(enclosingCallee(src, n))) out.push({ name: address, event: 'write' });
      return;
    }
    if (n.type === 'call_expression' && n.start >= after) {
      const callee = calleeName(src, n) ?? '';
      // An assertion states what the author believes holds here, often the very branch that wrote the variable.
      if (mayLeave(n, callee) || ASSERTION.test(callee)) out.push({ name: '*', event: 'leave' });
      if (!INERT_CALLS.test(callee)) {
        for (const a of callArguments(n)) {
          // By name, the callee may be a macro that assigns it (`FillOctetString(os, buf, len)`, `va_start(args,
          // f)`): a macro cannot be told from a function whose header is not in the project. `RtlCopyMemory(v.Name,
          // ...)`: a member may be an array, passed as the address to fill.
          const s = stripCasts(a, src);
          const target = s.type === 'identifier' || s.type === 'field_expression' || s.type === 'subscript_expression' ? rootName(src, s) : undefined;
          if (target !== undefined && names.has(target)) out.push({ name: target, event: 'write' });
        }
      }
    }
    if (n.type === 'identifier' && n.start >= after) {
      const name = nodeText(src, n);
      // `v;` alone (written to quiet an unused-variable warning) reads nothing.
      if (names.has(name) && !insideSizeContext(src, n) && n.parent?.type !== 'expression_statement') out.push({ name, event: 'read', node: n });
      else if (mayLeave(n, name)) out.push({ name: '*', event: 'leave' });
      return;
    }
    for (const c of n.children) visit(c);
  };
  visit(root);
  return out;
}

/**
 * What every event visitor does first with `n`: nothing when it lies before `after` or in another CFG node's
 * part of `root`; for a declaration, its values (visited) and the names it declares anew. True when handled.
 */
export function outsideOrDeclaration(flow: FunctionFlow, root: AstNode, after: number, owner: number, names: ReadonlySet<string>, n: AstNode, visit: (n: AstNode) => void, out: NameEvent[]): boolean {
  if (n.end <= after || (n !== root && flow.cfg.owns(n) && flow.cfg.ownerOf(n)?.id !== owner)) return true;
  if (n.type !== 'declaration') return false;
  for (const d of declarations(n)) {
    if (d.value) visit(d.value);
    const name = declaratorName(flow.file.source, d.declarator);
    if (name !== undefined && names.has(name) && n.start >= after) out.push({ name, event: 'redeclare' });
  }
  return true;
}

const firstFor = (events: readonly NameEvent[], name: string): NameEvent | undefined => events.find((e) => e.name === name || e.name === '*');
const writesIn = (events: readonly NameEvent[], name: string): boolean => events.some((e) => e.name === name && (e.event === 'write' || e.event === 'redeclare'));

/** The callee of the call whose argument `n` is (through parentheses and casts), or ''. */
function enclosingCallee(src: TextSource, n: AstNode): string {
  const call = argumentListOf(n)?.parent;
  return call?.type === 'call_expression' ? calleeName(src, call) ?? '' : '';
}

/**
 * Locals declared without an initializer that the analysis can follow, by name, with their declaration: not
 * static, not arrays, declared once, address never kept outside a call's argument, and in C++ only of primitive
 * or pointer type.
 */
export function uninitCandidates(src: TextSource, fn: FunctionInfo, cpp: boolean): ReadonlyMap<string, UninitCandidate> {
  return uninitCandidateMemo.get(fn.node, cpp, () => collectUninitCandidates(src, fn, cpp));
}

const uninitCandidateMemo = new SubtreeMemo<ReadonlyMap<string, UninitCandidate>>();

function collectUninitCandidates(src: TextSource, fn: FunctionInfo, cpp: boolean): Map<string, UninitCandidate> {
  const out = new Map<string, UninitCandidate>();
  const seen = new Set<string>();
  const kept = new Set<string>();
  const firstUse = new Map<string, AstNode>();
  walk(fn.body, (n) => {
    if (n.type === 'declaration') {
      const storage = isStaticOrExtern(src, n);
      const type = child(n, 'type');
      for (const d of declarations(n)) {
        const name = declaratorName(src, d.declarator);
        if (name === undefined) continue;
        if (seen.has(name)) kept.add(name); // declared twice: not followed
        seen.add(name);
        const shape = declaratorShape(d.declarator);
        const pointer = shape.depth > 0;
        // Windows' capitalised type names (ULONG, KIRQL, UNICODE_STRING) are C typedefs and structures.
        const classType = cpp && !pointer && !(type && (PRIMITIVE.has(type.type) || /^[A-Z][A-Z0-9_]*$/.test(nodeText(src, type))));
        if (!storage && !d.value && !shape.array && !shape.fn && !classType && d.declarator.type !== 'init_declarator') out.set(name, { decl: n, declarator: d.declarator, pointer });
      }
    }
    if (n.type === 'identifier') {
      const name = nodeText(src, n);
      const c = out.get(name);
      if (c && n.start >= c.decl.end && !firstUse.has(name)) firstUse.set(name, n);
    }
    const operand = addressOperand(n);
    if (operand) {
      const name = rootName(src, operand);
      if (name !== undefined && !argumentListOf(n)) kept.add(name);
    }
  });
  for (const k of kept) out.delete(k);
  for (const [name, c] of out) if (assignedStraightAway(src, c.decl, firstUse.get(name), name)) out.delete(name);
  return out;
}

/**
 * The first mention of the name after its declaration is `name = value;` (value not mentioning it), a statement
 * of the declaration's own block with nothing between that jumps: every path writes it before reading it, so no
 * search is needed. Most locals are like this, and their functions then need no flow for this rule.
 */
function assignedStraightAway(src: TextSource, decl: AstNode, first: AstNode | undefined, name: string): boolean {
  const assign = first?.parent;
  const stmt = assign?.parent;
  if (!first || assign?.type !== 'assignment_expression' || first.field !== 'left' || opOf(src, assign) !== '=' || stmt?.type !== 'expression_statement' || stmt.parent !== decl.parent) return false;
  const right = child(assign, 'right');
  if (right && descendants(right, 'identifier').some((i) => nodeText(src, i) === name)) return false;
  const block = decl.parent!.children;
  for (let i = block.indexOf(decl) + 1; i < block.length && block[i] !== stmt; i++) {
    const s = block[i];
    if (s.type.startsWith('preproc') || s.type === 'labeled_statement' || s.type === 'case_statement' || descendants(s, JUMPS).length) return false;
  }
  return true;
}

const JUMPS: ReadonlySet<string> = new Set(['goto_statement', 'labeled_statement', 'case_statement']);

/** What each CFG node does to the candidates, when entered from its start (computed once per node). */
class NodeEvents {
  private readonly cache = new Map<number, readonly NameEvent[]>();
  constructor(
    private readonly flow: FunctionFlow,
    private readonly names: ReadonlySet<string>,
    private readonly events: EventsIn,
  ) {}

  of(n: CfgNode): readonly NameEvent[] {
    let e = this.cache.get(n.id);
    if (!e) this.cache.set(n.id, (e = n.ast && (n.kind === 'stmt' || n.kind === 'cond') ? this.events(this.flow, n.ast, -1, n.id, this.names) : []));
    return e;
  }

  /** The node gives `name` a value (or declares it anew) somewhere. */
  ends(n: CfgNode, name: string): boolean {
    return writesIn(this.of(n), name);
  }

  /** The node declares `name` anew: a different variable from there on. */
  redeclares(n: CfgNode, name: string): boolean {
    return this.of(n).some((e) => e.name === name && e.event === 'redeclare');
  }
}

/** Nodes reached from the declaration (the rest of its node, then successors) before anything writes the name. */
function unwrittenFrom(flow: FunctionFlow, start: CfgNode, rest: readonly NameEvent[], name: string, ev: NodeEvents): Set<number> {
  const out = new Set<number>();
  if (writesIn(rest, name)) return out;
  const stack = [...start.succs];
  while (stack.length) {
    const id = stack.pop()!;
    if (out.has(id) || id === start.id) continue;
    out.add(id);
    if (!ev.ends(flow.cfg.nodes[id], name)) stack.push(...flow.cfg.nodes[id].succs);
  }
  return out;
}

/** Nodes some path reaches from a node that writes the name, without passing its declaration again. */
function writtenNodes(flow: FunctionFlow, declNode: number, name: string, ev: NodeEvents): Set<number> {
  const out = new Set<number>();
  const stack: number[] = [];
  for (const n of flow.cfg.nodes) if (n.id !== declNode && ev.ends(n, name) && !ev.redeclares(n, name)) stack.push(...n.succs);
  while (stack.length) {
    const id = stack.pop()!;
    if (out.has(id) || id === declNode) continue;
    out.add(id);
    if (!ev.redeclares(flow.cfg.nodes[id], name)) stack.push(...flow.cfg.nodes[id].succs);
  }
  return out;
}

/** Every read in `fn` of a candidate local that certainly has no value (see the module comment). */
export function uninitializedReads(flow: FunctionFlow, candidates: ReadonlyMap<string, UninitCandidate>): UninitializedRead[] {
  return unwrittenReads(flow, candidates, eventsIn);
}

/** How a family of candidates is searched: what code does to them, and which branches are not starting points. */
export interface UnwrittenSearch {
  readonly events: EventsIn;
  /** A branch `cond` taken with `polarity` is not a starting point for `name` (undefined: every branch may be). */
  readonly skipBranch?: (cond: AstNode, polarity: boolean, name: string) => boolean;
  /** Whether a branch can be taken (see MustReachQuery.feasible). */
  readonly feasible?: (assume: CfgNode, name: string) => boolean;
}

/**
 * Every read of a candidate that certainly comes before any write: each candidate's `decl` is where it starts
 * without a value (searched from its end), `declarator` what the finding points back at.
 */
export function unwrittenReads(flow: FunctionFlow, candidates: ReadonlyMap<string, { readonly decl: AstNode; readonly declarator: AstNode }>, search: EventsIn | UnwrittenSearch): UninitializedRead[] {
  const { events, skipBranch, feasible } = typeof search === 'function' ? ({ events: search } as UnwrittenSearch) : search;
  const src = flow.file.source;
  const handlers = handlerEntries(flow);
  const out: UninitializedRead[] = [];
  const reported = new Set<number>();
  const ev = new NodeEvents(flow, new Set(candidates.keys()), events);
  for (const [name, { decl, declarator }] of candidates) {
    const start = flow.cfg.ownerOf(decl);
    if (!start || !flow.reachable(decl)) continue;
    const rest = events(flow, start.ast ?? decl, decl.end, start.id, new Set([name]));
    const unwritten = unwrittenFrom(flow, start, rest, name, ev);
    const q = {
      step: (_root: AstNode, after: number, owner: number): AstNode | 'stop' | undefined => {
        const e = firstFor(after < 0 ? ev.of(flow.cfg.nodes[owner]) : rest, name);
        return !e ? undefined : e.event === 'read' ? e.node : 'stop';
      },
      feasible: (assume: CfgNode): boolean => !feasible || feasible(assume, name),
    };
    const origins: { node: CfgNode; after: number; branch?: { cond: AstNode; polarity: boolean }; unmatched?: boolean }[] = [{ node: start, after: decl.end }];
    const branches = [...unwritten].sort((a, b) => a - b).map((id) => flow.cfg.nodes[id]).filter((n) => n.kind === 'assume' && n.ast && !insideAssertion(src, n.ast));
    const written = branches.length || [...flow.cfg.unmatched.keys()].some((id) => unwritten.has(id)) ? writtenNodes(flow, start.id, name, ev) : new Set<number>();
    for (const n of branches) {
      if (written.has(n.id) || contradictsDominating(flow, n) || skipBranch?.(n.ast!, n.polarity, name)) continue;
      origins.push({ node: n, after: -1, branch: { cond: n.ast!, polarity: n.polarity } });
    }
    // A switch without `default:` whose value matched no case: the cases may be all the author expects.
    for (const [id, sw] of flow.cfg.unmatched) {
      const cond = child(sw, 'condition');
      if (!unwritten.has(id) || written.has(id) || !cond) continue;
      origins.push({ node: flow.cfg.nodes[id], after: -1, branch: { cond, polarity: false }, unmatched: true });
    }
    for (const o of origins) {
      const read = mustReach(flow, o.node, o.after, q, handlers);
      if (!read || reported.has(read.start)) continue;
      reported.add(read.start);
      out.push({ name, declarator, branch: o.branch, kind: o.unmatched ? 'unmatched' : o.branch ? 'branch' : 'declared', read });
      break;
    }
  }
  return out;
}
