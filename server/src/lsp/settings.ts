/**
 * Editor settings (`kslint.*`) and the project configuration the engine runs with. The project config file is
 * read through the same loader as the command line, so both give the same results on the same files; in an
 * untrusted workspace nothing is read from the workspace and the built-in rules run with their defaults.
 */
import { DEFAULT_ENGINE_CONFIG, EngineConfig } from '../engine/config';

export type RunMode = 'onType' | 'onSave';
export type TraceLevel = 'off' | 'messages' | 'verbose';

export interface EditorSettings {
  readonly enable: boolean;
  readonly run: RunMode;
  /** A config file to use instead of the one found by walking up from each file. */
  readonly configPath: string | undefined;
  readonly trace: TraceLevel;
}

export const DEFAULT_SETTINGS: EditorSettings = { enable: true, run: 'onType', configPath: undefined, trace: 'off' };

/** Reads the `kslint` settings section leniently: wrong types fall back to the defaults, never throw. */
export function parseSettings(raw: unknown): EditorSettings {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const trace = o.trace && typeof o.trace === 'object' ? (o.trace as Record<string, unknown>).server : undefined;
  return {
    enable: typeof o.enable === 'boolean' ? o.enable : DEFAULT_SETTINGS.enable,
    run: o.run === 'onSave' || o.run === 'onType' ? o.run : DEFAULT_SETTINGS.run,
    configPath: typeof o.configPath === 'string' && o.configPath.trim() ? o.configPath.trim() : undefined,
    trace: trace === 'messages' || trace === 'verbose' || trace === 'off' ? trace : DEFAULT_SETTINGS.trace,
  };
}

export interface ResolvedConfig {
  readonly config: EngineConfig;
  /** The config file that applies, if any. */
  readonly file?: string;
  /** A problem with the config file, reported once to the user; the defaults apply meanwhile. */
  readonly error?: string;
}

/** Finds and loads the project configuration for a file. */
export interface ConfigSource {
  configFor(path: string, settings: EditorSettings): ResolvedConfig;
  /** Forget what was read (a config file changed on disk). */
  invalidate(): void;
  /** File names whose changes must reload the configuration (for file watchers). */
  readonly watchPatterns: readonly string[];
}

/** Built-in rules, default settings, nothing read from disk: untrusted workspaces, files outside a project. */
export const DEFAULT_CONFIG_SOURCE: ConfigSource = {
  configFor: () => ({ config: DEFAULT_ENGINE_CONFIG }),
  invalidate: () => undefined,
  watchPatterns: [],
};

/** A stable key of what parsing depends on, so a document is re-parsed from scratch when it changes. */
export function parseKey(config: EngineConfig): string {
  return JSON.stringify([config.macros, config.headerLanguage]);
}
