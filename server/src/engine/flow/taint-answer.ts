/**
 * The answer `FunctionFlow.taint` gives a rule. Solved facts are symbolic in the function's parameters so that one
 * analysis serves every project index; this is where a fact meets the callers' seeds and becomes concrete kinds,
 * tags, checks and a source-to-sink path.
 */
import type { AstNode } from '../ast';
import type { ParamSeed } from '../analysis';
import type { Range } from '../source';
import { Fact, stepsOf } from './facts';
import type { GuardState } from './guards';
import { BUF, kindsFromList, kindsToList, TaintKind, USER, VAL } from './sources';

/** One step of a source-to-sink path; the shape `ReportSpec.path` accepts. */
export interface FlowStep {
  readonly node?: AstNode;
  readonly file?: string;
  readonly range?: Range;
  readonly label: string;
}

/** The answer to "is this expression untrusted here, and where from?". */
export interface Taint {
  readonly kinds: readonly TaintKind[];
  has(kind: TaintKind): boolean;
  /** Source tags, e.g. `system-buffer`, `request-input-length`, `port-message`, `registry-data`. */
  readonly tags: readonly string[];
  /** Source first; the rule appends its sink step. */
  readonly steps: readonly FlowStep[];
  /** Masked, `min`'d, or derived only from range-checked values (including checks made by the caller). */
  readonly bounded: boolean;
  /** A buffer already known to be at least the expected size (WDF `MinimumRequiredSize`, a caller's check). */
  readonly sizeChecked: boolean;
  /** A supplied buffer length (request lengths, returned data lengths, the size named by SAL). */
  readonly length: boolean;
  /** Read through an untrusted pointer (a field of a request, an embedded pointer). */
  readonly loaded: boolean;
  /** Raw `+ - * <<` on an unchecked untrusted operand that produced this value. */
  readonly arith: AstNode | undefined;
  /** Largest value possible by construction (an 8-bit type, `& 0xF`, `>> 4` of a byte), when known. */
  readonly max: number | undefined;
}

/** Whether a parameter's values are checked at a point (`FunctionFlow.seedChecked`). */
export interface SeedChecker {
  seedChecked(index: number, seed: ParamSeed, guards: GuardState | undefined): boolean;
}

/**
 * An unbounded fact whose unchecked part is only parameters is bounded for callers that pass those parameters
 * nothing untrusted, or a range-checked value directly.
 */
function looseBounded(f: Fact, seeds: ReadonlyMap<number, ParamSeed> | undefined, checked: (index: number, seed: ParamSeed) => boolean): boolean {
  if (!f.looseParams) return false;
  return f.looseParams.every((code) => {
    const seed = seeds?.get(code >> 2);
    return !seed || ((code & 3) === 0 && checked(code >> 2, seed));
  });
}

/**
 * A symbolic fact as a rule's answer: each parameter it depends on takes the kinds, tags and checks its callers
 * gave it (see `ParamSeed`); undefined when nothing untrusted is left.
 */
export function instantiate(f: Fact, seeds: ReadonlyMap<number, ParamSeed> | undefined, flow: SeedChecker, guards?: GuardState): Taint | undefined {
  let kinds = f.kinds;
  const tags = new Set(f.tags);
  let length = f.length;
  let sizeChecked = f.sizeChecked;
  let loaded = f.loaded;
  let contribBounded = f.kinds === 0 || f.bounded;
  let firstSeed: ParamSeed | undefined;
  for (const code of f.params) {
    const seed = seeds?.get(code >> 2);
    if (!seed) continue;
    firstSeed ??= seed;
    const sk = kindsFromList(seed.kinds ?? [seed.kind]);
    for (const t of seed.tags ?? []) tags.add(t);
    if ((code & 3) === 0) {
      kinds |= sk;
      length ||= !!seed.length;
      if (sk & (BUF | USER)) sizeChecked ||= !!seed.sizeChecked;
      if (!flow.seedChecked(code >> 2, seed, guards)) contribBounded = false;
    } else {
      kinds |= VAL;
      loaded = true;
      contribBounded = false;
    }
  }
  if (!kinds) return undefined;
  const steps: FlowStep[] = [];
  if (f.kinds === 0 && firstSeed) {
    for (const s of firstSeed.path ?? []) steps.push({ file: s.file, range: s.range, label: s.label });
    if (!firstSeed.path?.length) steps.push({ label: firstSeed.origin });
  }
  steps.push(...stepsOf(f.chain));
  const list = kindsToList(kinds);
  return {
    kinds: list,
    has: (k) => list.includes(k),
    tags: [...tags].sort(),
    steps,
    bounded: f.bounded || contribBounded || looseBounded(f, seeds, (i, seed) => flow.seedChecked(i, seed, guards)),
    sizeChecked,
    length,
    loaded,
    arith: f.arith,
    max: f.max,
  };
}
