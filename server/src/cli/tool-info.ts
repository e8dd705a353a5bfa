/** The tool's identity: package root and version, and a fingerprint of everything that shapes results (for the cache). */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { hashOf } from './cache';

let root: string | undefined;

/** The folder of kslint's package.json (works from out/ and from a bundle). */
export function packageRoot(): string {
  if (root) return root;
  for (let d = __dirname; ; d = dirname(d)) {
    try {
      const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'kslint') return (root = d);
    } catch {
      // keep looking upwards
    }
    if (dirname(d) === d) return (root = __dirname);
  }
}

export function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

/**
 * Changes whenever results could: the tool version, the grammar packages, and the code of the engine and rules
 * as loaded in this process (size and modification time of each of kslint's own modules), so that a rebuilt
 * development copy never reuses results of an older build.
 */
export function toolFingerprint(): string {
  const own = Object.keys(require.cache)
    .filter((f) => f.startsWith(packageRoot() + sep) && !f.includes(`${sep}node_modules${sep}`))
    .sort()
    .map((f) => {
      try {
        const st = statSync(f);
        return `${relative(packageRoot(), f)}:${st.size}:${st.mtimeMs}`;
      } catch {
        return `${relative(packageRoot(), f)}:?`;
      }
    });
  return hashOf(toolVersion(), process.versions.node.split('.')[0], ...['tree-sitter', 'tree-sitter-c', 'tree-sitter-cpp', 'web-tree-sitter'].map(packageVersion), ...own);
}
