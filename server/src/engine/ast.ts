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
}

/** Offset-based source access shared by the tree helpers. */
export interface TextSource {
  readonly text: string;
}

export function nodeText(src: TextSource, node: AstNode): string {
  return src.text.slice(node.start, node.end);
}

export function child(node: AstNode, field: string): AstNode | undefined {
  for (const c of node.children) if (c.field === field) return c;
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
 * Nodes of a type (or any of a set of types) in `node`'s subtree, `node` included, in pre-order. Answers are
 * remembered per node (trees never change once built): rules and summaries ask for the calls of
 * the same function body many times. Callers get their own copy of the list.
 */
export function descendants(node: AstNode, type: string | ReadonlySet<string>): AstNode[] {
  return remembers(node, type, typeof type === 'string' ? type : setKey(type)).slice();
}

/**
 * The remembered answer (shared, not to be changed). A root's answer is assembled from its top-level children's,
 * each remembered too: an editor re-parse takes the untouched top-level declarations over as they are (see
 * buildAst), so after an edit only the declarations it touched are walked again.
 */
function remembers(node: AstNode, type: string | ReadonlySet<string>, key: string): AstNode[] {
  let byType = remembered.get(node);
  if (!byType) remembered.set(node, (byType = new Map()));
  let found = byType.get(key);
  if (!found) {
    if (node.parent !== undefined) found = collect(node, type);
    else {
      found = (typeof type === 'string' ? node.type === type : type.has(node.type)) ? [node] : [];
      for (const c of node.children) for (const n of remembers(c, type, key)) found.push(n);
    }
    byType.set(key, found);
  }
  return found;
}

const remembered = new WeakMap<AstNode, Map<string, AstNode[]>>();
const setKeys = new WeakMap<ReadonlySet<string>, string>();

/** A key for a set of types (sets are mostly module constants: computed once per set). */
function setKey(types: ReadonlySet<string>): string {
  let k = setKeys.get(types);
  if (k === undefined) setKeys.set(types, (k = `\u0000${[...types].sort().join('\u0000')}`));
  return k;
}

function collect(node: AstNode, type: string | ReadonlySet<string>): AstNode[] {
  const out: AstNode[] = [];
  const match = typeof type === 'string' ? (t: string) => t === type : (t: string) => type.has(t);
  walk(node, (n) => {
    if (match(n.type)) out.push(n);
  });
  return out;
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
