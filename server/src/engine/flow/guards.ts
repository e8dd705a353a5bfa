/**
 * Guards: which comparisons hold at a program point, per access path. A must analysis over the CFG: a guard
 * survives a join only if it holds on every incoming path, and dies when its path (or anything it hangs off) is
 * redefined. Established by `assume` nodes (if/loop/&&/||/?: conditions), validated calls (`NT_SUCCESS(
 * RtlULongAdd(a, b, &c))`, `if (!IsValid(x))`) and status variables checked later (`s = Check(x); if
 * (!NT_SUCCESS(s))`). A copy `x = p` shares guards both ways until either side is redefined. This module holds the
 * facts, the state that carries them and the join; what each node does to them is guard-transfer.ts.
 */
import type { AstNode } from '../ast';
import { isPathBelow } from './paths';

/**
 * What a guard proves about its path's value: `upper` (x < b or x <= b), `lower`, `eq` (x == b), `ne`,
 * `nonzero`/`zero` (truth tests and NULL checks), `validated` (passed to a checking call that succeeded).
 */
export type GuardRel = 'upper' | 'lower' | 'eq' | 'ne' | 'nonzero' | 'zero' | 'validated';

export interface Guard {
  readonly id: string;
  readonly rel: GuardRel;
  /** The path the comparison was written on (an alias of the queried path, or the path itself). */
  readonly path: string;
  /** The atomic condition, or the validating call. */
  readonly cond: AstNode;
  /** The other side of the comparison, when there is one. */
  readonly bound: AstNode | undefined;
  /** The compared expression itself (the leaf inside `cond`), when the guard comes from a comparison. */
  readonly node: AstNode | undefined;
  /** Paths the bound reads: redefining one of them (a loop counter reused later) ends the guard. */
  readonly boundPaths?: readonly string[];
}

/** True when the guard bounds the value from above (or pins it). */
export function provesUpper(g: Guard): boolean {
  return g.rel === 'upper' || g.rel === 'eq' || g.rel === 'zero' || g.rel === 'validated';
}

/** True when the guard is any range comparison or validation (not a mere truth or NULL test). */
export function provesCompared(g: Guard): boolean {
  return g.rel !== 'nonzero' && g.rel !== 'zero' && g.rel !== 'ne';
}

export interface GuardState {
  readonly facts: ReadonlyMap<string, readonly Guard[]>;
  /** `x -> p` after `x = p`: guards on either apply to both. */
  readonly alias: ReadonlyMap<string, string>;
  /** Status variables: `s = Check(a, b)` remembers a and b, validated when s is tested. */
  readonly pending: ReadonlyMap<string, { readonly call: AstNode; readonly paths: readonly string[] }>;
  /** `size = hdr + count * 4` remembers its inputs: an upper bound on `size` bounds `count` too. */
  readonly derived: ReadonlyMap<string, Derived>;
}

interface Derived {
  readonly value: AstNode;
  readonly leaves: readonly { readonly path: string; readonly sign: 1 | -1; readonly node: AstNode }[];
}

export const EMPTY_GUARDS: GuardState = { facts: new Map(), alias: new Map(), pending: new Map(), derived: new Map() };

/**
 * The guard state while one node's effects are applied (guard-transfer.ts): adding a guard reaches the path's
 * aliases and a derived value's inputs, and redefining a path ends what hangs off it.
 */
export class Mut {
  facts: Map<string, readonly Guard[]>;
  alias: Map<string, string>;
  pending: Map<string, { call: AstNode; paths: readonly string[] }>;
  derived: Map<string, Derived>;
  /** Bumped on every change, so snapshots are taken only after changes. */
  version = 0;
  /** Which maps this object has copied and may change (bits: facts 1, alias 2, pending 4, derived 8). */
  private owned = 0;
  /**
   * `body`: the function's body. Guard ids name their condition by its offsets from the body's start, which an
   * edit elsewhere in the file does not change: an editor re-parse that moved the function keeps its solved flow.
   */
  constructor(
    s: GuardState,
    private readonly body: AstNode,
  ) {
    this.facts = s.facts as Map<string, readonly Guard[]>;
    this.alias = s.alias as Map<string, string>;
    this.pending = s.pending as Map<string, { call: AstNode; paths: readonly string[] }>;
    this.derived = s.derived as Map<string, Derived>;
  }
  /** The id of a guard `cond` proves (`rel` of `path`). */
  guardId(cond: AstNode, rel: string, path: string): string {
    return `${cond.start - this.body.start}:${cond.end - this.body.start}:${rel}:${path}`;
  }

  /**
   * Copy on first write, map by map: most statements change no guard, and most that do change one map. The maps
   * of the input state, and of any snapshot handed out, are shared until then.
   */
  ownFacts(): Map<string, readonly Guard[]> {
    return (this.facts = this.writable(1, this.facts));
  }
  ownAlias(): Map<string, string> {
    return (this.alias = this.writable(2, this.alias));
  }
  ownPending(): Map<string, { call: AstNode; paths: readonly string[] }> {
    return (this.pending = this.writable(4, this.pending));
  }
  ownDerived(): Map<string, Derived> {
    return (this.derived = this.writable(8, this.derived));
  }
  /** `map` itself if this object owns it (bit `bit`), else a copy it now owns. */
  private writable<K, V>(bit: number, map: Map<K, V>): Map<K, V> {
    if (this.owned & bit) return map;
    this.owned |= bit;
    return new Map(map);
  }
  freeze(): GuardState {
    return { facts: this.facts, alias: this.alias, pending: this.pending, derived: this.derived };
  }
  /** The state as it is now; later changes copy the maps they touch first (nothing is copied here). */
  snapshot(): GuardState {
    this.owned = 0;
    return this.freeze();
  }
  add(path: string, g: Guard): void {
    const d = this.derived.get(path);
    if (d && (g.rel === 'upper' || g.rel === 'eq' || g.rel === 'validated')) {
      for (const l of d.leaves) {
        const rel: GuardRel = g.rel === 'validated' ? 'validated' : l.sign > 0 ? 'upper' : 'lower';
        this.addOne(l.path, { ...g, id: `${g.id}>${l.path}`, rel, path: l.path, node: l.node });
      }
    }
    this.addOne(path, g);
  }
  /** Adds `g` to `path`, to what `path` aliases, and to what aliases `path` (each once, in that order). */
  private addOne(path: string, g: Guard): void {
    this.addTo(path, g);
    const a = this.alias.get(path);
    if (a && a !== path) this.addTo(a, g);
    this.alias.forEach((v, k) => {
      if (v === path && k !== path && k !== a) this.addTo(k, g);
    });
  }
  private addTo(path: string, g: Guard): void {
    const list = this.facts.get(path) ?? [];
    if (!list.some((x) => x.id === g.id)) {
      this.ownFacts().set(path, [...list, g]);
      this.version++;
    }
  }
  kill(path: string): void {
    const hit = (k: string): boolean => isPathBelow(k, path);
    const stale = (g: Guard): boolean => !!g.boundPaths && g.boundPaths.some(hit);
    let any = false;
    for (const [k, list] of this.facts) {
      if (!hit(k) && !list.some(stale)) continue;
      const facts = this.ownFacts();
      if (hit(k)) facts.delete(k);
      else {
        const keep = list.filter((g) => !stale(g));
        if (keep.length) facts.set(k, keep);
        else facts.delete(k);
      }
      any = true;
    }
    for (const [k, v] of this.alias) {
      if (hit(k) || hit(v)) {
        this.ownAlias().delete(k);
        any = true;
      }
    }
    for (const k of this.pending.keys()) {
      if (hit(k)) {
        this.ownPending().delete(k);
        any = true;
      }
    }
    for (const [k, d] of this.derived) {
      if (hit(k) || d.leaves.some((l) => hit(l.path))) {
        this.ownDerived().delete(k);
        any = true;
      }
    }
    if (any) this.version++;
  }
}

/** Whether a name is a signed integer in the function (its decrement cannot wrap). */
export type IsSigned = (name: string) => boolean;

export function guardJoin(a: GuardState, b: GuardState): GuardState {
  if (a === b) return a;
  const facts = new Map<string, readonly Guard[]>();
  for (const [k, list] of a.facts) {
    const other = b.facts.get(k);
    if (!other) continue;
    const keep = list.filter((g) => other.some((o) => o.id === g.id));
    if (keep.length) facts.set(k, keep);
  }
  const alias = new Map<string, string>();
  for (const [k, v] of a.alias) if (b.alias.get(k) === v) alias.set(k, v);
  const pending = new Map<string, { call: AstNode; paths: readonly string[] }>();
  for (const [k, v] of a.pending) if (b.pending.get(k)?.call === v.call) pending.set(k, v);
  const derived = new Map<string, Derived>();
  for (const [k, v] of a.derived) if (b.derived.get(k)?.value === v.value) derived.set(k, v);
  return { facts, alias, pending, derived };
}

export function guardEqual(a: GuardState, b: GuardState): boolean {
  if (a === b) return true;
  if (a.facts.size !== b.facts.size || a.alias.size !== b.alias.size || a.pending.size !== b.pending.size || a.derived.size !== b.derived.size) return false;
  for (const [k, v] of a.derived) if (b.derived.get(k)?.value !== v.value) return false;
  for (const [k, list] of a.facts) {
    const other = b.facts.get(k);
    if (!other || other.length !== list.length || list.some((g) => !other.some((o) => o.id === g.id))) return false;
  }
  for (const [k, v] of a.alias) if (b.alias.get(k) !== v) return false;
  for (const [k, v] of a.pending) if (b.pending.get(k)?.call !== v.call) return false;
  return true;
}
