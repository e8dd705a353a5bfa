import { AstNode, countErrors } from '../ast';
import type { TsCursor, TsTree } from './backend';

/** The children of every leaf: one shared, frozen array instead of an empty array per leaf (half the nodes). */
const NO_CHILDREN = Object.freeze([]) as unknown as AstNode[];

function append(parent: MutableNode, node: MutableNode | AstNode): void {
  node.parent = parent;
  node.index = parent.children.length;
  if (parent.children === NO_CHILDREN) parent.children = [];
  parent.children.push(node);
}

interface MutableNode {
  type: string;
  named: boolean;
  field: string | undefined;
  start: number;
  end: number;
  missing: boolean;
  children: AstNode[];
  parent: AstNode | undefined;
  index: number;
  order: number;
}

/**
 * What a re-parse in the editor may take over from the previous AST: its root, and the single edit (in masked-text
 * offsets) that turned the previous text into the new one.
 */
export interface AstReuse {
  readonly previous: AstNode;
  readonly startIndex: number;
  readonly oldEndIndex: number;
  readonly newEndIndex: number;
}

/**
 * Converts a tree-sitter tree into plain `AstNode`s with one cursor walk. Comments are kept (suppression
 * comments are read from them); anonymous punctuation is kept too, since operators live there. `delta` is added
 * to every offset (fragments parsed out of a macro body map back to their place in the file).
 *
 * With `reuse`, a top-level node that lies wholly before or after the edit, and whose counterpart in the previous
 * AST has the same type and extent, is taken over instead of being read through the binding (which dominates the
 * cost of an editor re-parse): as is before the edit, with its offsets moved in place after it. Both must be free of
 * ERROR and MISSING nodes: the same tokens, parsed without error recovery from the top level, give the same tree.
 * Taking nodes over (rather than copying them) keeps their identity, so answers remembered per node (`descendants`)
 * survive the edit; the previous AST is consumed: its caller must not use it again (the editor never does).
 */
export function buildAst(tree: TsTree, delta = 0, reuse?: AstReuse, names: NodeNames = new NodeNames()): AstNode {
  // Asked before the cursor exists: the wasm binding passes both through one shared buffer.
  const errors = reuse !== undefined && tree.rootNode.hasError;
  const cursor = tree.walk();
  try {
    return convert(cursor, delta, reuse, names, errors);
  } finally {
    cursor.delete?.();
  }
}

/**
 * A grammar's type and field names by numeric id, filled as ids are met. One table per parser (see `parse.ts`)
 * serves every file it parses, so after the first files no name is read through the binding again, and the
 * tables stop changing shape under the optimised code that reads them.
 */
export class NodeNames {
  readonly types: string[] = [];
  readonly named: boolean[] = [];
  readonly fields: (string | undefined)[] = [];
}

/**
 * Every property read crosses into the binding, and reading a string allocates one. Type and field names are
 * therefore looked up by their numeric ids (see `NodeNames`), and `nodeIsMissing` is read only for zero-width
 * nodes (MISSING nodes always are).
 */
class NodeReader {
  constructor(
    private readonly cursor: TsCursor,
    private readonly delta: number,
    private readonly names: NodeNames,
  ) {}

  read(): MutableNode {
    const cursor = this.cursor;
    const names = this.names;
    const typeId = cursor.nodeTypeId;
    let type = names.types[typeId];
    if (type === undefined) {
      type = names.types[typeId] = cursor.nodeType;
      names.named[typeId] = cursor.nodeIsNamed;
    }
    const fieldId = cursor.currentFieldId;
    let field: string | undefined;
    if (fieldId) {
      field = names.fields[fieldId];
      if (field === undefined) field = names.fields[fieldId] = cursor.currentFieldName ?? undefined;
    }
    const start = cursor.startIndex + this.delta;
    const end = cursor.endIndex + this.delta;
    return { type, named: names.named[typeId], field, start, end, missing: start === end && cursor.nodeIsMissing, children: NO_CHILDREN, parent: undefined, index: 0, order: 0 };
  }
}

/**
 * ERROR plus MISSING nodes in a tree, counted with the cursor alone (as `countErrors` counts them on the AST), so
 * that a candidate parse can be judged without building its AST.
 */
export function countTreeErrors(tree: TsTree): number {
  if (!tree.rootNode.hasError) return 0;
  const cursor = tree.walk();
  const isError: boolean[] = [];
  let count = 0;
  try {
    for (;;) {
      const typeId = cursor.nodeTypeId;
      let error = isError[typeId];
      if (error === undefined) error = isError[typeId] = cursor.nodeType === 'ERROR';
      if (error || (cursor.startIndex === cursor.endIndex && cursor.nodeIsMissing)) count++;
      if (cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) if (!cursor.gotoParent()) return count;
    }
  } finally {
    cursor.delete?.();
  }
}

/** `errors`: whether the tree has ERROR or MISSING nodes at all (if not, no top-level node needs asking). */
function convert(cursor: TsCursor, delta: number, reuse: AstReuse | undefined, names: NodeNames, errors: boolean): AstNode {
  const reader = new NodeReader(cursor, delta, names);
  const root = reader.read();
  if (!cursor.gotoFirstChild()) return root;
  const previous = reuse && new Map(reuse.previous.children.map((c) => [c.start, c] as const));
  do {
    const node = reader.read();
    const kept = previous && reusable(node, previous, reuse!, errors ? cursor : undefined);
    if (kept) append(root, kept);
    else convertSubtree(cursor, reader, root, node);
  } while (cursor.gotoNextSibling());
  return root;
}

/** The previous AST's node standing for `node` (itself, or a copy moved by the edit's length change), if any. */
/** `cursor`, on `node`, is given only when the tree has errors somewhere: then the node's own are asked for. */
function reusable(node: MutableNode, previous: ReadonlyMap<number, AstNode>, reuse: AstReuse, cursor: TsCursor | undefined): AstNode | undefined {
  let shift: number;
  if (node.end < reuse.startIndex) shift = 0;
  else if (node.start > reuse.newEndIndex) shift = reuse.newEndIndex - reuse.oldEndIndex;
  else return undefined;
  const old = previous.get(node.start - shift);
  if (!old || old.type !== node.type || old.end - old.start !== node.end - node.start) return undefined;
  if (node.type === 'ERROR' || cursor?.currentNode.hasError || countErrors(old) > 0) return undefined;
  if (shift !== 0) shiftInPlace(old, shift);
  return old;
}

/** Moves every offset of a subtree by `shift` (iterative: nesting may be very deep). */
function shiftInPlace(node: AstNode, shift: number): void {
  const stack: MutableNode[] = [node as MutableNode];
  while (stack.length) {
    const n = stack.pop()!;
    n.start += shift;
    n.end += shift;
    for (const c of n.children) stack.push(c as MutableNode);
  }
}

/**
 * Converts the subtree under the cursor (whose node `top` was just read) into `parent`; the cursor ends on it.
 * Children are gathered on one scratch list and each node gets an array of exactly its children once they are all
 * read: an array grown by `push` reserves room for 17, several times what most nodes have, and the tree lives
 * (and is copied by the garbage collector) for as long as its file is analysed.
 */
function convertSubtree(cursor: TsCursor, reader: NodeReader, parent: MutableNode, top: MutableNode): void {
  append(parent, top);
  // Iterative depth-first walk: deeply nested input must not overflow the JavaScript stack.
  if (!cursor.gotoFirstChild()) return;
  /** Nodes whose children are being read, innermost last, and where each one's children start in `pending`. */
  const open: MutableNode[] = [top];
  const starts: number[] = [0];
  const pending: MutableNode[] = [];
  let size = 0;
  for (;;) {
    const node = reader.read();
    node.parent = open[open.length - 1];
    node.index = size - starts[starts.length - 1];
    pending[size++] = node;
    if (cursor.gotoFirstChild()) {
      open.push(node);
      starts.push(size);
      continue;
    }
    while (!cursor.gotoNextSibling()) {
      cursor.gotoParent();
      const done = open.pop()!;
      const from = starts.pop()!;
      done.children = pending.slice(from, size);
      size = from;
      if (open.length === 0) return;
    }
  }
}
