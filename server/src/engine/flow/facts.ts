/**
 * Taint facts: what the may analysis tracks per access path. Parameters are symbolic (`param i`, read through
 * `loads` pointers) so that one analysis serves both the per-file summary and, once the project index says what
 * each parameter receives, the rules (`instantiate`).
 */
import type { AstNode } from '../ast';
import type { Range } from '../source';
import { BUF, USER, VAL } from './sources';

export interface Step {
  readonly node?: AstNode;
  readonly file?: string;
  readonly range?: Range;
  readonly label: string;
}

interface StepChain {
  readonly step: Step;
  readonly prev: StepChain | undefined;
  readonly depth: number;
}

export interface Fact {
  /** Concrete kinds (BUF | USER | VAL bits). */
  readonly kinds: number;
  /** Symbolic parameter labels: `index * 4 + loads` (loads capped at 3), sorted. */
  readonly params: readonly number[];
  readonly tags: readonly string[];
  readonly chain: StepChain | undefined;
  /** Masked, `min`'d or derived only from range-checked values. */
  readonly bounded: boolean;
  /**
   * When not `bounded`: the parameter labels that entered unchecked, if only parameters did (every concrete
   * contribution was checked). `x = Self->Head + checkedLen` is loose in `Self` alone, so it is bounded for a
   * caller that passes a trusted `Self`. Absent: some concrete source is unchecked.
   */
  readonly looseParams?: readonly number[];
  /** A buffer known to be at least as large as the code expects (WDF `MinimumRequiredSize`). */
  readonly sizeChecked: boolean;
  /** A supplied length of an untrusted buffer. */
  readonly length: boolean;
  /** Read through an untrusted pointer. */
  readonly loaded: boolean;
  /** Raw `+ - * <<` on an unchecked untrusted operand that fed this value. */
  readonly arith: AstNode | undefined;
  /** Largest value possible by construction (an 8-bit type, `& 0xF`, `>> 4` of a byte), when known. */
  readonly max?: number;
  /**
   * The constant this value was divided by (`n = Len / sizeof(WCHAR)`), as a `quotient.ts` key: a product with a
   * constant no larger is at most the dividend and cannot wrap. Dropped by anything that may make the value larger.
   */
  readonly divisor?: string;
}

/**
 * Explicitly clean: stops a path's value from being derived from its base (`req->Len = 16`). It holds every field,
 * in the order `union` writes them, and the other facts are copies of it or of each other: all facts then share
 * one object shape, so the solver's hot paths see a single shape instead of one per way a fact was made (a new
 * shape met late made the optimised code be thrown away and compiled again).
 */
export const CLEAN: Fact = { kinds: 0, params: [], tags: [], chain: undefined, bounded: true, looseParams: undefined, sizeChecked: false, length: false, loaded: false, arith: undefined, max: undefined, divisor: undefined };

export const MAX_STEPS = 10;

export function isTainted(f: Fact | undefined): f is Fact {
  return !!f && (f.kinds !== 0 || f.params.length !== 0);
}

export function withStep(f: Fact, step: Step): Fact {
  const prev = f.chain;
  // Keep the source and the most recent steps when a path grows long.
  if (prev && prev.depth >= MAX_STEPS) {
    const steps = stepsOf(prev);
    let chain: StepChain | undefined;
    for (const s of [steps[0], ...steps.slice(steps.length - (MAX_STEPS - 2))]) chain = { step: s, prev: chain, depth: (chain?.depth ?? 0) + 1 };
    return { ...f, chain: { step, prev: chain, depth: (chain?.depth ?? 0) + 1 } };
  }
  return { ...f, chain: { step, prev, depth: (prev?.depth ?? 0) + 1 } };
}

export function stepsOf(chain: StepChain | undefined): Step[] {
  const out: Step[] = [];
  for (let c = chain; c; c = c.prev) out.push(c.step);
  return out.reverse();
}

export function sourceFact(kind: number, tag: string, label: string, node: AstNode, extra: Partial<Fact> = {}): Fact {
  return withStep({ ...CLEAN, bounded: false, kinds: kind, tags: [tag], ...extra }, { node, label });
}

export function paramFact(index: number, kinds: number, tags: readonly string[], node: AstNode, label: string, length = false): Fact {
  return withStep({ ...CLEAN, bounded: false, looseParams: kinds ? undefined : [index * 4], kinds, params: [index * 4], tags: [...tags].sort(), length }, { node, label });
}

function mergeSorted<T>(a: readonly T[], b: readonly T[]): readonly T[] {
  if (!b.length || a === b) return a;
  if (!a.length) return b;
  const set = new Set<T>(a);
  let grew = false;
  for (const x of b) if (!set.has(x)) {
    set.add(x);
    grew = true;
  }
  return grew ? [...set].sort() : a;
}

/** Union at joins and for expressions combining several values. */
export function union(a: Fact | undefined, b: Fact | undefined): Fact | undefined {
  if (!isTainted(a)) return isTainted(b) ? b : a === CLEAN && b === CLEAN ? CLEAN : undefined;
  if (!isTainted(b) || a === b) return a;
  const preferB = !a.kinds && !!b.kinds;
  return {
    kinds: a.kinds | b.kinds,
    params: mergeSorted(a.params, b.params),
    tags: mergeSorted(a.tags, b.tags),
    chain: preferB ? b.chain : a.chain,
    bounded: a.bounded && b.bounded,
    looseParams: a.bounded && b.bounded ? undefined : looseUnion(a, b),
    sizeChecked: a.sizeChecked && b.sizeChecked,
    length: a.length || b.length,
    loaded: a.loaded || b.loaded,
    arith: a.arith ?? b.arith,
    max: a.max !== undefined && b.max !== undefined ? Math.max(a.max, b.max) : undefined,
    divisor: a.divisor === b.divisor ? a.divisor : undefined,
  };
}

/** The unchecked parameters of an unbounded union, or undefined when a concrete contribution is unchecked. */
function looseUnion(a: Fact, b: Fact): readonly number[] | undefined {
  const la = a.bounded ? [] : a.looseParams;
  const lb = b.bounded ? [] : b.looseParams;
  return la && lb ? mergeSorted(la, lb) : undefined;
}

/** The value read through a pointer with taint `f`. */
export function load(f: Fact | undefined): Fact | undefined {
  if (!isTainted(f)) return undefined;
  return {
    ...f,
    kinds: f.kinds ? VAL : 0,
    params: f.params.length ? [...new Set(f.params.map((c) => (c & 3) === 3 ? c : c + 1))].sort((x, y) => x - y) : f.params,
    bounded: false,
    looseParams: f.kinds ? undefined : [...new Set(f.params.map((c) => (c & 3) === 3 ? c : c + 1))].sort((x, y) => x - y),
    sizeChecked: false,
    length: false,
    loaded: true,
    arith: undefined,
    max: undefined,
    divisor: undefined,
  };
}

/** `&x`: a pointer to memory holding `f` (a pointer into an untrusted buffer stays an untrusted buffer). */
export function addressOf(f: Fact | undefined): Fact | undefined {
  if (!isTainted(f)) return undefined;
  const ptr = f.kinds & (BUF | USER);
  return {
    ...f,
    kinds: ptr ? ptr : f.kinds ? BUF : 0,
    params: f.params.map((c) => ((c & 3) === 0 ? c : c - 1)),
    loaded: false,
    bounded: false,
    looseParams: undefined,
    length: false,
    max: undefined,
    divisor: undefined,
  };
}

export function factEqual(a: Fact | undefined, b: Fact | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  if (a.kinds !== b.kinds || a.bounded !== b.bounded || a.sizeChecked !== b.sizeChecked || a.length !== b.length || a.loaded !== b.loaded || a.arith !== b.arith || a.max !== b.max || a.divisor !== b.divisor) return false;
  if (a.params.length !== b.params.length || a.tags.length !== b.tags.length) return false;
  for (let i = 0; i < a.params.length; i++) if (a.params[i] !== b.params[i]) return false;
  for (let i = 0; i < a.tags.length; i++) if (a.tags[i] !== b.tags[i]) return false;
  return true;
}

export type TaintState = ReadonlyMap<string, Fact>;

export function stateJoin(a: TaintState, b: TaintState): TaintState {
  if (a === b || b.size === 0) return a;
  if (a.size === 0) return b;
  // A path missing on one side is derived from its base there, so "clean" on the other side does not survive.
  const out = new Map<string, Fact>();
  for (const [k, f] of a) {
    const g = b.get(k);
    if (g) {
      const u = union(f, g);
      if (u) out.set(k, u);
    } else if (f !== CLEAN) out.set(k, f);
  }
  for (const [k, g] of b) if (!a.has(k) && g !== CLEAN) out.set(k, g);
  return out;
}

export function stateEqual(a: TaintState, b: TaintState): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, f] of a) if (!factEqual(f, b.get(k))) return false;
  return true;
}
