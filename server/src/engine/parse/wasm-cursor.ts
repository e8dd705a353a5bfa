/**
 * A fast tree cursor for the WebAssembly back end.
 *
 * web-tree-sitter keeps a tree cursor in a JavaScript object and, on every call, copies its four words into the
 * module's transfer buffer, calls the wasm function (which reads the cursor from the buffer and writes it back)
 * and copies the words out again. Converting a tree to an AST makes about six such calls per node, and the copies
 * cost three times the calls themselves. This cursor leaves the words in the transfer buffer for a whole walk and
 * calls the same exported wasm functions directly. The exports are captured when the module is instantiated
 * (emscripten's `instantiateWasm` hook); where that fails, the library's own cursor is used.
 *
 * Contract: while a `WasmCursor` walks, nothing else may call into web-tree-sitter in the same thread (the
 * transfer buffer is shared). `currentNode` is the one exception: it saves and restores the cursor around the call.
 */
import type { TsCursor } from './backend';

/** The few WebAssembly globals used here (the project's TypeScript libs do not declare them). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
type WasmImports = Record<string, Record<string, unknown>>;
interface WasmGlobals {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: WasmImports) => { readonly exports: Record<string, unknown> };
  Memory: abstract new (...args: never[]) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmGlobals }).WebAssembly;

/** The wasm exports a walk needs, and the module memory (imported by the module, not exported). */
export interface WasmExports {
  readonly memory: WasmMemory;
  readonly transferBuffer: number;
  readonly ts_tree_cursor_goto_first_child_wasm: (tree: number) => number;
  readonly ts_tree_cursor_goto_next_sibling_wasm: (tree: number) => number;
  readonly ts_tree_cursor_goto_parent_wasm: (tree: number) => number;
  readonly ts_tree_cursor_current_node_type_id_wasm: (tree: number) => number;
  readonly ts_tree_cursor_current_node_is_named_wasm: (tree: number) => number;
  readonly ts_tree_cursor_current_node_is_missing_wasm: (tree: number) => number;
  readonly ts_tree_cursor_current_field_id_wasm: (tree: number) => number;
  readonly ts_tree_cursor_start_index_wasm: (tree: number) => number;
  readonly ts_tree_cursor_end_index_wasm: (tree: number) => number;
}

const NEEDED = [
  'ts_init',
  'ts_tree_cursor_goto_first_child_wasm',
  'ts_tree_cursor_goto_next_sibling_wasm',
  'ts_tree_cursor_goto_parent_wasm',
  'ts_tree_cursor_current_node_type_id_wasm',
  'ts_tree_cursor_current_node_is_named_wasm',
  'ts_tree_cursor_current_node_is_missing_wasm',
  'ts_tree_cursor_current_field_id_wasm',
  'ts_tree_cursor_start_index_wasm',
  'ts_tree_cursor_end_index_wasm',
] as const;

/**
 * Module options for `Parser.init` that instantiate the wasm binary themselves and hand the exports to `capture`
 * (undefined when they lack a function this cursor needs).
 */
export function captureExportsOptions(wasmBytes: () => Uint8Array, capture: (exports: WasmExports | undefined) => void): Record<string, unknown> {
  return {
    instantiateWasm(imports: WasmImports, receive: (instance: object, module: object) => void): Record<string, never> {
      // Synchronous (Node allows it at any size): a failure throws inside the library's promise and rejects `init`,
      // where an asynchronous one would leave it pending forever.
      const module = new WA.Module(wasmBytes());
      const instance = new WA.Instance(module, imports);
      const ex = instance.exports;
      const memory = imports.env?.memory ?? ex.memory;
      if (memory instanceof WA.Memory && NEEDED.every((n) => typeof ex[n] === 'function')) {
        capture({ ...(ex as unknown as Omit<WasmExports, 'memory' | 'transferBuffer'>), memory, transferBuffer: (ex.ts_init as () => number)() });
      } else capture(undefined);
      receive(instance, module);
      return {};
    },
  };
}

/** The parts of web-tree-sitter's objects this cursor reads (the handles are the library's internal fields). */
interface LibCursor {
  0: number;
  1: number;
  2: number;
  3: number;
  readonly currentNode: { readonly hasError: boolean };
  delete(): void;
}
interface LibTree {
  0: number;
  readonly language: { readonly types: readonly string[]; readonly fields: readonly (string | null)[] };
  walk(): LibCursor;
}

export class WasmCursor implements TsCursor {
  private readonly tree: number;
  private readonly base: number;
  private words: Int32Array;

  constructor(
    private readonly ex: WasmExports,
    private readonly libTree: LibTree,
    private readonly lib: LibCursor = libTree.walk(),
  ) {
    this.tree = libTree[0];
    this.base = ex.transferBuffer >> 2;
    this.words = new Int32Array(ex.memory.buffer);
    this.store();
  }

  /** The heap view, renewed when the memory has grown (a grown memory detaches the old buffer). */
  private heap(): Int32Array {
    if (this.words.buffer !== this.ex.memory.buffer) this.words = new Int32Array(this.ex.memory.buffer);
    return this.words;
  }

  /** Library cursor -> transfer buffer. */
  private store(): void {
    const h = this.heap();
    const b = this.base;
    h[b] = this.lib[0];
    h[b + 1] = this.lib[1];
    h[b + 2] = this.lib[2];
    h[b + 3] = this.lib[3];
  }

  /** Transfer buffer -> library cursor. */
  private load(): void {
    const h = this.heap();
    const b = this.base;
    this.lib[0] = h[b];
    this.lib[1] = h[b + 1];
    this.lib[2] = h[b + 2];
    this.lib[3] = h[b + 3];
  }

  get nodeTypeId(): number {
    return this.ex.ts_tree_cursor_current_node_type_id_wasm(this.tree);
  }
  get nodeType(): string {
    return this.libTree.language.types[this.nodeTypeId] ?? 'ERROR';
  }
  get nodeIsNamed(): boolean {
    return this.ex.ts_tree_cursor_current_node_is_named_wasm(this.tree) === 1;
  }
  get nodeIsMissing(): boolean {
    return this.ex.ts_tree_cursor_current_node_is_missing_wasm(this.tree) === 1;
  }
  get startIndex(): number {
    return this.ex.ts_tree_cursor_start_index_wasm(this.tree);
  }
  get endIndex(): number {
    return this.ex.ts_tree_cursor_end_index_wasm(this.tree);
  }
  get currentFieldId(): number {
    return this.ex.ts_tree_cursor_current_field_id_wasm(this.tree);
  }
  get currentFieldName(): string | undefined {
    const id = this.currentFieldId;
    return id ? (this.libTree.language.fields[id] ?? undefined) : undefined;
  }
  get currentNode(): { readonly hasError: boolean } {
    // The library call uses the transfer buffer: hand it the cursor, and put the cursor back afterwards.
    this.load();
    const hasError = this.lib.currentNode.hasError;
    this.store();
    return { hasError };
  }
  gotoFirstChild(): boolean {
    return this.ex.ts_tree_cursor_goto_first_child_wasm(this.tree) === 1;
  }
  gotoNextSibling(): boolean {
    return this.ex.ts_tree_cursor_goto_next_sibling_wasm(this.tree) === 1;
  }
  gotoParent(): boolean {
    return this.ex.ts_tree_cursor_goto_parent_wasm(this.tree) === 1;
  }
  delete(): void {
    // The cursor's stack may have been reallocated during the walk: free the one the buffer holds.
    this.load();
    this.lib.delete();
  }
}
