/**
 * Reachability between two points of a function without passing a redefinition: "does the value `p` had at
 * `from` still reach `to`?" (use after free, unchecked allocation results, double fetches).
 */
import { AstNode, child, nodeText, TextSource } from '../ast';
import type { Cfg, CfgNode } from './cfg';
import type { FunctionFlow } from './function-flow';
import { isPathBelow, pathOf, stripCasts } from './paths';
import { declaratorName, declarations, effectNodes } from './solve';

/**
 * The access paths one evaluated AST node redefines: assignment targets (any operator), `++`/`--` operands,
 * declared names, and `&x` arguments of calls (out-parameters).
 */
export function pathsDefinedBy(src: TextSource, n: AstNode): string[] {
  if (n.type === 'assignment_expression' || n.type === 'update_expression') {
    const target = child(n, n.type === 'assignment_expression' ? 'left' : 'argument');
    const p = target && pathOf(src, target);
    return p ? [p] : [];
  }
  if (n.type === 'declaration') return declarations(n).flatMap((d) => declaratorName(src, d.declarator) ?? []);
  if (n.type !== 'call_expression') return [];
  const out: string[] = [];
  for (const a of child(n, 'arguments')?.children ?? []) {
    const s = a.named ? stripCasts(a) : undefined;
    if (s?.type !== 'pointer_expression' || !nodeText(src, s).startsWith('&')) continue;
    const inner = child(s, 'argument');
    const p = inner && pathOf(src, inner);
    if (p) out.push(p);
  }
  return out;
}

/** The access paths a CFG node redefines; with `stopAt`, only effects finished before that offset. */
export function definedPaths(cfg: Cfg, src: TextSource, node: CfgNode, stopAt?: number): string[] {
  return effectNodes(cfg, node, stopAt).flatMap((n) => pathsDefinedBy(src, n));
}

/** True when writing `defined` changes the value of `path` (the path itself, or anything it hangs off). */
export function redefines(defined: string, path: string): boolean {
  return defined === path || isPathBelow(path, defined);
}

/**
 * True when some path leads from just after `from` to `to` without passing a node where `blocked` holds. `to`
 * itself is never tested; `from` is, when a path comes back around to it.
 */
export function reachesWithout(cfg: Cfg, from: CfgNode, to: CfgNode, blocked: (n: CfgNode) => boolean): boolean {
  const seen = new Set<number>();
  const stack = [...from.succs];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    if (id === to.id) return true;
    const n = cfg.nodes[id];
    if (blocked(n)) continue;
    stack.push(...n.succs);
  }
  return false;
}

/**
 * Does the value `path` holds just after `from` is evaluated reach the evaluation of `to`, with no redefinition
 * of `path` (or of anything it hangs off) on some path in between? Within one CFG node, source order decides.
 */
export function valueReaches(flow: FunctionFlow, path: string, from: AstNode, to: AstNode): boolean {
  const a = flow.nodeOf(from);
  const b = flow.nodeOf(to);
  if (!a || !b || !flow.reachable(to)) return false;
  const src = flow.file.source;
  const cfg = flow.cfg;
  // Redefinitions inside one node, between two offsets (effects are listed in evaluation order).
  const killedIn = (n: CfgNode, after: number, before?: number): boolean =>
    effectNodes(cfg, n, before).some((e) => e.start >= after && pathsDefinedBy(src, e).some((d) => redefines(d, path)));
  if (a === b && from.end <= to.start) return !killedIn(a, from.end, to.start);
  if (killedIn(a, from.end) || killedIn(b, b.ast?.start ?? 0, to.start)) return false;
  return reachesWithout(cfg, a, b, (n) => definedPaths(cfg, src, n).some((d) => redefines(d, path)));
}
