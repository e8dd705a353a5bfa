/**
 * The project configuration for the editor. Until the command line's config loader is available to the server,
 * every file gets the built-in rules with their default settings.
 */
import type { Rule } from '../engine/rule';
import { ConfigSource, DEFAULT_CONFIG_SOURCE } from './settings';

export function projectConfigSource(_rules: readonly Rule[]): ConfigSource {
  return DEFAULT_CONFIG_SOURCE;
}
