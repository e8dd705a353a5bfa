import type { AstNode } from '../ast';
import type { TsCursor, TsTree } from './backend';

interface MutableNode {
  type: string;
  named: boolean;
  field: string | undefined;
  start: number;
  end: number;
  startRow: number;
  startCol: number;
  endRow: number;
  endCol: number;
  missing: boolean;
  children: AstNode[];
  parent: AstNode | undefined;
  index: number;
}

/**
 * Converts a tree-sitter tree into plain `AstNode`s with one cursor walk. Comments are kept (suppression
 * comments are read from them); anonymous punctuation is kept too, since operators live there.
 */
export function buildAst(tree: TsTree): AstNode {
  const cursor = tree.walk();
  try {
    return convert(cursor);
  } finally {
    cursor.delete?.();
  }
}

function makeNode(cursor: TsCursor): MutableNode {
  const sp = cursor.startPosition;
  const ep = cursor.endPosition;
  return {
    type: cursor.nodeType,
    named: cursor.nodeIsNamed,
    field: cursor.currentFieldName ?? undefined,
    start: cursor.startIndex,
    end: cursor.endIndex,
    startRow: sp.row,
    startCol: sp.column,
    endRow: ep.row,
    endCol: ep.column,
    missing: cursor.nodeIsMissing,
    children: [],
    parent: undefined,
    index: 0,
  };
}

function convert(cursor: TsCursor): AstNode {
  const root = makeNode(cursor);
  const stack: MutableNode[] = [root];
  // Iterative depth-first walk: deeply nested input must not overflow the JavaScript stack.
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const parent = stack[stack.length - 1];
    const node = makeNode(cursor);
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
