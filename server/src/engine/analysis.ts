/**
 * Per-file analysis services handed to rules: the function model, data flow and the project index.
 * Computed lazily and cached per file, so syntactic rules never pay for data flow.
 */
import type { AstNode, SubtreeMemo } from './ast';
import { DEFAULT_ENGINE_CONFIG, EngineConfig } from './config';
import { CfgTooComplex } from './flow/cfg';
import { FunctionFlow } from './flow/function-flow';
import { functionHasTaint } from './flow/function-inputs';
import { collectFunctions, FunctionInfo } from './index/functions';
import type { IoctlMethod } from './ioctl';
import type { MacroLookup, MacroSummary } from './flow/macro-values';
import { fileMacros, macroLookup } from './flow/macro-table';
import { memberTable, MemberFact, MemberLookup } from './flow/member-types';
import { memberChain } from './flow/member-chains';
import { typeDeclarations } from './index/members';
import type { ParsedFile } from './parse/parse';
import type { Range } from './source';

export type { FunctionInfo, ParamInfo } from './index/functions';

/**
 * Facts about the whole project that a single file cannot know: which functions' parameters receive untrusted
 * data from their callers, and which functions are driver entry points.
 */
export interface ProjectIndex {
  /**
   * Untrusted parameters of a function (by plain name), seeded from call sites and entry-point roles. With
   * `file`, the definition in that file is meant (static helpers of the same name in other files stay apart).
   */
  paramTaint(functionName: string, file?: string): ReadonlyMap<number, ParamSeed> | undefined;
  /** The entry-point role of a function, if it is registered as one anywhere in the project. */
  entryPoint(functionName: string): EntryPointRole | undefined;
  /** The transfer method of an IOCTL code defined somewhere in the project (undefined when unknown or defined differently twice). */
  ioctlMethod(name: string): IoctlMethod | undefined;
  /**
   * A function-like macro or single-return function of the project by name (see flow/macro-values.ts): null when
   * its definitions differ or one is another kind of function, undefined when the project defines no such name.
   */
  macro(name: string): MacroSummary | null | undefined;
  /**
   * The declared type of a structure member, by chain (`PFOO->Data`, see flow/member-chains.ts): null when the
   * project's declarations disagree, undefined when it declares no such type or member.
   */
  member(chain: string): MemberFact | null | undefined;
}

export type EntryPointRole =
  | 'wdm-dispatch'
  | 'wdm-device-control'
  /** IRP_MJ_READ/IRP_MJ_WRITE of a driver whose devices use direct I/O (see `findRegistrations`). */
  | 'wdm-direct-read-write'
  | 'kmdf-io-device-control'
  | 'kmdf-io-read'
  | 'kmdf-io-write'
  | 'kmdf-in-caller-context'
  | 'filter-message-notify'
  | 'filter-preop'
  | 'filter-postop'
  | 'notify-callback'
  | 'wfp-classify'
  | 'driver-entry'
  | 'registry-query-routine'
  | 'configured';

/** Why a parameter is untrusted, for the source-to-sink path shown to users. */
export interface ParamSeed {
  /** The main kind (the first of `kinds`). */
  readonly kind: 'buffer' | 'value' | 'user-pointer';
  /** Every kind the parameter may receive, when more than one. */
  readonly kinds?: readonly ('buffer' | 'value' | 'user-pointer')[];
  /** Human-readable origin, e.g. "SystemBuffer passed by DispatchIoctl (ioctl.c:42)". */
  readonly origin: string;
  readonly file?: string;
  readonly line?: number;
  /** Source tags carried over from the caller (`system-buffer`, `request-input-length`, ...). */
  readonly tags?: readonly string[];
  /** The parameter is a supplied buffer length. */
  readonly length?: boolean;
  /** Every caller checked the buffer's size before the call. */
  readonly sizeChecked?: boolean;
  /** Every caller range-checked the value before the call. */
  readonly bounded?: boolean;
  /**
   * Other parameters to which every call passing an unchecked value here passes the same value: code that runs
   * only when this parameter differs from one of them sees checked values (`if (Len != Shown) ... Len - Shown`).
   */
  readonly equalWhenUnchecked?: readonly number[];
  /** Steps before the call (in the callers' files), source first, ending at the call's argument. */
  readonly path?: readonly { readonly file: string; readonly range: Range; readonly label: string }[];
}

export const EMPTY_PROJECT: ProjectIndex = {
  paramTaint: () => undefined,
  entryPoint: () => undefined,
  ioctlMethod: () => undefined,
  macro: () => undefined,
  member: () => undefined,
};

export class FileAnalysis {
  private functionsCache: FunctionInfo[] | undefined;
  private readonly flows = new Map<FunctionInfo, FunctionFlow | null>();
  private readonly tainted = new Map<FunctionInfo, boolean>();
  /**
   * Flows as first built for this file, shared by every analysis derived with `withProject` (each instantiates
   * them under its own index). Shared rather than chained: deriving again and again from the latest analysis
   * (an editor re-analysing unchanged text) must not keep every earlier analysis alive.
   */
  private solved = new Map<FunctionInfo, FunctionFlow | null>();
  private macrosCache: MacroLookup | undefined;
  private membersCache: MemberLookup | undefined;
  /** Flows of the previous parse of this file in the editor, by function node (see `FunctionFlow.reusedIn`). */
  private inherited: Map<AstNode, FunctionFlow> | undefined;

  /**
   * `predecessor`: the analysis of the parse this file's parse was re-parsed from (the editor's path), whose flows
   * are reused for the functions the edit did not touch.
   */
  constructor(
    readonly file: ParsedFile,
    readonly project: ProjectIndex = EMPTY_PROJECT,
    readonly config: EngineConfig = DEFAULT_ENGINE_CONFIG,
    predecessor?: FileAnalysis,
  ) {
    if (predecessor && predecessor.config === config && predecessor.file.path === file.path) {
      this.inherited = new Map();
      for (const [fn, flow] of predecessor.solved) if (flow) this.inherited.set(fn.node, flow);
    }
  }

  get functions(): readonly FunctionInfo[] {
    if (!this.functionsCache) this.functionsCache = collectFunctions(this.file);
    return this.functionsCache;
  }

  /** The macros and single-return functions the data flow knows: the project's, else this file's own. */
  get macros(): MacroLookup {
    return (this.macrosCache ??= macroLookup(this.project, fileMacros(this.file, this.functions, this.config).lookup));
  }

  /** Member facts: the project's, else (an analysis without the project, as phase 1 summarizes) the file's own. */
  get members(): MemberLookup {
    if (!this.membersCache) {
      const project = this.project;
      let local: MemberLookup | undefined;
      this.membersCache = (chain) => {
        const m = project.member(chain);
        return m !== undefined ? m : (local ??= memberTable([typeDeclarations(this.file.source, this.file.root)]))(chain);
      };
    }
    return this.membersCache;
  }

  /** The declared type of the member `node` (a `->` or `.` expression) names, when the analysis knows it. */
  memberFact(fn: FunctionInfo, node: AstNode): MemberFact | undefined {
    const chain = memberChain(this.file.source, fn, node);
    return (chain && this.members(chain)) || undefined;
  }

  /**
   * Data flow of one function: CFG, dominators, guards and taint (see flow/README.md). Undefined for damaged
   * functions and for bodies too deep or large to analyse; data-flow rules skip those.
   */
  flow(fn: FunctionInfo): FunctionFlow | undefined {
    if (fn.damaged) return undefined;
    let f = this.flows.get(fn);
    if (f === undefined) {
      const b = this.solved.get(fn);
      if (b !== undefined) f = b && b.withProject(this.project, this.macros);
      else {
        try {
          f = this.inherited?.get(fn.node)?.reusedIn(fn, this.file, this.project, this.macros) ?? new FunctionFlow(fn, this.file, { project: this.project, config: this.config, macros: this.macros });
        } catch (err) {
          if (!(err instanceof CfgTooComplex)) throw err;
          f = null;
        }
        this.solved.set(fn, f);
      }
      this.flows.set(fn, f);
    }
    return f ?? undefined;
  }

  /**
   * This file's analysis under another project index (phase 3 after phase 1 in one process): the function model
   * and every flow already solved are reused.
   */
  withProject(project: ProjectIndex): FileAnalysis {
    const a = new FileAnalysis(this.file, project, this.config);
    a.functionsCache = this.functions as FunctionInfo[];
    a.solved = this.solved;
    a.inherited = this.inherited;
    return a;
  }

  /** Functions data-flow rules analyse, each with its flow (damaged and too-complex functions left out). */
  dataflowFunctions(): { fn: FunctionInfo; flow: FunctionFlow }[] {
    return this.flowsWhere(() => true);
  }

  /**
   * Whether anything untrusted can reach a function (what `FunctionFlow.hasTaint` says), answered without building
   * its data flow when that is not built yet.
   */
  hasTaint(fn: FunctionInfo): boolean {
    const built = this.flows.get(fn);
    if (built) return built.hasTaint;
    let t = this.tainted.get(fn);
    if (t === undefined) this.tainted.set(fn, (t = functionHasTaint(fn, this.file, this.project.paramTaint(fn.name, this.file.path), this.config, this.macros)));
    return t;
  }

  /**
   * `dataflowFunctions()` restricted to functions something untrusted can reach: taint rules look nowhere else, and
   * most functions of a driver never see untrusted data, so their flows are never built.
   */
  taintedFunctions(): { fn: FunctionInfo; flow: FunctionFlow }[] {
    return this.flowsWhere((fn) => this.hasTaint(fn));
  }

  /**
   * `dataflowFunctions()` restricted to functions a cheap syntactic test keeps (they call an allocator, free
   * something, ...): the other functions' flows are never built.
   */
  flowsWhere(keep: (fn: FunctionInfo) => boolean): { fn: FunctionInfo; flow: FunctionFlow }[] {
    const out: { fn: FunctionInfo; flow: FunctionFlow }[] = [];
    for (const fn of this.functions) {
      if (fn.damaged || !keep(fn)) continue;
      const flow = this.flow(fn);
      if (flow) out.push({ fn, flow });
    }
    return out;
  }

  /**
   * Per function `keep` keeps, an answer that depends on the function's body alone (its syntax, CFG and
   * dominators, never taint, guards or the project): worked out from the flow the first time and remembered with
   * the body (see SubtreeMemo), so an editor re-parse that took the function over builds no flow for it. Functions
   * whose flow cannot be built (damaged, too complex) get no answer. `variant` names whatever else of the file the
   * answer depends on (the language; per function, e.g. which of its callees release a lock).
   */
  bodyAnswers<T>(memo: SubtreeMemo<T>, variant: string | boolean | ((fn: FunctionInfo) => string), keep: (fn: FunctionInfo) => boolean, compute: (fn: FunctionInfo, flow: FunctionFlow) => T): { fn: FunctionInfo; value: T }[] {
    const out: { fn: FunctionInfo; value: T }[] = [];
    for (const fn of this.functions) {
      if (fn.damaged || !keep(fn)) continue;
      const key = typeof variant === 'function' ? variant(fn) : variant;
      let value = memo.known(fn.node, key);
      if (value === undefined) {
        const flow = this.flow(fn);
        if (!flow) continue;
        memo.set(fn.node, key, (value = compute(fn, flow)));
      }
      out.push({ fn, value });
    }
    return out;
  }

  /** Functions not analysed by data-flow rules: damaged, or too complex (only counted once `flow` was asked). */
  get skippedFunctions(): number {
    let n = 0;
    for (const fn of this.functions) if (fn.damaged || this.flows.get(fn) === null) n++;
    return n;
  }

  /** The innermost function containing a node or offset. */
  functionAt(at: AstNode | number): FunctionInfo | undefined {
    const offset = typeof at === 'number' ? at : at.start;
    let best: FunctionInfo | undefined;
    for (const fn of this.functions) {
      if (fn.node.start <= offset && offset < fn.node.end && (!best || fn.node.start >= best.node.start)) best = fn;
    }
    return best;
  }
}
