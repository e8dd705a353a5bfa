/**
 * Per-file analysis services handed to rules: the function model, data flow and the project index.
 * Computed lazily and cached per file, so syntactic rules never pay for data flow.
 */
import type { AstNode } from './ast';
import { collectFunctions, FunctionInfo } from './index/functions';
import type { ParsedFile } from './parse/parse';

export type { FunctionInfo, ParamInfo } from './index/functions';

/**
 * Facts about the whole project that a single file cannot know: which functions' parameters receive untrusted
 * data from their callers, and which functions are driver entry points.
 */
export interface ProjectIndex {
  /** Untrusted parameters of a function (by plain name), seeded from call sites elsewhere. */
  paramTaint(functionName: string): ReadonlyMap<number, ParamSeed> | undefined;
  /** The entry-point role of a function, if it is registered as one anywhere in the project. */
  entryPoint(functionName: string): EntryPointRole | undefined;
}

export type EntryPointRole =
  | 'wdm-dispatch'
  | 'wdm-device-control'
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
  | 'configured';

/** Why a parameter is untrusted, for the source-to-sink path shown to users. */
export interface ParamSeed {
  readonly kind: 'buffer' | 'value' | 'user-pointer';
  /** Human-readable origin, e.g. "SystemBuffer passed by DispatchIoctl (ioctl.c:42)". */
  readonly origin: string;
  readonly file?: string;
  readonly line?: number;
}

export const EMPTY_PROJECT: ProjectIndex = {
  paramTaint: () => undefined,
  entryPoint: () => undefined,
};

export class FileAnalysis {
  private functionsCache: FunctionInfo[] | undefined;

  constructor(
    readonly file: ParsedFile,
    readonly project: ProjectIndex = EMPTY_PROJECT,
  ) {}

  get functions(): readonly FunctionInfo[] {
    if (!this.functionsCache) this.functionsCache = collectFunctions(this.file);
    return this.functionsCache;
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
