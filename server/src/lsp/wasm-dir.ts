import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The folder of the bundled server when the wasm parser files were copied next to it (the packaged extension);
 * undefined in a build of the repository, where they are found in their packages.
 */
export function wasmDirNextToServer(dir: string = __dirname): string | undefined {
  return existsSync(join(dir, 'tree-sitter.wasm')) && existsSync(join(dir, 'tree-sitter-c.wasm')) ? dir : undefined;
}
