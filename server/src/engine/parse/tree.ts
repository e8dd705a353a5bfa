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

function makeNode(cursor: TsCursor, delta: number): MutableNode {
  // Every property read crosses into the binding; read as few as possible (MISSING nodes are zero-width).
  const start = cursor.startIndex + delta;
  const end = cursor.endIndex + delta;
  return {
    type: cursor.nodeType,
    named: cursor.nodeIsNamed,
    field: cursor.currentFieldName ?? undefined,
    start,
    end,
    missing: start === end && cursor.nodeIsMissing,
    children: [],
    parent: undefined,
    index: 0,
  };
}

function convert(cursor: TsCursor, delta: number): AstNode {
  const root = makeNode(cursor, delta);
  const stack: MutableNode[] = [root];
  // Iterative depth-first walk: deeply nested input must not overflow the JavaScript stack.
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const parent = stack[stack.length - 1];
    const node = makeNode(cursor, delta);
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
