/**
 * tree-sitter back ends: the native N-API binding where it loads, otherwise web-tree-sitter with the `.wasm`
 * grammars shipped inside the grammar packages. Both are reduced to the small surface the engine needs.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { captureExportsOptions, WasmCursor, WasmExports } from './wasm-cursor';

export type LanguageId = 'c' | 'cpp';
export type BackendKind = 'native' | 'wasm';

export interface TsPoint {
  row: number;
  column: number;
}

export interface TsEdit {
  startIndex: number;
  oldEndIndex: number;
  newEndIndex: number;
  startPosition: TsPoint;
  oldEndPosition: TsPoint;
  newEndPosition: TsPoint;
}

export interface TsCursor {
  readonly nodeType: string;
  /** Numeric grammar symbol of the node (alias-aware), a cheap key for `nodeType` and `nodeIsNamed`. */
  readonly nodeTypeId: number;
  readonly nodeIsNamed: boolean;
  readonly nodeIsMissing: boolean;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly currentFieldName: string | null | undefined;
  /** Numeric field id; 0 when the node hangs off no field. */
  readonly currentFieldId: number;
  /** The node under the cursor as a node object (one binding call; used sparingly). */
  readonly currentNode: { readonly hasError: boolean };
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
  delete?(): void;
}

export interface TsTree {
  /** `hasError`: whether any ERROR or MISSING node lies in the tree (one call, no walk). */
  readonly rootNode: { readonly hasError: boolean };
  walk(): TsCursor;
  edit(edit: TsEdit): void;
  delete?(): void;
}

export interface TsParser {
  parse(text: string, oldTree?: TsTree): TsTree;
}

export interface Backend {
  readonly kind: BackendKind;
  /** Why the native binding was not used, when `kind` is `wasm`. */
  readonly fallbackReason?: string;
  createParser(lang: LanguageId): TsParser;
  /** Resolves once `lang`'s grammar is loaded (see `BackendOptions.deferCpp`); `createParser` needs it. */
  ready(lang: LanguageId): Promise<void>;
}

export interface BackendOptions {
  /** Force a back end (tests compare the two). */
  prefer?: BackendKind | 'auto';
  /** Folder holding `tree-sitter.wasm`, `tree-sitter-c.wasm`, `tree-sitter-cpp.wasm` (the bundle layout). */
  wasmDir?: string;
  /**
   * WebAssembly only: resolve as soon as the C grammar is loaded and load the C++ one (several times larger to
   * compile) after it, so that linting a C file need not wait for it. `ready('cpp')` says when it is there.
   */
  deferCpp?: boolean;
}

let cached: Map<string, Promise<Backend>> = new Map();

/** Loads a back end once per process (and per preference). */
export function loadBackend(options: BackendOptions = {}): Promise<Backend> {
  const key = `${options.prefer ?? 'auto'}|${options.wasmDir ?? ''}|${options.deferCpp ? 'defer' : ''}`;
  let p = cached.get(key);
  if (!p) {
    p = createBackend(options);
    cached.set(key, p);
  }
  return p;
}

/** Drops cached back ends (tests only). */
export function resetBackends(): void {
  cached = new Map();
}

async function createBackend(options: BackendOptions): Promise<Backend> {
  const prefer = options.prefer ?? (process.env.KSLINT_PARSER === 'wasm' ? 'wasm' : 'auto');
  if (prefer !== 'wasm') {
    try {
      return loadNative();
    } catch (err) {
      if (prefer === 'native') throw err;
      return loadWasm(options, `native tree-sitter binding could not be loaded (${firstLine(err)})`);
    }
  }
  return loadWasm(options, 'wasm parser requested');
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0];
}

function loadNative(): Backend {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Parser = require('tree-sitter');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const languages: Record<LanguageId, unknown> = { c: require('tree-sitter-c'), cpp: require('tree-sitter-cpp') };
  // Probe once so a binding that loads but cannot take the grammar ABI fails here, not mid-run.
  const probe = new Parser();
  probe.setLanguage(languages.c);
  probe.parse('int x;');
  return {
    kind: 'native',
    ready: () => Promise.resolve(),
    createParser(lang) {
      const p = new Parser();
      p.setLanguage(languages[lang]);
      return {
        parse(text, oldTree) {
          // The binding reads the string in chunks; a buffer as large as the text avoids re-reads.
          return p.parse(text, oldTree, { bufferSize: Math.max(32 * 1024, text.length + 1) });
        },
      };
    },
  };
}

/** web-tree-sitter's module is initialised once per process (a second `init` would swap the module under existing parsers). */
let wasmModule: Promise<WasmExports | undefined> | undefined;

function initWasmModule(wts: typeof import('web-tree-sitter'), wasmFile: string): Promise<WasmExports | undefined> {
  wasmModule ??= (async () => {
    let captured: WasmExports | undefined;
    const hook = captureExportsOptions(() => readFileSync(wasmFile), (ex) => (captured = ex));
    await wts.Parser.init({ locateFile: () => wasmFile, ...hook });
    return captured;
  })();
  return wasmModule;
}

async function loadWasm(options: BackendOptions, reason: string): Promise<Backend> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wts = require('web-tree-sitter') as typeof import('web-tree-sitter');
  const locate = (file: string, pkg: string): string => {
    if (options.wasmDir) return path.join(options.wasmDir, file);
    return require.resolve(`${pkg}/${file}`);
  };
  const exports = await initWasmModule(wts, locate('tree-sitter.wasm', 'web-tree-sitter'));
  const languages: Partial<Record<LanguageId, import('web-tree-sitter').Language>> = { c: await wts.Language.load(locate('tree-sitter-c.wasm', 'tree-sitter-c')) };
  const cpp = wts.Language.load(locate('tree-sitter-cpp.wasm', 'tree-sitter-cpp')).then((l) => void (languages.cpp = l));
  if (options.deferCpp) cpp.catch(() => undefined); // reported by ready('cpp')
  else await cpp;
  return {
    kind: 'wasm',
    fallbackReason: reason,
    ready: (lang) => (lang === 'cpp' ? cpp : Promise.resolve()),
    createParser(lang) {
      const language = languages[lang];
      if (!language) throw new Error(`the ${lang} grammar is not loaded yet (await ready('${lang}') first)`);
      const p = new wts.Parser();
      p.setLanguage(language);
      return {
        parse(text, oldTree) {
          const tree = p.parse(text, oldTree as unknown as import('web-tree-sitter').Tree | undefined);
          if (!tree) throw new Error('wasm parser returned no tree');
          if (exports) {
            // Walks of this tree use the fast cursor (see wasm-cursor.ts).
            const libWalk = tree.walk.bind(tree);
            Object.defineProperty(tree, 'walk', { value: () => new WasmCursor(exports, tree as never, libWalk() as never) });
          }
          return tree as unknown as TsTree;
        },
      };
    },
  };
}
