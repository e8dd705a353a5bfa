/**
 * Where user-mode addresses enter a function (METHOD_NEITHER buffers, `Irp->UserBuffer`, KMDF unsafe retrieve
 * calls, minifilter port messages, addresses the code itself probes) and the local names that hold them.
 */
import { AstNode, ancestor, child, descendants, namedChildren, nodeText } from '../ast';
import type { FileAnalysis, FunctionInfo } from '../analysis';
import type { ParsedFile } from '../parse/parse';
import { callArgs, calleeName } from '../syntax';
import { declaredName, derefTarget, fieldName, MAX_DEPTH, operatorOf, pathOf, stripCasts } from './expr';

export type UserPointerKind =
  | 'type3-input-buffer'
  | 'irp-user-buffer'
  | 'neither-buffer'
  | 'wdf-unsafe-buffer'
  | 'port-message-buffer'
  | 'probed-address'
  | 'embedded-pointer'
  | 'locked-mapping'
  /** The caller's buffer as a project function returns it (see `writableMemory`). */
  | 'returned-buffer';

export interface UserPointer {
  readonly kind: UserPointerKind;
  /** The expression where the address enters the function (a field read, a parameter, an out-argument). */
  readonly origin: AstNode;
  /** Short label for paths and messages, e.g. "Type3InputBuffer (the caller's raw user-mode address)". */
  readonly label: string;
  /** True when the system has already probed the range (FltMgr probes port message buffers). */
  readonly probedBySystem: boolean;
}

export const PROBE_ROUTINES: ReadonlySet<string> = new Set(['ProbeForRead', 'ProbeForWrite']);
const WDF_UNSAFE = new Set(['WdfRequestRetrieveUnsafeUserInputBuffer', 'WdfRequestRetrieveUnsafeUserOutputBuffer']);
const POINTER_OFFSET_MACROS = new Set(['Add2Ptr', 'RtlOffsetToPointer', 'OffsetToPtr']);

/** Whether `name` in `fn` is declared as an IRP pointer (or, undeclared, is named like one). */
export function isIrpName(file: ParsedFile, fn: FunctionInfo | undefined, name: string): boolean {
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

/**
 * A user address read straight from a request: `...Parameters.DeviceIoControl.Type3InputBuffer`,
 * `Irp->UserBuffer`, `...Neither.InputBuffer` / `.OutputBuffer` (minifilter FSCTL/IOCTL parameters).
 */
/** The fields `directUserPointer` recognises: without one of them (or an alias), an expression is no user pointer. */
export const DIRECT_POINTER_FIELDS: ReadonlySet<string> = new Set(['Type3InputBuffer', 'UserBuffer', 'InputBuffer', 'OutputBuffer']);

export function directUserPointer(file: ParsedFile, fn: FunctionInfo | undefined, expr: AstNode): UserPointer | undefined {
  const e = stripCasts(expr);
  const field = fieldName(file, e);
  if (!field) return undefined;
  const base = child(e, 'argument');
  if ((field === 'Type3InputBuffer' || field === 'UserBuffer') && fn && internalRequest(file, fn, e)) return undefined;
  const parameters = base && fieldName(file, stripCasts(base));
  if (field === 'Type3InputBuffer' && (parameters === 'DeviceIoControl' || parameters === 'FileSystemControl')) {
    return { kind: 'type3-input-buffer', origin: e, label: "Type3InputBuffer (the caller's raw user-mode address)", probedBySystem: false };
  }
  if (field === 'UserBuffer' && base) {
    const b = stripCasts(base);
    const name = b.type === 'identifier' ? nodeText(file.source, b) : fieldName(file, b);
    if (name && (b.type === 'identifier' ? isIrpName(file, fn, name) && !(fn && ownIrp(file, fn, name)) : /irp$/i.test(name))) {
      return { kind: 'irp-user-buffer', origin: e, label: "Irp->UserBuffer (the caller's raw user-mode address)", probedBySystem: false };
    }
  }
  if ((field === 'InputBuffer' || field === 'OutputBuffer') && base && fieldName(file, stripCasts(base)) === 'Neither') {
    return { kind: 'neither-buffer', origin: e, label: `Neither.${field} (the caller's raw user-mode address)`, probedBySystem: false };
  }
  return undefined;
}

const IRP_BUILDERS = new Set(['IoAllocateIrp', 'IoBuildDeviceIoControlRequest', 'IoBuildSynchronousFsdRequest', 'IoBuildAsynchronousFsdRequest', 'IoMakeAssociatedIrp']);
const IRP_OWNER_CALLS = new Set(['IoFreeIrp', 'IoReuseIrp', 'IoInitializeIrp']);

/** An IRP the function builds (or frees) itself: its `UserBuffer` is the driver's own buffer. */
export function ownIrp(file: ParsedFile, fn: FunctionInfo, name: string): boolean {
  for (const call of descendants(fn.body, 'call_expression')) {
    const callee = calleeName(file, call);
    if (callee && IRP_OWNER_CALLS.has(callee)) {
      const a = callArgs(call)[0];
      if (a && nodeText(file.source, stripCasts(a)) === name) return true;
    } else if (callee && IRP_BUILDERS.has(callee)) {
      let up = call;
      while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
      const target = up.parent && (up.parent.type === 'assignment_expression' ? child(up.parent, 'left') : up.parent.type === 'init_declarator' ? child(up.parent, 'declarator') : undefined);
      if (target && (target.type === 'identifier' ? nodeText(file.source, target) : declaredName(file, target)) === name) return true;
    }
  }
  return false;
}

/**
 * Internal device controls (`IRP_MJ_INTERNAL_DEVICE_CONTROL`, `IOCTL_INTERNAL_*` codes) come from kernel
 * components, which pass kernel pointers in the same fields: a use under such a case label, or in a function
 * named for internal requests, is not a user address.
 */
export function internalRequest(file: ParsedFile, fn: FunctionInfo, node: AstNode): boolean {
  if (/intern/i.test(fn.name)) return true;
  for (let c = ancestor(node, (p) => p.type === 'case_statement'); c; c = ancestor(c, (p) => p.type === 'case_statement')) {
    // `case A: case B: body` gives empty case statements for A before the one holding the body.
    for (let k = c.index; k >= 0; k--) {
      const label = c.parent!.children[k];
      if (label.type !== 'case_statement' || (k !== c.index && namedChildren(label).length > 1)) break;
      const v = child(label, 'value');
      if (v && /INTERNAL/.test(nodeText(file.source, v))) return true;
    }
  }
  return false;
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

interface Site {
  readonly node: AstNode;
  ptr: UserPointer | undefined;
}

/** Where a branch's effects are confined: a `case`, an `if` arm, a loop body (which may not run). */
function branchOf(node: AstNode): AstNode | undefined {
  for (let n: AstNode = node, p = node.parent; p; n = p, p = p.parent) {
    if (p.type === 'function_definition') return undefined;
    if (n.type === 'case_statement') return n;
    if (p.type === 'if_statement' && (n.field === 'consequence' || n.field === 'alternative')) return n;
    if ((p.type === 'for_statement' || p.type === 'while_statement') && n.field === 'body') return n;
  }
  return undefined;
}

/**
 * The names (access paths) that hold user addresses, with every place each is bound. A name bound only to user
 * addresses is one everywhere; a name also bound to other values (`buf = SystemBuffer` in one `case`,
 * `buf = Type3InputBuffer` in another) holds a user address at a use only when the nearest binding before the
 * use that can reach it (same branch or an enclosing one; failing that, the nearest before it) is a user address.
 */
export class AliasTable implements Iterable<[string, UserPointer]> {
  private readonly sites = new Map<string, Site[]>();

  add(key: string, node: AstNode, ptr: UserPointer | undefined): Site {
    const site: Site = { node, ptr };
    const list = this.sites.get(key);
    if (list) list.push(site);
    else this.sites.set(key, [site]);
    return site;
  }

  /** The user pointer `key` holds, at `use` when given. */
  get(key: string, use?: AstNode): UserPointer | undefined {
    const sites = this.sites.get(key);
    const user = sites?.find((s) => s.ptr)?.ptr;
    if (!sites || !user || !use || sites.every((s) => s.ptr)) return user;
    let best: Site | undefined;
    let last: Site | undefined;
    for (const s of sites) {
      if (s.node.end > use.start) continue;
      if (!last || s.node.start > last.node.start) last = s;
      const branch = branchOf(s.node);
      if ((!branch || (branch.start <= use.start && use.end <= branch.end)) && (!best || s.node.start > best.node.start)) best = s;
    }
    // With no binding in an enclosing branch (or a tree broken by error recovery), the nearest one counts.
    return (best ?? last)?.ptr;
  }

  has(key: string): boolean {
    return !!this.get(key);
  }

  /** True when some access path holds a user pointer somewhere. */
  holdsAny(): boolean {
    for (const sites of this.sites.values()) if (sites.some((s) => s.ptr)) return true;
    return false;
  }

  *[Symbol.iterator](): Iterator<[string, UserPointer]> {
    for (const [key, sites] of this.sites) {
      const user = sites.find((s) => s.ptr)?.ptr;
      if (user) yield [key, user];
    }
  }
}

/**
 * Whether a function is a minifilter port's message-notify callback (its two buffers are raw user memory): by its
 * role in the project index or its registration in this file. The one fact from outside its own definition that
 * `collectAliases` reads.
 */
export function isMessageNotify(analysis: FileAnalysis, fn: FunctionInfo): boolean {
  return (analysis.project.entryPoint(fn.name) === 'filter-message-notify' || messageNotifyNames(analysis.file).has(fn.name)) && fn.params.length === 6;
}

/** Where a pointer gets bound or reported: declarations with a value, assignments, calls. */
const BINDING_SITES: ReadonlySet<string> = new Set(['init_declarator', 'assignment_expression', 'call_expression']);

/** Sources beyond the user addresses this module knows (see `writableMemory`). */
export interface ExtraSources {
  /** Parameters holding such an address on entry. */
  readonly params: ReadonlyMap<string, UserPointer>;
  /**
   * A call that stores an address through an out-argument: the argument's access path, and the pointer when the
   * address is such a source (otherwise the call binds the path to something else).
   */
  out(call: AstNode): { key: string; ptr: UserPointer | undefined } | undefined;
  /** A call whose value is such an address. */
  value(call: AstNode): UserPointer | undefined;
}

/** Whether a member expression names a pointer member (`p->What` with `PULONG_PTR What;`), when the declared types say. */
export type PointerMember = (member: AstNode) => boolean;

/** The aliases of user addresses in a function; `messageNotify`: see `isMessageNotify`. */
export function collectAliases(file: ParsedFile, fn: FunctionInfo, messageNotify: boolean, extra?: ExtraSources, pointerMember?: PointerMember): AliasTable {
  const table = new AliasTable();
  if (messageNotify) {
    for (const i of [1, 3]) {
      const p = fn.params[i];
      if (p.name) table.add(p.name, p.node, { kind: 'port-message-buffer', origin: p.node, label: `${p.name} (a raw user-mode buffer of a port message)`, probedBySystem: true });
    }
  }
  for (const [name, ptr] of extra?.params ?? []) table.add(name, ptr.origin, ptr);
  const bindings: { value: AstNode; site: Site }[] = [];
  const probed: AstNode[] = [];
  for (const n of descendants(fn.body, BINDING_SITES)) {
    if (n.type === 'init_declarator' || (n.type === 'assignment_expression' && operatorOf(n) === '=')) {
      const target = child(n, n.type === 'init_declarator' ? 'declarator' : 'left');
      const value = child(n, n.type === 'init_declarator' ? 'value' : 'right');
      const key = !target ? undefined : target.type === 'identifier' || target.type === 'field_expression' ? pathOf(file, target) : declaredName(file, target);
      const call = value && extra ? stripCasts(value) : undefined;
      const source = call?.type === 'call_expression' ? extra!.value(call) : undefined;
      if (key && source) table.add(key, n, source);
      else if (key && value) bindings.push({ value, site: table.add(key, n, undefined) });
    } else if (n.type === 'call_expression') {
      const out = extra?.out(n);
      if (out) table.add(out.key, n, out.ptr);
      const name = calleeName(file, n);
      const args = name && (WDF_UNSAFE.has(name) || PROBE_ROUTINES.has(name)) ? callArgs(n) : [];
      if (name && WDF_UNSAFE.has(name) && args[2]) {
        const out = stripCasts(args[2]);
        const target = out.type === 'pointer_expression' ? child(out, 'argument') : undefined;
        const key = target && pathOf(file, target);
        if (key) table.add(key, n, { kind: 'wdf-unsafe-buffer', origin: n, label: `${name} (a raw user-mode address)`, probedBySystem: false });
      } else if (name && PROBE_ROUTINES.has(name) && args[0]) {
        probed.push(args[0]);
      }
    }
  }
  follow(file, fn, table, bindings, pointerMember);
  // What the code itself probes is a user address by its author's word (an embedded pointer, a helper's
  // parameter); sources already known keep their more specific origin.
  let added = false;
  for (const arg of probed) {
    const key = pathOf(file, stripCasts(arg));
    if (!key || key.startsWith('&') || pointerOf(file, fn, table, arg, false)) continue;
    table.add(key, arg.parent?.parent ?? arg, { kind: 'probed-address', origin: arg, label: `${nodeText(file.source, arg)} (probed as a user-mode address)`, probedBySystem: false });
    added = true;
  }
  if (added) follow(file, fn, table, bindings, pointerMember);
  return table;
}

/** Follows copies until nothing changes (bounded: each round turns at least one binding into a user address). */
function follow(file: ParsedFile, fn: FunctionInfo, table: AliasTable, bindings: readonly { value: AstNode; site: Site }[], pointerMember: PointerMember | undefined): void {
  for (let round = 0; round < 8; round++) {
    let changed = false;
    for (const b of bindings) {
      if (b.site.ptr) continue;
      b.site.ptr = pointerOf(file, fn, table, b.value, false) ?? typedPointerLoad(file, fn, table, b.value) ?? (pointerMember && typedMemberLoad(file, fn, table, b.value, pointerMember));
      changed ||= !!b.site.ptr;
    }
    if (!changed) break;
  }
}

/**
 * `p = *(PCHAR *)UserBuffer`: a value read out of user memory through a cast that says it is a pointer (`T **`,
 * `PVOID *`, `P<Name> *`). Unlike `req->Data`, which may name an inline array inside the buffer, the cast leaves no
 * doubt that the value read is an address the caller chose.
 */
function typedPointerLoad(file: ParsedFile, fn: FunctionInfo, table: AliasTable, value: AstNode): UserPointer | undefined {
  const e = stripCasts(value);
  if (e.type !== 'pointer_expression' || e.children[0]?.type !== '*') return undefined;
  let cast = child(e, 'argument');
  while (cast?.type === 'parenthesized_expression') cast = namedChildren(cast)[0];
  if (cast?.type !== 'cast_expression' || !castsToPointerToPointer(file, child(cast, 'type'))) return undefined;
  const operand = child(cast, 'value');
  if (!operand || !pointerOf(file, fn, table, operand, false)) return undefined;
  return { kind: 'embedded-pointer', origin: e, label: `${nodeText(file.source, e)} (an address read out of user memory)`, probedBySystem: false };
}

/**
 * `What = User->What` with `PULONG_PTR What;` declared in the structure: a pointer stored in user memory, the address
 * the caller chose. Without the declaration `User->Data` may name an inline array of the structure.
 */
function typedMemberLoad(file: ParsedFile, fn: FunctionInfo, table: AliasTable, value: AstNode, pointerMember: PointerMember): UserPointer | undefined {
  const e = stripCasts(value);
  if (e.type !== 'field_expression' || !pointerOf(file, fn, table, e) || !pointerMember(e)) return undefined;
  return { kind: 'embedded-pointer', origin: e, label: `${nodeText(file.source, e)} (a pointer stored in user memory)`, probedBySystem: false };
}

/** `(T **)`, `(PVOID *)`, `(PCHAR *)`: a type descriptor for a pointer to a pointer (P-prefixed names are pointer typedefs). */
function castsToPointerToPointer(file: ParsedFile, type: AstNode | undefined): boolean {
  const decl = type && child(type, 'declarator');
  if (decl?.type !== 'abstract_pointer_declarator') return false;
  if (child(decl, 'declarator')?.type === 'abstract_pointer_declarator') return true;
  const base = child(type!, 'type');
  return !!base && /^P[A-Z0-9_]*$/.test(nodeText(file.source, base));
}

/**
 * The user pointer an expression holds: a direct source, an alias, pointer arithmetic on one, the address of
 * something inside user memory, or (with `embedded`) a pointer value fetched out of user memory.
 */
export function pointerOf(file: ParsedFile, fn: FunctionInfo | undefined, aliases: AliasTable, expr: AstNode, embedded = true, depth = 0): UserPointer | undefined {
  const e = stripCasts(expr);
  if (depth > MAX_DEPTH) return undefined;
  if (e.type === 'binary_expression') {
    const op = operatorOf(e);
    if (op !== '+' && op !== '-') return undefined;
    const l = child(e, 'left');
    const r = child(e, 'right');
    return (l && pointerOf(file, fn, aliases, l, embedded, depth + 1)) ?? (op === '+' && r ? pointerOf(file, fn, aliases, r, embedded, depth + 1) : undefined);
  }
  if (e.type === 'pointer_expression' && e.children[0]?.type === '&') {
    const inner = child(e, 'argument');
    const target = inner && derefTarget(stripCasts(inner));
    return target ? pointerOf(file, fn, aliases, target, embedded, depth + 1) : undefined;
  }
  if (e.type === 'call_expression') {
    const name = calleeName(file, e);
    const a0 = callArgs(e)[0];
    return name && POINTER_OFFSET_MACROS.has(name) && a0 ? pointerOf(file, fn, aliases, a0, embedded, depth + 1) : undefined;
  }
  const direct = directUserPointer(file, fn, e);
  if (direct) return direct;
  const key = pathOf(file, e);
  const alias = key ? aliases.get(key, e) : undefined;
  if (alias) return alias;
  if (embedded) {
    const base = derefTarget(e);
    const outer = base && pointerOf(file, fn, aliases, base, true, depth + 1);
    if (outer) return { kind: 'embedded-pointer', origin: e, label: `${nodeText(file.source, e)} (an address derived from user memory)`, probedBySystem: false };
  }
  return undefined;
}
