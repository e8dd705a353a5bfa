/** Parser loading for the worker threads (the command line's lint workers and the editor's index worker). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BackendKind, loadBackend } from '../engine/parse/backend';
import { Parsers } from '../engine/parse/parse';

/**
 * A worker thread's parsers, loading as the thread starts (before its first task arrives): the C grammar first,
 * the C++ one after it (a task for a file that may be C++ awaits `backend.ready('cpp')`). In the bundle the
 * .wasm files sit beside it; in the compiled tree they are found in their packages. A failure reaches each task
 * that awaits the promise.
 */
export function workerParsers(prefer: BackendKind | 'auto'): Promise<Parsers> {
  const parsers = loadBackend({ prefer, wasmDir: existsSync(join(__dirname, 'tree-sitter.wasm')) ? __dirname : undefined, deferCpp: true }).then((b) => new Parsers(b));
  parsers.catch(() => undefined);
  return parsers;
}
