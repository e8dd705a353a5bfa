/**
 * An uninitialised allocation whose whole block is filled right after it (`memset(p, 0, n)` with the allocation's
 * own size) leaks nothing: no byte can be read before it is written. Only fills that come next are taken, with
 * nothing in between that could read the block.
 */
import type { RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, nodeText, TextSource, unwrap, walk } from '../../server/src/engine/ast';
import { pathOf, stripCasts } from '../../server/src/engine/flow/paths';
import { COPY_CALLS } from '../../server/src/engine/flow/sources';
import { callArgs, calleeName, statementOf } from '../../server/src/engine/syntax';

/** Routines that write every byte of their first argument: where the length goes. */
const FILLS: Record<string, number> = { memset: 2, RtlZeroMemory: 1, RtlSecureZeroMemory: 1, RtlFillMemory: 1, RtlZeroBytes: 1, RtlFillBytes: 1 };

/** The variable or field an allocation's result is stored in (`p = (T *)Alloc(...)`, `T *p = Alloc(...)`). */
function storedIn(src: TextSource, call: AstNode): AstNode | undefined {
  let up = call;
  while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
  const p = up.parent;
  if (p?.type === 'init_declarator') {
    let d = child(p, 'declarator');
    while (d && d.type === 'pointer_declarator') d = child(d, 'declarator');
    return d;
  }
  const op = p?.type === 'assignment_expression' ? p.children.find((c) => c.field === 'operator') : undefined;
  return p && op && up.field === 'right' && nodeText(src, op) === '=' ? child(p, 'left') : undefined;
}

const sameText = (ctx: RuleContext, a: AstNode, b: AstNode): boolean =>
  ctx.text(stripCasts(a)).replace(/\s+/g, '') === ctx.text(stripCasts(b)).replace(/\s+/g, '');

/** `s` fills the block at `path` with `size` bytes, directly or under `if (p)` / `if (p != NULL)`. */
function fills(ctx: RuleContext, s: AstNode, path: string, size: AstNode): boolean {
  if (s.type === 'if_statement' && !child(s, 'alternative')) {
    const cond = child(s, 'condition');
    const test = cond && unwrap(cond);
    const tested = test && (pathOf(ctx.file.source, test) === path || (test.type === 'binary_expression' && ctx.text(test.children.find((c) => c.field === 'operator')!) === '!=' && [child(test, 'left'), child(test, 'right')].some((x) => x && ['NULL', '0', 'nullptr'].includes(ctx.text(x))) && [child(test, 'left'), child(test, 'right')].some((x) => x && pathOf(ctx.file.source, x) === path)));
    const body = child(s, 'consequence');
    const first = body?.type === 'compound_statement' ? body.children.find((c) => c.named && c.type !== 'comment') : body;
    return !!tested && !!first && fills(ctx, first, path, size);
  }
  const call = s.type === 'expression_statement' ? s.children.find((c) => c.named) : undefined;
  if (!call || unwrap(call).type !== 'call_expression') return false;
  const c = unwrap(call);
  const at = FILLS[calleeName(ctx.file, c) ?? ''];
  const args = callArgs(c);
  return at !== undefined && !!args[0] && !!args[at] && pathOf(ctx.file.source, args[0]) === path && sameText(ctx, args[at], size);
}

/** Nothing in `s` reads the block: it is only tested, or handed as itself to a call that is not a copy. */
function leavesBlockAlone(ctx: RuleContext, s: AstNode, path: string): boolean {
  let ok = true;
  walk(s, (n) => {
    if (!ok) return false;
    if (pathOf(ctx.file.source, n) !== path || n.type === 'call_expression') return true;
    let up = n;
    while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
    const p = up.parent;
    const call = p?.type === 'argument_list' ? p.parent : undefined;
    const handed = !!call && !COPY_CALLS.has(calleeName(ctx.file, call) ?? '');
    const op = p && (p.type === 'binary_expression' || p.type === 'unary_expression') ? ctx.text(p.children.find((c) => c.field === 'operator')!) : '';
    const tested = up.field === 'condition' || ['==', '!=', '!'].includes(op);
    ok = handed || tested;
    return false;
  });
  return ok;
}

/** True when the block `call` allocates is filled in full before anything can read it. */
export function filledInFull(ctx: RuleContext, call: AstNode): boolean {
  const size = callArgs(call)[1];
  const target = storedIn(ctx.file.source, call);
  const path = target && pathOf(ctx.file.source, target);
  const stmt = statementOf(call);
  if (!size || !path || !stmt?.parent) return false;
  for (const s of stmt.parent.children.slice(stmt.index + 1)) {
    if (!s.named || s.type === 'comment') continue;
    if (fills(ctx, s, path, size)) return true;
    if (!leavesBlockAlone(ctx, s, path)) return false;
  }
  return false;
}
