/**
 * The project configuration: one file (`.kslintrc.json`, `.kslintrc.yaml`, `.kslintrc.yml`, `kslint.config.json`)
 * found by walking up from the linted paths, validated against schemas/kslint.schema.json and mapped to the
 * engine's `EngineConfig` plus the file-selection settings. Shared by the CLI and the language server, so it never
 * prints or exits: every problem is a `ConfigError` naming the file, line and column. Config files are data only;
 * nothing in them is executed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { default as AjvClass, ErrorObject } from 'ajv';
import { DEFAULT_ENGINE_CONFIG, EngineConfig, RuleSetting } from '../engine/config';
import type { RuleMeta, SeverityOrOff } from '../engine/rule';
import { SourceText } from '../engine/source';
import schema from '../../../schemas/kslint.schema.json';
import { ConfigSyntaxError, ParsedConfigText, parseJsonConfig, parseYamlConfig, PathSegment } from './config-text';
import { DEFAULT_MAX_FILE_BYTES } from './read-source';

export const CONFIG_FILE_NAMES: readonly string[] = ['.kslintrc.json', '.kslintrc.yaml', '.kslintrc.yml', 'kslint.config.json'];

/**
 * Third-party and SDK code, in .gitignore syntax (a pattern with an inner `/` is anchored at the root unless it
 * starts with `**`): WDK/SDK include folders (installed kits and NuGet WDK packages), vendored code and package
 * folders. Never linted or reported.
 */
export const DEFAULT_EXTERNAL: readonly string[] = [
  'Windows Kits/',
  '**/Include/*/km/',
  '**/Include/*/um/',
  '**/Include/*/shared/',
  '**/Include/*/ucrt/',
  '**/Include/wdf/',
  'third_party/',
  'third-party/',
  'thirdparty/',
  'external/',
  'node_modules/',
  'packages/',
  'vcpkg_installed/',
];

export interface Limits {
  /** Files above this size (bytes) are skipped. */
  readonly maxFileBytes: number;
  /** A file taking longer than this (ms) is stopped and reported as skipped. */
  readonly fileTimeoutMs: number;
  /** Heap limit of each worker (MB), or undefined for none (memory is then bounded by `maxFileBytes`). */
  readonly workerMemoryMb?: number;
}

export const DEFAULT_LIMITS: Limits = { maxFileBytes: DEFAULT_MAX_FILE_BYTES, fileTimeoutMs: 120_000 };

export interface ProjectConfig {
  /** Absolute path of the config file, or undefined when none was found. */
  readonly file: string | undefined;
  /** The folder globs are relative to: the config file's folder (or the folder the search started in). */
  readonly root: string;
  readonly engine: EngineConfig;
  /** .gitignore-syntax patterns. `include` empty means every C/C++ source. */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Effective external patterns (the built-in list unless `defaultExternal: false`, then the config's). */
  readonly external: readonly string[];
  readonly limits: Limits;
}

/** A configuration problem, with the file and 1-based line and column when known. */
export class ConfigError extends Error {
  constructor(
    readonly problem: string,
    readonly file?: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(file ? `${file}${line ? `:${line}:${column ?? 1}` : ''}: ${problem}` : problem);
  }
}

export function defaultProjectConfig(root: string): ProjectConfig {
  return { file: undefined, root, engine: DEFAULT_ENGINE_CONFIG, include: [], exclude: [], external: DEFAULT_EXTERNAL, limits: DEFAULT_LIMITS };
}

/**
 * The nearest config file at or above `dir`. Several config files in one folder are an error (which one wins
 * would be a guess).
 */
export function findConfigFile(dir: string): string | undefined {
  let d = resolve(dir);
  for (;;) {
    const found = CONFIG_FILE_NAMES.map((n) => join(d, n)).filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    if (found.length > 1) throw new ConfigError(`several config files in one folder (${found.map((f) => basename(f)).join(', ')}); keep one`, found[0]);
    if (found.length === 1) return found[0];
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

/** The config that applies to a set of paths: they must all resolve to the same file (or none). */
export function findProjectConfig(paths: readonly string[], cwd: string): string | undefined {
  const found = new Map<string, string>();
  for (const p of paths.length ? paths : ['.']) {
    const abs = resolve(cwd, p);
    let dir = abs;
    try {
      if (!statSync(abs).isDirectory()) dir = dirname(abs);
    } catch {
      dir = dirname(abs);
    }
    const file = findConfigFile(dir);
    if (file && !found.has(file)) found.set(file, p);
  }
  if (found.size > 1) {
    const list = [...found].map(([file, p]) => `${p} -> ${file}`).join('; ');
    throw new ConfigError(`the paths belong to different projects (${list}); lint them separately or choose one with --config`);
  }
  return found.keys().next().value;
}

let validator: ReturnType<AjvClass['compile']> | undefined;

function validate(value: unknown): ErrorObject[] {
  if (!validator) {
    // Loaded on first use: a run without a config file never needs the validator (it costs ~45 ms to load).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv = (require('ajv') as { default: typeof AjvClass }).default;
    validator = new Ajv({ allErrors: true, strict: true }).compile(schema);
  }
  return validator(value) ? [] : [...(validator.errors ?? [])];
}

function pathOf(instancePath: string): PathSegment[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** Picks the most specific schema error and says it in plain words. */
function describe(errors: readonly ErrorObject[], value: unknown): { path: PathSegment[]; key?: string; message: string } {
  const real = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if');
  const depth = (e: ErrorObject) => pathOf(e.instancePath).length + (e.keyword === 'additionalProperties' || e.keyword === 'propertyNames' ? 1 : 0);
  // Under an anyOf (e.g. a rule's severity string or settings object), the branch matching the value's type explains best.
  const typed = real.filter((e) => e.keyword !== 'type' || !real.some((o) => o !== e && o.instancePath === e.instancePath && o.keyword !== 'type'));
  const best = [...typed].sort((a, b) => depth(b) - depth(a))[0] ?? errors[0];
  const path = pathOf(best.instancePath);
  const where = path.length ? `"${path.join('.')}"` : 'the config';
  const actual = path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k as string] : undefined), value);
  switch (best.keyword) {
    case 'additionalProperties': {
      const key = String(best.params.additionalProperty);
      return { path, key, message: `unknown setting "${key}" in ${where}` };
    }
    case 'propertyNames': {
      const key = String(best.params.propertyName);
      return { path, key, message: `"${key}" is not a rule id (KSnnnn) or rule name` };
    }
    case 'enum':
      return { path, message: `${where} must be one of ${(best.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(actual)})` };
    case 'const':
      return { path, message: `${where} must be ${JSON.stringify(best.params.allowedValue)} (got ${JSON.stringify(actual)})` };
    case 'type':
      return { path, message: `${where} must be ${best.params.type === 'integer' ? 'an integer' : `a${/^[aeiou]/.test(String(best.params.type)) ? 'n' : ''} ${best.params.type}`} (got ${JSON.stringify(actual)})` };
    case 'required':
      return { path, message: `${where} lacks "${best.params.missingProperty}"` };
    case 'pattern':
      return { path, message: `${where} must be a C identifier (got ${JSON.stringify(actual)})` };
    default:
      return { path, message: `${where} ${best.message ?? 'is invalid'}` };
  }
}

function positioned(file: string, text: SourceText, offset: number | undefined, problem: string): ConfigError {
  if (offset === undefined) return new ConfigError(problem, file);
  const pos = text.positionAt(offset);
  return new ConfigError(problem, file, pos.line + 1, pos.character + 1);
}

interface RawConfig {
  rules?: Record<string, SeverityOrOff | { severity?: SeverityOrOff; options?: Record<string, unknown> }>;
  include?: string[];
  exclude?: string[];
  external?: string[];
  defaultExternal?: boolean;
  headerLanguage?: EngineConfig['headerLanguage'];
  macros?: { mask?: string[]; statement?: string[] };
  sources?: EngineConfig['sources'];
  entryPoints?: EngineConfig['entryPoints'];
  limits?: { maxFileSize?: number; fileTimeout?: number; workerMemory?: number };
}

/** Parses and validates config text; `file` is used for messages and to pick JSON or YAML by extension. */
export function parseConfig(text: string, file: string, rules: readonly RuleMeta[]): ProjectConfig {
  const src = new SourceText(text);
  const isYaml = /\.ya?ml$/i.test(file);
  let parsed: ParsedConfigText;
  try {
    parsed = isYaml ? parseYamlConfig(text) : parseJsonConfig(text);
  } catch (err) {
    if (err instanceof ConfigSyntaxError) throw positioned(file, src, err.offset, err.message);
    throw err;
  }
  const value = parsed.value ?? {};
  const errors = validate(value);
  if (errors.length) {
    const d = describe(errors, value);
    throw positioned(file, src, parsed.offsetOf(d.path, d.key) ?? parsed.offsetOf(d.path), d.message);
  }
  const raw = value as RawConfig;
  const byName = new Map<string, string>();
  for (const r of rules) {
    byName.set(r.id, r.id);
    byName.set(r.name, r.id);
  }
  const ruleSettings: Record<string, RuleSetting> = {};
  for (const [key, setting] of Object.entries(raw.rules ?? {})) {
    const id = byName.get(key);
    if (!id) throw positioned(file, src, parsed.offsetOf(['rules'], key), `unknown rule "${key}" (kslint --list-rules shows the rules)`);
    if (Object.prototype.hasOwnProperty.call(ruleSettings, id)) throw positioned(file, src, parsed.offsetOf(['rules'], key), `rule ${id} is configured twice (by id and by name)`);
    define(ruleSettings, id, typeof setting === 'string' ? { severity: setting } : { ...(setting.severity ? { severity: setting.severity } : {}), ...(setting.options ? { options: setting.options } : {}) });
  }
  const root = dirname(resolve(file));
  const engine: EngineConfig = {
    rules: ruleSettings,
    macros: { ...(raw.macros?.mask ? { mask: raw.macros.mask } : {}), ...(raw.macros?.statement ? { statement: raw.macros.statement } : {}) },
    headerLanguage: raw.headerLanguage ?? DEFAULT_ENGINE_CONFIG.headerLanguage,
    sources: raw.sources ?? [],
    entryPoints: raw.entryPoints ?? [],
  };
  return {
    file: resolve(file),
    root,
    engine,
    include: raw.include ?? [],
    exclude: raw.exclude ?? [],
    external: [...(raw.defaultExternal === false ? [] : DEFAULT_EXTERNAL), ...(raw.external ?? [])],
    limits: {
      maxFileBytes: raw.limits?.maxFileSize ?? DEFAULT_LIMITS.maxFileBytes,
      fileTimeoutMs: raw.limits?.fileTimeout !== undefined ? raw.limits.fileTimeout * 1000 : DEFAULT_LIMITS.fileTimeoutMs,
      ...(raw.limits?.workerMemory !== undefined ? { workerMemoryMb: raw.limits.workerMemory } : {}),
    },
  };
}

function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Reads, parses and validates a config file. All or nothing: any problem throws a `ConfigError`. */
export function loadConfigFile(file: string, rules: readonly RuleMeta[]): ProjectConfig {
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > 1024 * 1024) throw new ConfigError('the config file is larger than 1 MB', file);
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError('config file not found', file);
    if (err instanceof TypeError) throw new ConfigError('the config file is not UTF-8 text', file);
    throw new ConfigError(`cannot read the config file (${code ?? (err as Error).message})`, file);
  }
  return parseConfig(text, file, rules);
}

/**
 * The config for linting `paths` (relative to `cwd`): `explicit` (e.g. `--config`) if given, else the one
 * found by walking up, else the defaults rooted at `cwd`.
 */
export function resolveProjectConfig(paths: readonly string[], cwd: string, rules: readonly RuleMeta[], explicit?: string): ProjectConfig {
  if (explicit) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) throw new ConfigError('config file not found', explicit);
    return loadConfigFile(file, rules);
  }
  const found = findProjectConfig(paths, cwd);
  return found ? loadConfigFile(found, rules) : defaultProjectConfig(resolve(cwd));
}

/** Applies `--rule KSnnnn=severity` style overrides (already validated) on top of a config. */
export function withRuleSeverities(config: ProjectConfig, overrides: ReadonlyMap<string, SeverityOrOff>): ProjectConfig {
  if (!overrides.size) return config;
  const rules: Record<string, RuleSetting> = {};
  for (const [id, s] of Object.entries(config.engine.rules)) define(rules, id, s);
  for (const [id, severity] of overrides) define(rules, id, { ...(rules[id] ?? {}), severity });
  return { ...config, engine: { ...config.engine, rules } };
}
