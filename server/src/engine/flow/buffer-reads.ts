/**
 * Reads through an untrusted buffer made before anything established how large it is: the question behind
 * KS1105 (request buffers) and KS1004 (content, file, mapped and copied buffers). A buffer is sized when its
 * source guaranteed a minimum (WDF `MinimumRequiredSize`, a caller that checked) or when some supplied length
 * was compared with a `sizeof`/`FIELD_OFFSET` before the read.
 */
import { AstNode, child, descendants, nodeText } from '../ast';
import type { FunctionInfo } from '../index/functions';
import type { FunctionFlow } from './function-flow';
import { insideSizeContext, pathOf, stripCasts } from './paths';
import type { Taint } from './taint-answer';

export interface BufferRead {
  /** The access: `p->f`, `*p` or `p[k]`. */
  readonly node: AstNode;
  /** The buffer pointer read through. */
  readonly base: AstNode;
  readonly taint: Taint;
}

/**
 * The first unsized access in the function through an untrusted buffer whose source tags `accept` takes (each
 * buffer's first access is considered; one finding per function). Writes count too: a short output buffer is
 * overrun the same way.
 */
export function unsizedBufferReads(fn: FunctionInfo, flow: FunctionFlow, accept: (t: Taint) => boolean, options: { elements?: boolean; derefs?: boolean } = {}): BufferRead[] {
  const src = flow.file.source;
  const out: BufferRead[] = [];
  const seen = new Set<string>();
  const kinds = new Set(['field_expression']);
  if (options.derefs !== false) kinds.add('pointer_expression');
  if (options.elements !== false) kinds.add('subscript_expression');
  for (const n of descendants(fn.body, kinds)) {
    if (n.type === 'field_expression' && nodeText(src, child(n, 'operator') ?? n) !== '->') continue;
    if (n.type === 'pointer_expression' && nodeText(src, n).trimStart().startsWith('&')) continue;
    const arg = child(n, 'argument');
    if (!arg || insideSizeContext(src, n) || insideAddressOf(n)) continue;
    const base = stripCasts(arg);
    const t = flow.taint(base);
    if (!t || !t.has('buffer') || t.has('user-pointer') || t.sizeChecked || !accept(t)) continue;
    const key = pathOf(src, base) ?? nodeText(src, base);
    if (seen.has(key)) continue;
    seen.add(key);
    if (flow.lengthChecked(n)) continue;
    // One missing check per function: the first unsized access is where it belongs.
    return [{ node: n, base, taint: t }];
  }
  return out;
}

/** `&req->Field` computes an address inside the buffer without reading it. */
function insideAddressOf(n: AstNode): boolean {
  let cur = n;
  let up = n.parent;
  // `&p->a.b[2]`: climb through the member and element selections the address is taken of (not into an index).
  while (up && (up.type === 'parenthesized_expression' || ((up.type === 'field_expression' || up.type === 'subscript_expression') && cur.field === 'argument'))) {
    cur = up;
    up = up.parent;
  }
  return up?.type === 'pointer_expression' && up.children[0] !== undefined && !up.children[0].named && up.children[0].type === '&';
}
