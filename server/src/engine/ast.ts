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
 * Nodes of a type (or of any of a set of types) in `node`'s subtree, `node` included, in pre-order. Answered from
 * a per-tree index of nodes by type, built by one walk the first time a tree is asked: rules ask for the calls,
 * subscripts or declarations of every function, and each answer then costs a binary search and its own size
 * instead of a walk of the subtree. Trees are never changed once built, so the index stays true.
 */
export function descendants(node: AstNode, type: string | ReadonlySet<string>): AstNode[] {
  let top = node;
  while (top.parent) top = top.parent;
  const index = typeIndex(top);
  if (typeof type === 'string') {
    const bucket = index.get(type);
    return bucket ? within(bucket, node).nodes : [];
  }
  const parts: { nodes: AstNode[]; ords: number[] }[] = [];
  for (const t of type) {
    const bucket = index.get(t);
    if (bucket) {
      const part = within(bucket, node);
      if (part.nodes.length) parts.push(part);
    }
  }
  if (parts.length <= 1) return parts[0]?.nodes ?? [];
  // Merge the per-type lists back into pre-order.
  const tagged: { n: AstNode; o: number }[] = [];
  for (const p of parts) p.nodes.forEach((n, i) => tagged.push({ n, o: p.ords[i] }));
  return tagged.sort((a, b) => a.o - b.o).map((t) => t.n);
}

/** Nodes of one type in pre-order, with their pre-order ordinal and start offset (ascending). */
interface Bucket {
  readonly nodes: AstNode[];
  readonly ords: number[];
  readonly starts: number[];
}

const typeIndexes = new WeakMap<AstNode, Map<string, Bucket>>();

function typeIndex(top: AstNode): Map<string, Bucket> {
  let index = typeIndexes.get(top);
  if (!index) {
    const built = new Map<string, Bucket>();
    let ord = 0;
    walk(top, (n) => {
      let b = built.get(n.type);
      if (!b) built.set(n.type, (b = { nodes: [], ords: [], starts: [] }));
      b.nodes.push(n);
      b.ords.push(ord++);
      b.starts.push(n.start);
    });
    typeIndexes.set(top, (index = built));
  }
  return index;
}

/**
 * The part of a bucket inside `node`'s subtree. Offsets decide, except for nodes touching `node`'s boundaries
 * (an ancestor with the same extent, a zero-width node at the end), whose parentage is checked.
 */
function within(bucket: Bucket, node: AstNode): { nodes: AstNode[]; ords: number[] } {
  const { nodes, ords, starts } = bucket;
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] < node.start) lo = mid + 1;
    else hi = mid;
  }
  const out: AstNode[] = [];
  const outOrds: number[] = [];
  for (let i = lo; i < nodes.length && starts[i] <= node.end; i++) {
    const e = nodes[i];
    if (e.end > node.end) continue;
    if (e !== node && (e.start === node.start || e.end === node.end) && !isAncestorOf(node, e)) continue;
    out.push(e);
    outOrds.push(ords[i]);
  }
  return { nodes: out, ords: outOrds };
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

/** Counts ERROR and MISSING nodes below `node` (inclusive). */
export function countErrors(node: AstNode): number {
  let count = 0;
  walk(node, (n) => {
    if (isErrorNode(n)) count++;
  });
  return count;
}
