/**
 * Reads through an untrusted buffer made before anything established how large it is: the question behind
 * KS1105 (request buffers) and KS1004 (content, file, mapped and copied buffers). A buffer is sized when its
 * source guaranteed a minimum (WDF `MinimumRequiredSize`, a caller that checked) or when some supplied length
 * was compared with a `sizeof`/`FIELD_OFFSET` before the read.
 */
import { AstNode, child, descendants, nodeText } from '../ast';
import type { FunctionInfo } from '../index/functions';
import type { FunctionFlow, Taint } from './function-flow';
import { insideSizeContext, pathOf, stripCasts } from './paths';

export interface BufferRead {
  /** The access: `p->f`, `*p` or `p[k]`. */
  readonly node: AstNode;
  /** The buffer pointer read through. */
  readonly base: AstNode;
  readonly taint: Taint;
}

/**
 * The first unsized read through each untrusted buffer (by access path of the pointer) whose source tags
 * `accept` takes. Writes count too: a short output buffer is overrun the same way.
 */
export function unsizedBufferReads(fn: FunctionInfo, flow: FunctionFlow, accept: (t: Taint) => boolean): BufferRead[] {
  const src = flow.file.source;
  const out: BufferRead[] = [];
  const seen = new Set<string>();
  for (const n of descendants(fn.body, new Set(['field_expression', 'pointer_expression', 'subscript_expression']))) {
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
    out.push({ node: n, base, taint: t });
  }
  return out;
}

/** `&req->Field` computes an address inside the buffer without reading it. */
function insideAddressOf(n: AstNode): boolean {
  let up = n.parent;
  while (up && (up.type === 'parenthesized_expression' || up.type === 'field_expression')) up = up.parent;
  return up?.type === 'pointer_expression' && up.children[0] !== undefined && !up.children[0].named && up.children[0].type === '&';
}
