import type { AstNode } from '../ast';
import type { TsCursor, TsTree } from './backend';

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
}

/**
 * Converts a tree-sitter tree into plain `AstNode`s with one cursor walk. Comments are kept (suppression
 * comments are read from them); anonymous punctuation is kept too, since operators live there. `delta` is added
 * to every offset (fragments parsed out of a macro body map back to their place in the file).
 */
export function buildAst(tree: TsTree, delta = 0): AstNode {
  const cursor = tree.walk();
  try {
    return convert(cursor, delta);
  } finally {
    cursor.delete?.();
  }
}

/**
 * Every property read crosses into the binding, and reading a string allocates one. Type and field names are
 * therefore looked up by their numeric ids in caches filled once per id, and `nodeIsMissing` is read only for
 * zero-width nodes (MISSING nodes always are).
 */
class NodeReader {
  private readonly types: string[] = [];
  private readonly named: boolean[] = [];
  private readonly fields: (string | undefined)[] = [];

  constructor(
    private readonly cursor: TsCursor,
    private readonly delta: number,
  ) {}

  read(): MutableNode {
    const cursor = this.cursor;
    const typeId = cursor.nodeTypeId;
    let type = this.types[typeId];
    if (type === undefined) {
      type = this.types[typeId] = cursor.nodeType;
      this.named[typeId] = cursor.nodeIsNamed;
    }
    const fieldId = cursor.currentFieldId;
    let field: string | undefined;
    if (fieldId) {
      field = this.fields[fieldId];
      if (field === undefined) field = this.fields[fieldId] = cursor.currentFieldName ?? undefined;
    }
    const start = cursor.startIndex + this.delta;
    const end = cursor.endIndex + this.delta;
    return { type, named: this.named[typeId], field, start, end, missing: start === end && cursor.nodeIsMissing, children: [], parent: undefined, index: 0 };
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

function convert(cursor: TsCursor, delta: number): AstNode {
  const reader = new NodeReader(cursor, delta);
  const root = reader.read();
  const stack: MutableNode[] = [root];
  // Iterative depth-first walk: deeply nested input must not overflow the JavaScript stack.
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const parent = stack[stack.length - 1];
    const node = reader.read();
    node.parent = parent;
    node.index = parent.children.length;
    parent.children.push(node);
    if (cursor.gotoFirstChild()) {
      stack.push(node);
      continue;
    }
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent() || stack.length === 1) return root;
      stack.pop();
    }
  }
}
