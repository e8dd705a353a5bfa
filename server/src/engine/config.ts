/**
 * The resolved configuration the engine runs with. Loading and validating config files happens outside the
 * core (`server/src/project/config.ts`); the engine only sees this plain object.
 */
import type { HeaderLanguage } from './parse/parse';
import type { MacroOptions } from './parse/mask';
import type { SeverityOrOff } from './rule';

/** A user-declared source of untrusted data, e.g. a vendor's own content-loading function. */
export interface SourceSpec {
  /** Function name whose output is untrusted. */
  readonly function: string;
  /** Which outputs: `return` (the return value) or a 0-based argument index written through a pointer. */
  readonly output: 'return' | number;
  /** `buffer`: the output points at untrusted bytes; `value`: the output itself is an untrusted scalar. */
  readonly kind: 'buffer' | 'value';
}

/** A user-declared entry point whose parameters are untrusted (by 0-based index). */
export interface EntryPointSpec {
  readonly function: string;
  readonly bufferParams?: readonly number[];
  readonly valueParams?: readonly number[];
}

export interface RuleSetting {
  readonly severity?: SeverityOrOff;
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface EngineConfig {
  readonly rules: Readonly<Record<string, RuleSetting>>;
  readonly macros: MacroOptions;
  readonly headerLanguage: HeaderLanguage;
  readonly sources: readonly SourceSpec[];
  readonly entryPoints: readonly EntryPointSpec[];
}

export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  rules: {},
  macros: {},
  headerLanguage: 'auto',
  sources: [],
  entryPoints: [],
};
