/**
 * A plain JavaScript syntax tree built once from a tree-sitter tree.
 *
 * Rules walk the tree many times; crossing into the native binding (or the wasm heap) for every property access
 * is slow, and the two tree-sitter back ends differ in small API details. Converting once gives every rule the
 * same fast, backend-independent view, so native and wasm parses yield identical findings.
 */
export interface AstNode {
  readonly type: string;
  /** True for named nodes (tree-sitter's notion), false for punctuation and keywords. */
  readonly named: boolean;
  /** The field name under which this node hangs off its parent, if any. */
  readonly field: string | undefined;
  /**
   * Offsets in UTF-16 code units into the (unmasked) source text. Lines and columns are derived on demand
   * (`ParsedFile.source.positionAt`): reading them for every node from tree-sitter costs a third of the build.
   */
  readonly start: number;
  readonly end: number;
  readonly missing: boolean;
  readonly children: AstNode[];
  parent: AstNode | undefined;
  /** Index of this node in its parent's `children`. */
  index: number;
  /**
   * Pre-order number of this node within its top-level declaration; assigned by `descendants` on the first question
   * about that declaration (0 until then). Only `descendants` reads it.
   */
  order: number;
}

/** Offset-based source access shared by the tree helpers. */
export interface TextSource {
  readonly text: string;
}

export function nodeText(src: TextSource, node: AstNode): string {
  return src.text.slice(node.start, node.end);
}

export function child(node: AstNode, field: string): AstNode | undefined {
  // An index loop: children arrays come in two element kinds (leaves share one frozen empty array), which makes
  // `for...of` fall back to allocating iterator results on this hot path.
  const children = node.children;
  for (let i = 0; i < children.length; i++) if (children[i].field === field) return children[i];
  return undefined;
}

export function childrenByField(node: AstNode, field: string): AstNode[] {
  return node.children.filter((c) => c.field === field);
}

export function namedChildren(node: AstNode): AstNode[] {
  return node.children.filter((c) => c.named);
}

/** Pre-order walk; return `false` from `visit` to skip a node's subtree. */
export function walk(node: AstNode, visit: (n: AstNode) => boolean | void): void {
  const stack: AstNode[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (visit(n) === false) continue;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
}

/**
 * Answers remembered per subtree, for questions whose answer depends on nothing but the subtree's nodes and their
 * text (and a `variant` such as the language). An editor re-parse takes untouched top-level declarations over as
 * they are (see buildAst), so what was worked out for the functions an edit did not touch is not worked out again.
 * Answers must hold nodes, names or text, never offsets: a declaration taken over from below the edit has moved.
 */
export class SubtreeMemo<T> {
  private readonly memo = new WeakMap<AstNode, Map<string | boolean, T>>();

  get(node: AstNode, variant: string | boolean, compute: () => T): T {
    const known = this.memo.get(node);
    if (known?.has(variant)) return known.get(variant)!;
    const value = compute();
    this.set(node, variant, value);
    return value;
  }

  /** The answer remembered, if any (for answers that cannot always be worked out). */
  known(node: AstNode, variant: string | boolean): T | undefined {
    return this.memo.get(node)?.get(variant);
  }

  set(node: AstNode, variant: string | boolean, value: T): void {
    let byVariant = this.memo.get(node);
    if (!byVariant) this.memo.set(node, (byVariant = new Map()));
    byVariant.set(variant, value);
  }
}

/**
 * Nodes of a type (or any of a set of types) in `node`'s subtree, `node` included, in pre-order, read-only (the
 * answer may be a list the index keeps).
 *
 * Rules and summaries ask this many times per function body, for many types. Rather than walk the subtree once per
 * question, each top-level declaration is walked once, on the first question about anything inside it: every node
 * gets its pre-order number (`order`) and goes into its type's list. A subtree's nodes then have consecutive
 * numbers, so any question inside the declaration is two binary searches in one list. Trees never change once built,
 * and an editor re-parse takes untouched top-level declarations over as they are (see buildAst), so their lists
 * survive the edit; a question about a root is answered by joining its top-level declarations' lists.
 */
export function descendants(node: AstNode, type: string | ReadonlySet<string>): readonly AstNode[] {
  const [list, from, to] = answer(node, type);
  // A whole shared list (every question about a root) is handed out as it is: callers only read answers.
  return from === 0 && to === list.length ? list : list.slice(from, to);
}

/** `descendants(node, type).length`, without building the list. */
export function countDescendants(node: AstNode, type: string | ReadonlySet<string>): number {
  const [, from, to] = answer(node, type);
  return to - from;
}

/** The shared list holding the answer, and where in it the answer lies. */
function answer(node: AstNode, type: string | ReadonlySet<string>): [readonly AstNode[], number, number] {
  if (node.parent === undefined) {
    const all = rootAnswer(node, type);
    return [all, 0, all.length];
  }
  let unit = node;
  while (unit.parent!.parent !== undefined) unit = unit.parent!;
  const list = unitAnswer(unitIndex(unit), type);
  let last = node;
  while (last.children.length > 0) last = last.children[last.children.length - 1];
  return [list, firstAtOrAfter(list, node.order), firstAtOrAfter(list, last.order + 1)];
}

/** A top-level declaration's nodes by type, in pre-order; answers for sets of types are remembered as asked. */
interface UnitIndex {
  readonly byType: Map<string, readonly AstNode[]>;
  readonly bySet: Map<string, readonly AstNode[]>;
}

const NONE: readonly AstNode[] = Object.freeze([]);
const unitIndexes = new WeakMap<AstNode, UnitIndex>();
const rootAnswers = new WeakMap<AstNode, Map<string, readonly AstNode[]>>();
const setKeys = new WeakMap<ReadonlySet<string>, string>();

/** A key for a set of types (sets are mostly module constants: computed once per set). */
function setKey(types: ReadonlySet<string>): string {
  let k = setKeys.get(types);
  if (k === undefined) setKeys.set(types, (k = `\u0000${[...types].sort().join('\u0000')}`));
  return k;
}

function unitIndex(unit: AstNode): UnitIndex {
  let index = unitIndexes.get(unit);
  if (!index) {
    const byType = new Map<string, AstNode[]>();
    const stack: AstNode[] = [unit];
    let order = 0;
    while (stack.length > 0) {
      const n = stack.pop()!;
      n.order = order++;
      const list = byType.get(n.type);
      if (list) list.push(n);
      else byType.set(n.type, [n]);
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
    }
    // Frozen: whole lists are handed out as answers (see `descendants`).
    for (const list of byType.values()) Object.freeze(list);
    unitIndexes.set(unit, (index = { byType, bySet: new Map() }));
  }
  return index;
}

/** The shared (not to be changed) list of a unit's nodes of `type`, in pre-order. */
function unitAnswer(index: UnitIndex, type: string | ReadonlySet<string>): readonly AstNode[] {
  if (typeof type === 'string') return index.byType.get(type) ?? NONE;
  const key = setKey(type);
  let list = index.bySet.get(key);
  if (!list) {
    const lists: (readonly AstNode[])[] = [];
    for (const t of type) {
      const of = index.byType.get(t);
      if (of) lists.push(of);
    }
    list = lists.length === 0 ? [] : lists.length === 1 ? lists[0] : Object.freeze(mergeByOrder(lists));
    index.bySet.set(key, list);
  }
  return list;
}

/** One pre-order list from several (each already in pre-order), without sorting: a set names only a few types. */
function mergeByOrder(lists: readonly (readonly AstNode[])[]): AstNode[] {
  const out: AstNode[] = [];
  const at = lists.map(() => 0);
  for (;;) {
    let best = -1;
    let bestOrder = Infinity;
    for (let i = 0; i < lists.length; i++) {
      if (at[i] < lists[i].length && lists[i][at[i]].order < bestOrder) {
        best = i;
        bestOrder = lists[i][at[i]].order;
      }
    }
    if (best < 0) return out;
    out.push(lists[best][at[best]++]);
  }
}

function rootAnswer(root: AstNode, type: string | ReadonlySet<string>): readonly AstNode[] {
  let answers = rootAnswers.get(root);
  if (!answers) rootAnswers.set(root, (answers = new Map()));
  const key = typeof type === 'string' ? type : setKey(type);
  let found = answers.get(key);
  if (!found) {
    const all = (typeof type === 'string' ? root.type === type : type.has(root.type)) ? [root] : [];
    for (let i = 0; i < root.children.length; i++) {
      const list = unitAnswer(unitIndex(root.children[i]), type);
      for (let j = 0; j < list.length; j++) all.push(list[j]);
    }
    answers.set(key, (found = Object.freeze(all)));
  }
  return found;
}

/** The first position in `list` (sorted by `order`) whose node's order is at least `order`. */
function firstAtOrAfter(list: readonly AstNode[], order: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].order < order) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function ancestor(node: AstNode, pred: (n: AstNode) => boolean): AstNode | undefined {
  for (let p = node.parent; p; p = p.parent) if (pred(p)) return p;
  return undefined;
}

/** True when `a` is a proper ancestor of `b`. */
export function isAncestorOf(a: AstNode, b: AstNode): boolean {
  if (a === b || b.start < a.start || b.end > a.end) return false;
  for (let p: AstNode | undefined = b.parent; p; p = p.parent) if (p === a) return true;
  return false;
}

/** Strips parentheses, casts and other value-preserving wrappers. */
export function unwrap(node: AstNode): AstNode {
  let n = node;
  for (;;) {
    if (n.type === 'parenthesized_expression' || n.type === 'cast_expression' || n.type === 'comma_expression') {
      const inner = n.type === 'cast_expression' ? child(n, 'value') : n.type === 'comma_expression' ? child(n, 'right') : namedChildren(n)[0];
      if (!inner) return n;
      n = inner;
      continue;
    }
    return n;
  }
}

export function isErrorNode(n: AstNode): boolean {
  return n.type === 'ERROR' || n.missing;
}

/** Counts ERROR and MISSING nodes below `node` (inclusive); remembered per node, like `descendants`. */
export function countErrors(node: AstNode): number {
  let count = errorCounts.get(node);
  if (count === undefined) {
    let n = 0;
    walk(node, (c) => {
      if (isErrorNode(c)) n++;
    });
    errorCounts.set(node, (count = n));
  }
  return count;
}

const errorCounts = new WeakMap<AstNode, number>();
