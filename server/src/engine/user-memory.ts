/**
 * User-mode memory as kernel code sees it, recognised from syntax: where user addresses enter a function
 * (METHOD_NEITHER buffers, `Irp->UserBuffer`, KMDF unsafe retrieve calls, minifilter port messages, addresses
 * the code itself probes), their local aliases, and every place the function touches the memory behind them.
 *
 * Aliases are flow-insensitive (a name that ever holds a user address is one); rules that need ordering or
 * guards combine these sites with the control-flow graph.
 */
import { AstNode, child, descendants, namedChildren, nodeText, walk } from './ast';
import type { FileAnalysis, FunctionInfo } from './analysis';
import type { ParsedFile } from './parse/parse';
import { accessPath, callArgs, calleeName, insideSehTry } from './syntax';

export type UserPointerKind =
  | 'type3-input-buffer'
  | 'irp-user-buffer'
  | 'neither-buffer'
  | 'wdf-unsafe-buffer'
  | 'port-message-buffer'
  | 'probed-address'
  | 'embedded-pointer';

export interface UserPointer {
  readonly kind: UserPointerKind;
  /** The expression where the address enters the function (a field read, a parameter, an out-argument). */
  readonly origin: AstNode;
  /** Short label for paths and messages, e.g. "Type3InputBuffer (the caller's raw user-mode address)". */
  readonly label: string;
  /** True when the system has already probed the range (FltMgr probes port message buffers). */
  readonly probedBySystem: boolean;
}

export type UserAccessKind = 'read' | 'write' | 'copy-read' | 'copy-write' | 'probe' | 'accessor';

export interface UserAccess {
  readonly kind: UserAccessKind;
  /** The access: the outermost lvalue (`u->Hdr.Len`) or the call (`RtlCopyMemory(...)`, `ProbeForRead(...)`). */
  readonly node: AstNode;
  /** The user pointer the access goes through. */
  readonly pointer: UserPointer;
  /** The expression holding the user address at this site (`u`, `(PREQ)u`, `u->Data`). */
  readonly base: AstNode;
  /** Canonical location read or written (`u.Len`, `*u`, `u[2]`), when it is a single field or element. */
  readonly location: string | undefined;
}

export interface UserMemoryModel {
  /** Alias access path -> the user pointer it holds. */
  readonly aliases: ReadonlyMap<string, UserPointer>;
  readonly accesses: readonly UserAccess[];
}

export const PROBE_ROUTINES: ReadonlySet<string> = new Set(['ProbeForRead', 'ProbeForWrite']);

/** Copy-like routines: which arguments are read and which are written as memory. */
const MEMORY_ROUTINES: Record<string, { read: number[]; write: number[] }> = {
  RtlCopyMemory: { read: [1], write: [0] },
  RtlMoveMemory: { read: [1], write: [0] },
  RtlCopyBytes: { read: [1], write: [0] },
  memcpy: { read: [1], write: [0] },
  memmove: { read: [1], write: [0] },
  RtlCompareMemory: { read: [0, 1], write: [] },
  RtlEqualMemory: { read: [0, 1], write: [] },
  memcmp: { read: [0, 1], write: [] },
  RtlZeroMemory: { read: [], write: [0] },
  RtlSecureZeroMemory: { read: [], write: [0] },
  RtlFillMemory: { read: [], write: [0] },
  memset: { read: [], write: [0] },
  strlen: { read: [0], write: [] },
  wcslen: { read: [0], write: [] },
  RtlInitUnicodeString: { read: [1], write: [] },
  RtlInitAnsiString: { read: [1], write: [] },
};

/** User-mode accessors (`usermode_accessors.h`): each call checks the address and raises on failure. */
export function isUserAccessor(name: string): boolean {
  return /^(Rtl)?(Read\w+From(User|Mode)|Write\w+To(User|Mode)|Copy(From|To)(User|Mode)\w*|Fill(User|Mode)Memory\w*|Zero(User|Mode)Memory\w*|Set(User|Mode)Memory\w*)$/.test(name);
}

const WDF_UNSAFE = new Set(['WdfRequestRetrieveUnsafeUserInputBuffer', 'WdfRequestRetrieveUnsafeUserOutputBuffer']);
const POINTER_OFFSET_MACROS = new Set(['Add2Ptr', 'RtlOffsetToPointer', 'OffsetToPtr']);

/** Strips parentheses and casts, including `(T)(x)` that the grammar reads as a call. */
export function stripCasts(node: AstNode): AstNode {
  let n = node;
  for (;;) {
    if (n.type === 'parenthesized_expression') {
      const inner = namedChildren(n).find((c) => c.type !== 'comment');
      if (!inner) return n;
      n = inner;
    } else if (n.type === 'cast_expression') {
      const v = child(n, 'value');
      if (!v) return n;
      n = v;
    } else if (n.type === 'call_expression' && isCastLikeCall(n)) {
      n = callArgs(n)[0];
    } else {
      return n;
    }
  }
}

function isCastLikeCall(call: AstNode): boolean {
  const fn = child(call, 'function');
  if (!fn || fn.type !== 'parenthesized_expression') return false;
  const inner = namedChildren(fn);
  return inner.length === 1 && (inner[0].type === 'identifier' || inner[0].type === 'type_identifier') && callArgs(call).length === 1;
}

/**
 * True when `node` runs inside a `__try` body, or inside a block written with the `try`/`except` macros
 * (`#define try __try`), which the grammars read as a stray `try` token or ERROR just before the block.
 */
export function insideTryBlock(file: ParsedFile, node: AstNode): boolean {
  if (insideSehTry(node)) return true;
  for (let p: AstNode | undefined = node.parent; p; p = p.parent) {
    if (p.type === 'function_definition' || p.type === 'lambda_expression') return false;
    if (p.type !== 'compound_statement' || !p.parent) continue;
    let k = p.index - 1;
    while (k >= 0 && p.parent.children[k].start === p.parent.children[k].end) k--;
    const prev = k >= 0 ? p.parent.children[k] : undefined;
    if (prev && nodeText(file.source, prev) === 'try' && (prev.type === 'ERROR' || prev.type === 'try' || prev.type === 'type_identifier' || prev.type === 'identifier')) return true;
  }
  return false;
}

/** Whether `name` in `fn` is declared as an IRP pointer (or, undeclared, is named like one). */
function isIrpName(file: ParsedFile, fn: FunctionInfo | undefined, name: string): boolean {
  const param = fn?.params.find((p) => p.name === name);
  if (param) return /\bP?IRP\b|\b_IRP\b/.test(param.typeText);
  if (fn) {
    for (const decl of descendants(fn.body, 'declaration')) {
      const type = child(decl, 'type');
      for (const d of decl.children.filter((c) => c.field === 'declarator')) {
        if (declaredName(file, d) === name) return !!type && /\bP?IRP\b|\b_IRP\b/.test(nodeText(file.source, type) + nodeText(file.source, d));
      }
    }
  }
  return /irp$/i.test(name);
}

function declaredName(file: ParsedFile, decl: AstNode): string | undefined {
  let d: AstNode | undefined = decl;
  while (d && d.type !== 'identifier') d = child(d, 'declarator');
  return d ? nodeText(file.source, d) : undefined;
}

function fieldName(file: ParsedFile, node: AstNode): string | undefined {
  const f = node.type === 'field_expression' ? child(node, 'field') : undefined;
  return f ? nodeText(file.source, f) : undefined;
}

/**
 * A user address read straight from a request: `...Parameters.DeviceIoControl.Type3InputBuffer`,
 * `Irp->UserBuffer`, `...Neither.InputBuffer` / `.OutputBuffer` (minifilter FSCTL/IOCTL parameters).
 */
export function directUserPointer(file: ParsedFile, fn: FunctionInfo | undefined, expr: AstNode): UserPointer | undefined {
  const e = stripCasts(expr);
  const field = fieldName(file, e);
  if (!field) return undefined;
  const base = child(e, 'argument');
  if (field === 'Type3InputBuffer') {
    return { kind: 'type3-input-buffer', origin: e, label: "Type3InputBuffer (the caller's raw user-mode address)", probedBySystem: false };
  }
  if (field === 'UserBuffer' && base) {
    const b = stripCasts(base);
    const name = b.type === 'identifier' ? nodeText(file.source, b) : fieldName(file, b);
    if (name && (b.type === 'identifier' ? isIrpName(file, fn, name) : /irp$/i.test(name))) {
      return { kind: 'irp-user-buffer', origin: e, label: "Irp->UserBuffer (the caller's raw user-mode address)", probedBySystem: false };
    }
  }
  if ((field === 'InputBuffer' || field === 'OutputBuffer') && base && fieldName(file, stripCasts(base)) === 'Neither') {
    return { kind: 'neither-buffer', origin: e, label: `Neither.${field} (the caller's raw user-mode address)`, probedBySystem: false };
  }
  return undefined;
}

const messageNotifyCache = new WeakMap<ParsedFile, Set<string>>();

/** Functions registered in this file as the MessageNotifyCallback of `FltCreateCommunicationPort`. */
function messageNotifyNames(file: ParsedFile): Set<string> {
  let names = messageNotifyCache.get(file);
  if (!names) {
    names = new Set();
    for (const call of descendants(file.root, 'call_expression')) {
      if (calleeName(file, call) !== 'FltCreateCommunicationPort') continue;
      const arg = callArgs(call)[6];
      const a = arg && stripCasts(arg);
      if (a && a.type === 'identifier') names.add(nodeText(file.source, a));
    }
    messageNotifyCache.set(file, names);
  }
  return names;
}

const modelCache = new WeakMap<FunctionInfo, UserMemoryModel>();

/** The user pointers of a function and every access to the memory behind them (cached per function). */
export function userMemory(analysis: FileAnalysis, fn: FunctionInfo): UserMemoryModel {
  let model = modelCache.get(fn);
  if (!model) {
    const aliases = collectAliases(analysis, fn);
    model = { aliases, accesses: collectAccesses(analysis.file, fn, aliases) };
    modelCache.set(fn, model);
  }
  return model;
}

function collectAliases(analysis: FileAnalysis, fn: FunctionInfo): Map<string, UserPointer> {
  const file = analysis.file;
  const aliases = new Map<string, UserPointer>();
  const role = analysis.project.entryPoint(fn.name);
  if ((role === 'filter-message-notify' || messageNotifyNames(file).has(fn.name)) && fn.params.length === 6) {
    for (const i of [1, 3]) {
      const p = fn.params[i];
      if (p.name) aliases.set(p.name, { kind: 'port-message-buffer', origin: p.node, label: `${p.name} (a raw user-mode buffer of a port message)`, probedBySystem: true });
    }
  }
  const bindings: { target: AstNode; value: AstNode }[] = [];
  const probed: AstNode[] = [];
  walk(fn.body, (n) => {
    if (n.type === 'init_declarator') {
      const d = child(n, 'declarator');
      const v = child(n, 'value');
      const name = d && declaredName(file, d);
      if (name && v) bindings.push({ target: d, value: v });
    } else if (n.type === 'assignment_expression' && n.children.find((c) => c.field === 'operator')?.type === '=') {
      const l = child(n, 'left');
      const r = child(n, 'right');
      if (l && r) bindings.push({ target: l, value: r });
    } else if (n.type === 'call_expression') {
      const name = calleeName(file, n);
      const args = callArgs(n);
      if (name && WDF_UNSAFE.has(name) && args[2]) {
        const out = stripCasts(args[2]);
        const target = out.type === 'pointer_expression' ? child(out, 'argument') : undefined;
        const key = target && accessPath(file, target);
        if (key) aliases.set(key, { kind: 'wdf-unsafe-buffer', origin: n, label: `${name} (a raw user-mode address)`, probedBySystem: false });
      } else if (name && PROBE_ROUTINES.has(name) && args[0]) {
        probed.push(args[0]);
      }
    }
  });
  follow(file, fn, aliases, bindings);
  // What the code itself probes is a user address by its author's word (an embedded pointer, a helper's
  // parameter); sources already known keep their more specific origin.
  let added = false;
  for (const arg of probed) {
    const key = accessPath(file, stripCasts(arg));
    if (!key || key.startsWith('&') || aliases.has(key) || pointerOf(file, fn, aliases, arg, false)) continue;
    aliases.set(key, { kind: 'probed-address', origin: arg, label: `${nodeText(file.source, arg)} (probed as a user-mode address)`, probedBySystem: false });
    added = true;
  }
  if (added) follow(file, fn, aliases, bindings);
  return aliases;
}

/** Follows copies until nothing changes (bounded: each round adds at least one alias). */
function follow(file: ParsedFile, fn: FunctionInfo, aliases: Map<string, UserPointer>, bindings: readonly { target: AstNode; value: AstNode }[]): void {
  for (let round = 0; round < 8; round++) {
    let changed = false;
    for (const b of bindings) {
      const key = b.target.type === 'identifier' || b.target.type === 'field_expression' ? accessPath(file, b.target) : declaredName(file, b.target);
      if (!key || aliases.has(key)) continue;
      const ptr = pointerOf(file, fn, aliases, b.value, false);
      if (ptr) {
        aliases.set(key, ptr);
        changed = true;
      }
    }
    if (!changed) break;
  }
}

/**
 * The user pointer an expression holds: a direct source, an alias, pointer arithmetic on one, the address of
 * something inside user memory, or (with `embedded`) a pointer value fetched out of user memory.
 */
export function pointerOf(file: ParsedFile, fn: FunctionInfo | undefined, aliases: ReadonlyMap<string, UserPointer>, expr: AstNode, embedded = true): UserPointer | undefined {
  const e = stripCasts(expr);
  if (e.type === 'binary_expression') {
    const op = e.children.find((c) => c.field === 'operator')?.type;
    if (op !== '+' && op !== '-') return undefined;
    const l = child(e, 'left');
    const r = child(e, 'right');
    return (l && pointerOf(file, fn, aliases, l, embedded)) ?? (op === '+' && r ? pointerOf(file, fn, aliases, r, embedded) : undefined);
  }
  if (e.type === 'pointer_expression' && e.children[0]?.type === '&') {
    const inner = child(e, 'argument');
    const target = inner && derefTarget(stripCasts(inner));
    return target ? pointerOf(file, fn, aliases, target, embedded) : undefined;
  }
  if (e.type === 'call_expression') {
    const name = calleeName(file, e);
    const a0 = callArgs(e)[0];
    return name && POINTER_OFFSET_MACROS.has(name) && a0 ? pointerOf(file, fn, aliases, a0, embedded) : undefined;
  }
  const direct = directUserPointer(file, fn, e);
  if (direct) return direct;
  const key = accessPath(file, e);
  const alias = key ? aliases.get(key) : undefined;
  if (alias) return alias;
  if (embedded) {
    const base = derefTarget(e);
    const outer = base && pointerOf(file, fn, aliases, base, true);
    if (outer) return { kind: 'embedded-pointer', origin: e, label: `${nodeText(file.source, e)} (a pointer read from user memory)`, probedBySystem: false };
  }
  return undefined;
}

/** For `p->f`, `*p`, `p[i]` (and `.`/`[]` chains on them): the pointer expression being dereferenced. */
function derefTarget(e: AstNode): AstNode | undefined {
  let n: AstNode | undefined = e;
  while (n) {
    if (n.type === 'field_expression') {
      const arg = child(n, 'argument');
      if (n.children.find((c) => c.field === 'operator')?.type === '->') return arg;
      n = arg && stripCasts(arg);
    } else if (n.type === 'subscript_expression') {
      return child(n, 'argument');
    } else if (n.type === 'pointer_expression' && n.children[0]?.type === '*') {
      return child(n, 'argument');
    } else return undefined;
  }
  return undefined;
}

const UNEVALUATED = new Set(['sizeof_expression', 'alignof_expression', 'offsetof_expression', 'decltype']);

function operatorOf(n: AstNode): string | undefined {
  return n.children.find((c) => c.field === 'operator')?.type;
}

/** True for the inner links of an lvalue chain: `u->Hdr` in `u->Hdr.Len`, `u->Data` in `u->Data[2]`. */
function continuesChain(n: AstNode): boolean {
  const p = n.parent;
  if (!p || n.field !== 'argument') return false;
  return (p.type === 'field_expression' && operatorOf(p) === '.') || p.type === 'subscript_expression';
}

/** `u.Len`, `u.Hdr.Len`, `*u`, `u[2]`, `*(u+4)`; undefined for non-constant subscripts and other shapes. */
export function locationKey(file: ParsedFile, expr: AstNode): string | undefined {
  const e = stripCasts(expr);
  switch (e.type) {
    case 'identifier':
      return nodeText(file.source, e);
    case 'field_expression': {
      const arg = child(e, 'argument');
      const f = child(e, 'field');
      const b = arg && locationKey(file, arg);
      return b && f ? `${b}.${nodeText(file.source, f)}` : undefined;
    }
    case 'subscript_expression': {
      const arg = child(e, 'argument');
      const idx = child(e, 'index');
      const b = arg && locationKey(file, arg);
      return b && idx && idx.type === 'number_literal' ? `${b}[${nodeText(file.source, idx)}]` : undefined;
    }
    case 'pointer_expression': {
      const arg = child(e, 'argument');
      const b = arg && locationKey(file, arg);
      return b && e.children[0]?.type === '*' ? `*${b}` : undefined;
    }
    case 'binary_expression': {
      const l = child(e, 'left');
      const r = child(e, 'right');
      const b = l && locationKey(file, l);
      return b && r && r.type === 'number_literal' && operatorOf(e) === '+' ? `(${b}+${nodeText(file.source, r)})` : undefined;
    }
    default:
      return undefined;
  }
}

function collectAccesses(file: ParsedFile, fn: FunctionInfo, aliases: ReadonlyMap<string, UserPointer>): UserAccess[] {
  const out: UserAccess[] = [];
  const reported = new Set<AstNode>();
  walk(fn.body, (n) => {
    if (UNEVALUATED.has(n.type)) return false;
    if (n.type === 'call_expression') {
      const name = calleeName(file, n);
      if (!name) return;
      const args = callArgs(n);
      const at = (i: number, kind: UserAccessKind): boolean => {
        const a = args[i];
        const ptr = a && pointerOf(file, fn, aliases, a);
        if (ptr) out.push({ kind, node: n, pointer: ptr, base: a, location: kind === 'accessor' ? addressedLocation(file, a) : undefined });
        return !!ptr;
      };
      if (PROBE_ROUTINES.has(name)) at(0, 'probe');
      else if (isUserAccessor(name)) args.some((_, i) => at(i, 'accessor'));
      else if (Object.prototype.hasOwnProperty.call(MEMORY_ROUTINES, name)) {
        const spec = MEMORY_ROUTINES[name];
        spec.read.forEach((i) => at(i, 'copy-read'));
        spec.write.forEach((i) => at(i, 'copy-write'));
      }
      return;
    }
    const isDeref = (n.type === 'field_expression' && operatorOf(n) === '->') || n.type === 'subscript_expression' || (n.type === 'pointer_expression' && n.children[0]?.type === '*');
    if (!isDeref) return;
    let outer = n;
    while (continuesChain(outer)) outer = outer.parent!;
    if (reported.has(outer)) return; // one access per lvalue chain, reported at its outermost link
    reported.add(outer);
    const target = derefTarget(outer);
    if (!target) return;
    // `u->Data[2]` indexes an array inside the user structure (or a pointer stored there): the structure's
    // pointer answers for it, which keeps one buffer one buffer.
    const member = outer.type === 'subscript_expression' ? stripCasts(target) : undefined;
    const memberBase = member && member.type === 'field_expression' ? derefTarget(member) : undefined;
    const ptr = pointerOf(file, fn, aliases, target, false) ?? (memberBase && pointerOf(file, fn, aliases, memberBase)) ?? pointerOf(file, fn, aliases, target);
    if (!ptr) return;
    let up = outer;
    while (up.parent && up.parent.type === 'parenthesized_expression') up = up.parent;
    const p = up.parent;
    if (p && p.type === 'pointer_expression' && p.children[0]?.type === '&') return; // an address, not an access
    const write = !!p && p.type === 'assignment_expression' && up.field === 'left' && operatorOf(p) === '=';
    out.push({ kind: write ? 'write' : 'read', node: outer, pointer: ptr, base: target, location: locationKey(file, outer) });
  });
  return out;
}

/** For `&u->Len` (an accessor's argument), the location `u.Len`; for `u`, `*u`. */
function addressedLocation(file: ParsedFile, arg: AstNode): string | undefined {
  const e = stripCasts(arg);
  if (e.type === 'pointer_expression' && e.children[0]?.type === '&') {
    const inner = child(e, 'argument');
    return inner ? locationKey(file, inner) : undefined;
  }
  const k = locationKey(file, e);
  return k ? `*${k}` : undefined;
}
