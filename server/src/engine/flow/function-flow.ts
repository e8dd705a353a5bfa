/**
 * `FunctionFlow`: everything a rule asks about one function's data flow. Built lazily: the CFG on creation, the
 * guard analysis on the first guard or taint question, the taint analysis only when something untrusted can
 * reach the function at all. Where untrusted data enters a function is `function-inputs.ts`; how a solved fact
 * becomes a rule's answer, `taint-answer.ts`.
 */
import { AstNode, descendants, nodeText, TextSource, walk } from '../ast';
import type { EntryPointRole, ParamSeed, ProjectIndex } from '../analysis';
import type { EngineConfig } from '../config';
import type { FunctionInfo } from '../index/functions';
import type { ParsedFile } from '../parse/parse';
import { buildCfg, Cfg, CfgNode } from './cfg';
import { computeDominators, Dominators } from './dominators';
import { Fact, isTainted, TaintState, stateEqual, stateJoin } from './facts';
import { uncheckedCallsExcluded } from './equal-args';
import { entryState, functionHasTaint } from './function-inputs';
import { guardTransfer, isPureCall, WritesNothing } from './guard-transfer';
import { EMPTY_GUARDS, Guard, guardEqual, guardJoin, GuardState, IsSigned, provesCompared, provesUpper } from './guards';
import { leavesOf, pathOf } from './paths';
import { macroDefinitionsKey, macroWritesNothing } from './pure-macros';
import { macroJson } from './macro-table';
import type { MacroLookup } from './macro-values';
import { solveForward, Solution } from './solve';
import { isIntSafeCall } from './sources';
import { callArguments, calleeName, evalExpr, TaintEnv } from './taint';
import { instantiate, SeedChecker, Taint } from './taint-answer';
import { taintTransfer } from './taint-transfer';
import { declaredTypes, NameType } from './types';

/** A checked `RtlULongSub(len, sizeof(HDR), &rest)` (any ntintsafe subtraction of a size): on success `len` holds it. */
function subtractsSize(src: TextSource, call: AstNode | undefined): boolean {
  const name = call?.type === 'call_expression' ? calleeName(src, call) : undefined;
  return !!name && isIntSafeCall(name) && name.endsWith('Sub') && mentionsSize(src, callArguments(call!)[1]);
}

/** True when an expression contains `sizeof`, `FIELD_OFFSET` or a similar size constant. */
export function mentionsSize(src: TextSource, n: AstNode | undefined): boolean {
  if (!n) return false;
  let found = false;
  walk(n, (c) => {
    if (found) return false;
    if (c.type === 'sizeof_expression' || c.type === 'offsetof_expression') found = true;
    else if (c.type === 'call_expression') {
      const name = calleeName(src, c);
      if (/^(FIELD_OFFSET|RTL_SIZEOF_THROUGH_FIELD|RTL_FIELD_SIZE|offsetof|sizeof|FIELD_SIZE)$/.test(name)) found = true;
    } else if (c.type === 'identifier' && /(_SIZE|_LENGTH|_LEN|SIZEOF_\w+)$/.test(nodeText(src, c)) && /^[A-Z0-9_]+$/.test(nodeText(src, c))) found = true;
    return !found;
  });
  return found;
}

/** A state after an effect, with the effect's end as an offset from the body's start (see `reusedIn`). */
interface Checkpoint<S> {
  readonly end: number;
  readonly state: S;
}

/** The state after the last effect that finished at or before `at`, relative (effects' ends never decrease). */
function lastBefore<S>(cps: readonly Checkpoint<S>[], at: number): S | undefined {
  let lo = 0;
  let hi = cps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cps[mid].end <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? cps[lo - 1].state : undefined;
}

export interface FlowOptions {
  readonly project: ProjectIndex;
  readonly config: EngineConfig;
  /** Macros and single-return functions (`FileAnalysis.macros`). */
  readonly macros: MacroLookup;
}

/**
 * Which names are signed integers, for the guards' decrements. Built from the types alone: a closure over the flow
 * would keep it, and through it an earlier parse, alive in the copies `withProject` and `reusedIn` make.
 */
function signedIn(types: ReadonlyMap<string, NameType>): IsSigned {
  return (name) => !!types.get(name)?.signed;
}

/** Expression macros that write nothing through `&x` arguments: the file's own, or the project's (see pure-macros.ts). */
function writesNothingIn(file: ParsedFile, macros: MacroLookup): WritesNothing {
  return (name) => macroWritesNothing(file, name, isPureCall) || !!macros(name)?.readOnly;
}

/** Callee names of a body: what its solved states may have read from the macro lookup. */
function calleeNames(src: TextSource, body: AstNode): string[] {
  const names = new Set<string>();
  for (const call of descendants(body, 'call_expression')) names.add(calleeName(src, call));
  return [...names].sort();
}

/**
 * The environment the taint and guard transfers read. Declared types are worked out on first use: rules that only
 * walk the CFG (KS1206, KS1207) never need them. A copy for other macros shares the types of the environment it
 * copies.
 */
function taintEnv(file: ParsedFile, fn: FunctionInfo, cfg: Cfg, config: EngineConfig, macros: MacroLookup, from?: TaintEnv): TaintEnv {
  let types: ReadonlyMap<string, NameType> | undefined;
  return {
    src: file.source,
    cfg,
    config,
    macros,
    get types(): ReadonlyMap<string, NameType> {
      return (types ??= from ? from.types : declaredTypes(file.source, fn));
    },
  };
}

export class FunctionFlow implements SeedChecker {
  readonly cfg: Cfg;
  private dom: Dominators | undefined;
  private guardSol: Solution<GuardState> | undefined;
  private taintSol: Solution<TaintState> | undefined;
  private hasTaintCache: boolean | undefined;
  private readonly env: TaintEnv;
  private seeds: ReadonlyMap<number, ParamSeed> | undefined;

  /** What the macro lookup said of the body's callees when this flow was solved (see `sameMacros`). */
  private macroKey: string | undefined;
  private callees: string[] | undefined;

  constructor(
    readonly fn: FunctionInfo,
    readonly file: ParsedFile,
    private options: FlowOptions,
  ) {
    this.cfg = buildCfg(file.source, fn.body);
    this.env = taintEnv(file, fn, this.cfg, options.config, options.macros);
    this.seeds = options.project.paramTaint(fn.name, file.path);
  }

  /**
   * The same function under another project index: solved states are symbolic in the parameters, so they are
   * shared; only the instantiation with parameter seeds (and entry-point roles) changes.
   */
  withProject(project: ProjectIndex, macros: MacroLookup): FunctionFlow {
    // Solved states hold what the body's macro calls computed: under other macro facts, solve again.
    if (!this.sameMacros(macros)) return new FunctionFlow(this.fn, this.file, { ...this.options, project, macros });
    const copy = Object.assign(Object.create(FunctionFlow.prototype) as FunctionFlow, this);
    Object.assign(copy, { options: { ...this.options, project, macros }, env: taintEnv(this.file, this.fn, this.cfg, this.options.config, macros, this.env) });
    copy.seeds = project.paramTaint(this.fn.name, this.file.path);
    copy.hasTaintCache = undefined;
    return copy;
  }

  /**
   * This flow for the same function in an editor re-parse of its file, when the parse took the function's nodes
   * over (see buildAst): the same nodes over the same text, moved together if the edit was above, so every solved
   * state holds (what states keep of offsets is relative to the body's start: guard ids, checkpoints). Undefined
   * otherwise. Only the binding to the new parse and the project index changes.
   */
  reusedIn(fn: FunctionInfo, file: ParsedFile, project: ProjectIndex, macros: MacroLookup): FunctionFlow | undefined {
    if (fn.node !== this.fn.node || file.path !== this.file.path) return undefined;
    // Guards were solved with the old file's macros (what `&x` passed to them leaves alone).
    if (file !== this.file && macroDefinitionsKey(file) !== macroDefinitionsKey(this.file)) return undefined;
    if (!this.sameMacros(macros)) return undefined;
    const flow = this.withProject(project, macros);
    return Object.assign(flow, { fn, file, env: { ...flow.env, src: file.source } });
  }

  /** Whether `macros` says what this flow's lookup said of every callee of the body. */
  private sameMacros(macros: MacroLookup): boolean {
    const names = (this.callees ??= calleeNames(this.file.source, this.fn.body));
    const key = (lookup: MacroLookup): string => names.map((n) => macroJson(lookup(n))).join('\n');
    this.macroKey ??= key(this.env.macros);
    return macros === this.env.macros || key(macros) === this.macroKey;
  }

  /** The entry-point role of this function anywhere in the project (`wdm-device-control`, ...). */
  get role(): EntryPointRole | undefined {
    return this.options.project.entryPoint(this.fn.name);
  }

  /** Parameter seeds from the project index (what callers pass in). */
  get paramSeeds(): ReadonlyMap<number, ParamSeed> | undefined {
    return this.seeds;
  }

  get dominators(): Dominators {
    return (this.dom ??= computeDominators(this.cfg));
  }

  /** The CFG node evaluating an expression. */
  nodeOf(expr: AstNode): CfgNode | undefined {
    return this.cfg.ownerOf(expr);
  }

  /** True when every path from the function entry to `b` passes through `a` first. */
  dominates(a: AstNode, b: AstNode): boolean {
    const na = this.cfg.ownerOf(a);
    const nb = this.cfg.ownerOf(b);
    if (!na || !nb) return false;
    if (na === nb) return a.start <= b.start;
    return this.dominators.dominates(na.id, nb.id);
  }

  /** False for code no path from the entry reaches (after `return`, unused labels). */
  reachable(expr: AstNode): boolean {
    const n = this.cfg.ownerOf(expr);
    return !!n && this.dominators.reachable(n.id);
  }

  /** The macros and project functions whose values this flow read (`FileAnalysis.macros`). */
  get macros(): MacroLookup {
    return this.env.macros;
  }

  /** Whether anything untrusted can reach this function: a source inside it or a parameter seeded by a caller. */
  get hasTaint(): boolean {
    if (this.hasTaintCache === undefined) this.hasTaintCache = this.computeHasTaint();
    return this.hasTaintCache;
  }

  private computeHasTaint(): boolean {
    return functionHasTaint(this.fn, this.file, this.seeds, this.options.config, this.env.macros);
  }

  private guardSolution(): Solution<GuardState> {
    if (!this.guardSol) {
      const src = this.file.source;
      const cfg = this.cfg;
      const signed = signedIn(this.env.types);
      const pure = writesNothingIn(this.file, this.env.macros);
      this.guardSol = solveForward(cfg, this.dominators.rpo, {
        entry: EMPTY_GUARDS,
        transfer: (node, input) => guardTransfer(cfg, src, node, input, undefined, signed, pure),
        join: guardJoin,
        equal: guardEqual,
      });
    }
    return this.guardSol;
  }

  private taintSolution(): Solution<TaintState> {
    if (!this.taintSol) {
      const guards = this.guardSolution();
      this.taintSol = solveForward(this.cfg, this.dominators.rpo, {
        entry: entryState(this.fn),
        transfer: (node, input) => taintTransfer(this.env, node, input, guards.inOf[node.id] ?? EMPTY_GUARDS),
        join: stateJoin,
        equal: stateEqual,
      });
    }
    return this.taintSol;
  }

  private guardCps = new Map<number, Checkpoint<GuardState>[]>();
  private taintCps = new Map<number, Checkpoint<TaintState>[]>();
  private memos = new WeakMap<TaintState, WeakMap<GuardState, Map<AstNode, Fact | undefined>>>();

  /** Guard state just before offset `at` inside `node` (snapshots of the node's effects are cached). */
  private guardsAtNode(node: CfgNode, at: number): GuardState | undefined {
    const gIn = this.guardSolution().inOf[node.id];
    if (!gIn || node.kind === 'assume') return gIn;
    let cps = this.guardCps.get(node.id);
    if (!cps) {
      const list: Checkpoint<GuardState>[] = [];
      guardTransfer(this.cfg, this.file.source, node, gIn, (end, state) => list.push({ end: end - this.fn.body.start, state }), signedIn(this.env.types), writesNothingIn(this.file, this.env.macros));
      this.guardCps.set(node.id, (cps = list));
    }
    return lastBefore(cps, at - this.fn.body.start) ?? gIn;
  }

  /** Taint and guard states just before `expr` is evaluated; undefined in unreachable code. */
  stateAt(expr: AstNode): { taint: TaintState; guards: GuardState } | undefined {
    const node = this.cfg.ownerOf(expr);
    if (!node) return undefined;
    const guards = this.guardsAtNode(node, expr.start);
    const gIn = this.guardSolution().inOf[node.id];
    const tIn = this.taintSolution().inOf[node.id];
    if (!guards || !gIn || !tIn) return undefined;
    let cps = this.taintCps.get(node.id);
    if (!cps) {
      const list: Checkpoint<TaintState>[] = [];
      taintTransfer(this.env, node, tIn, gIn, (end, state) => list.push({ end: end - this.fn.body.start, state }));
      this.taintCps.set(node.id, (cps = list));
    }
    return { taint: lastBefore(cps, expr.start - this.fn.body.start) ?? tIn, guards };
  }

  private memo(st: { taint: TaintState; guards: GuardState }): Map<AstNode, Fact | undefined> {
    let byGuards = this.memos.get(st.taint);
    if (!byGuards) this.memos.set(st.taint, (byGuards = new WeakMap()));
    let m = byGuards.get(st.guards);
    if (!m) byGuards.set(st.guards, (m = new Map()));
    return m;
  }

  /** Guards only (no taint analysis): comparisons holding for `expr`'s access path just before `expr`. */
  guards(expr: AstNode): readonly Guard[] {
    const p = pathOf(this.file.source, expr);
    return p === undefined ? [] : this.guardsOn(p, expr);
  }

  /** Guards holding for an access path at the point of `at`. */
  guardsOn(path: string, at: AstNode): readonly Guard[] {
    return this.allGuards(at).get(path) ?? [];
  }

  /** Every path with at least one guard at the point of `at` (for rules that look for "any length check"). */
  allGuards(at: AstNode): ReadonlyMap<string, readonly Guard[]> {
    const node = this.cfg.ownerOf(at);
    const g = node && this.guardsAtNode(node, at.start);
    return g ? g.facts : new Map();
  }

  /** The symbolic fact of an expression (parameters unresolved); used by the per-file summary. */
  rawTaint(expr: AstNode): Fact | undefined {
    const st = this.stateAt(expr);
    return st ? evalExpr(this.env, st.taint, st.guards, expr, this.memo(st)) : undefined;
  }

  /** Is `expr` untrusted at its point in the function, and where does it come from? */
  taint(expr: AstNode): Taint | undefined {
    if (!this.hasTaint) return undefined;
    const f = this.rawTaint(expr);
    return isTainted(f) ? instantiate(f, this.seeds, this, this.stateAt(expr)?.guards) : undefined;
  }

  /**
   * True when every untrusted part of `expr` is range-checked at this point: bounded by construction (mask,
   * `min`, a caller's check) or each untrusted leaf has a dominating upper-bound guard.
   */
  isBounded(expr: AstNode): boolean {
    const t = this.taint(expr);
    if (!t || t.bounded) return true;
    const st = this.stateAt(expr);
    if (!st) return true;
    for (const leaf of leavesOf(this.file.source, expr)) {
      const lt = this.taint(leaf.node);
      if (!lt || lt.bounded) continue;
      if (!(st.guards.facts.get(leaf.path) ?? []).some(provesUpper)) return false;
    }
    return true;
  }

  /**
   * Like `isBounded` but over symbolic facts (parameters count as untrusted): used for call-site summaries, where
   * "the caller range-checked this argument" must hold whatever the parameter later turns out to receive.
   */
  rawBounded(expr: AstNode): boolean {
    const st = this.stateAt(expr);
    if (!st) return true;
    const memo = this.memo(st);
    const f = evalExpr(this.env, st.taint, st.guards, expr, memo);
    if (!isTainted(f) || f.bounded) return true;
    const leaves = leavesOf(this.file.source, expr);
    if (!leaves.length) return false;
    return leaves.every((l) => !isTainted(evalExpr(this.env, st.taint, st.guards, l.node, memo)) || (st.guards.facts.get(l.path) ?? []).some(provesUpper));
  }

  /**
   * True when, at `at`, some supplied buffer length is range-checked (`InputBufferLength < sizeof(REQ)`, a WDF
   * length out-parameter, a SAL size parameter, a caller's length) or any value is compared with a `sizeof`.
   * With `raw`, parameters count as possible lengths (summaries).
   */
  lengthChecked(at: AstNode, raw = false): boolean {
    const st = this.stateAt(at);
    if (!st) return false;
    for (const list of st.guards.facts.values()) {
      for (const g of list) {
        if (!provesCompared(g)) continue;
        if (mentionsSize(this.file.source, g.bound) || mentionsSize(this.file.source, g.node)) return true;
        if (g.rel === 'validated' && subtractsSize(this.file.source, g.cond)) return true;
        if (!g.node) continue;
        const f = raw ? this.rawTaint(g.node) : undefined;
        if (raw ? isTainted(f) && (f.length || f.params.some((c) => (c & 3) === 0)) : this.taint(g.node)?.length) return true;
      }
    }
    return false;
  }

  /**
   * A parameter's values are checked here: by every caller, or because the callers that did not cannot reach here.
   * Asked by `instantiate` (taint-answer.ts) for each parameter a fact depends on.
   */
  seedChecked(index: number, seed: ParamSeed, guards: GuardState | undefined): boolean {
    if (seed.bounded) return true;
    if (!guards || !seed.equalWhenUnchecked?.length) return false;
    return uncheckedCallsExcluded(this.file.source, this.fn, index, seed, guards, (name, at) => {
      const entry = this.taintSolution().inOf[this.cfg.entry]?.get(name);
      return !!entry && this.stateAt(at)?.taint.get(name) === entry;
    });
  }
}
