/**
 * The project configuration for the editor, read with the command line's loader (`loadConfigFile`), so a file
 * gets the same engine settings in both. The config file is the nearest `.kslintrc.*` / `kslint.config.json`
 * at or above the file's folder, or `kslint.configPath` when set (relative paths are taken from the workspace
 * folder holding the file, else the first one). Results are cached per folder until `invalidate()` (the server
 * calls it when a config file changes on disk or the settings change). A broken config file yields its error
 * once and the built-in defaults apply, never part of the file.
 */
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { DEFAULT_ENGINE_CONFIG } from '../engine/config';
import type { Rule } from '../engine/rule';
import { CONFIG_FILE_NAMES, ConfigError, findConfigFile, loadConfigFile } from '../project/config';
import type { ConfigSource, EditorSettings, ResolvedConfig } from './settings';

export function projectConfigSource(rules: readonly Rule[], workspaceRoots: () => readonly string[] = () => []): ConfigSource {
  const metas = rules.map((r) => r.meta);
  /** Config file (or undefined for none, or the error finding it) per folder. */
  const fileOfDir = new Map<string, { file?: string; error?: string }>();
  /** Loaded configs per config file. */
  const loaded = new Map<string, ResolvedConfig>();

  const load = (file: string): ResolvedConfig => {
    let r = loaded.get(file);
    if (!r) {
      try {
        r = { config: loadConfigFile(file, metas).engine, file };
      } catch (err) {
        r = { config: DEFAULT_ENGINE_CONFIG, file, error: err instanceof ConfigError ? err.message : `${file}: ${String(err)}` };
      }
      loaded.set(file, r);
    }
    return r;
  };

  const rootFor = (path: string): string | undefined => {
    const roots = workspaceRoots();
    return roots.find((r) => path === r || path.startsWith(r.endsWith(sep) ? r : r + sep)) ?? roots[0];
  };

  return {
    configFor(path: string, settings: EditorSettings): ResolvedConfig {
      if (settings.configPath) {
        const root = rootFor(path);
        const file = isAbsolute(settings.configPath) ? settings.configPath : resolve(root ?? dirname(path), settings.configPath);
        return load(file);
      }
      const dir = dirname(path);
      let found = fileOfDir.get(dir);
      if (!found) {
        try {
          found = { file: findConfigFile(dir) };
        } catch (err) {
          found = { error: err instanceof Error ? err.message : String(err) };
        }
        fileOfDir.set(dir, found);
      }
      if (found.error) return { config: DEFAULT_ENGINE_CONFIG, error: found.error };
      return found.file ? load(found.file) : { config: DEFAULT_ENGINE_CONFIG };
    },
    invalidate(): void {
      fileOfDir.clear();
      loaded.clear();
    },
    watchPatterns: CONFIG_FILE_NAMES,
  };
}
