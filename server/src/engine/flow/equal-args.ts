/**
 * Calls that pass one value as two parameters (`Io(Irp, Len, Len)`) cannot reach code that runs only when those
 * parameters differ (`if (Shown != Len) ... Len - Shown`). Where every call passing a parameter an unchecked value
 * is such a call (`ParamSeed.equalWhenUnchecked`), the parameter is checked under that test.
 */
import type { AstNode, TextSource } from '../ast';
import type { ParamSeed } from '../analysis';
import type { FunctionInfo } from '../index/functions';
import type { GuardState } from './guards';
import { pathOf } from './paths';

/**
 * Whether `guards` hold a test that parameter `index` differs from another parameter to which every unchecked call
 * passes the same value, made while both still held what the call passed (`unchanged`).
 */
export function uncheckedCallsExcluded(src: TextSource, fn: FunctionInfo, index: number, seed: ParamSeed, guards: GuardState, unchanged: (name: string, at: AstNode) => boolean): boolean {
  const nameOf = (i: number): string => fn.params.find((p) => p.index === i)?.name ?? '';
  const name = nameOf(index);
  if (!name || !seed.equalWhenUnchecked?.length) return false;
  const others = new Set(seed.equalWhenUnchecked.map(nameOf).filter(Boolean));
  return (guards.facts.get(name) ?? []).some((g) => {
    if (g.rel !== 'ne' || !g.bound || g.path !== name) return false;
    const other = pathOf(src, g.bound);
    return !!other && others.has(other) && unchanged(name, g.cond) && unchanged(other, g.cond);
  });
}
