/** Every place a function touches user memory: dereferences, copies, probes and user-mode accessor calls. */
import { AstNode, ancestor, child, descendants, nodeText, walk } from '../ast';
import type { FileAnalysis, FunctionInfo } from '../analysis';
import type { ParsedFile } from '../parse/parse';
import { callArgs, calleeName } from '../syntax';
import { derefTarget, MAX_DEPTH, operatorOf, stripCasts } from './expr';
import { AliasTable, collectAliases, DIRECT_POINTER_FIELDS, isMessageNotify, pointerOf, PROBE_ROUTINES, UserPointer } from './pointers';

export type UserAccessKind = 'read' | 'write' | 'copy-read' | 'copy-write' | 'probe' | 'accessor';

export interface UserAccess {
  readonly kind: UserAccessKind;
  /** The access: the outermost lvalue (`u->Hdr.Len`) or the call (`RtlCopyMemory(...)`, `ProbeForRead(...)`). */
  readonly node: AstNode;
  /** The user pointer the access goes through. */
  readonly pointer: UserPointer;
  /** The expression holding the user address at this site (`u`, `(PREQ)u`, `u->Data`). */
  readonly base: AstNode;
  /** Canonical location read or written (`u.Len`, `*u`, `u[2]`, `u[i].Len`), when it is a single field or element. */
  readonly location: string | undefined;
  /** The variables `location` indexes by (`i` in `u[i].Len`): it names one place only while they keep their values. */
  readonly indices: readonly string[];
}

export interface UserMemoryModel {
  /** Alias access path -> the user pointer it holds. */
  readonly aliases: AliasTable;
  readonly accesses: readonly UserAccess[];
}

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

/** Whether a routine reads or writes the memory behind one of its pointer arguments (a copy, fill or compare). */
export function isMemoryRoutine(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(MEMORY_ROUTINES, name);
}

/** The arguments a copy-like routine reads and writes as memory, for the routines `isMemoryRoutine` knows. */
export function memoryArgs(name: string): { readonly read: readonly number[]; readonly write: readonly number[] } | undefined {
  return isMemoryRoutine(name) ? MEMORY_ROUTINES[name] : undefined;
}

/** User-mode accessors (`usermode_accessors.h`): each call checks the address and raises on failure. */
export function isUserAccessor(name: string): boolean {
  return /^(Rtl)?(Read\w+From(User|Mode)|Write\w+To(User|Mode)|Copy(From|To)(User|Mode)\w*|Fill(User|Mode)Memory\w*|Zero(User|Mode)Memory\w*|Set(User|Mode)Memory\w*)$/.test(name);
}

/** User-mode accessors that read user memory (`ReadULongFromUser`, `CopyFromUser`); the others only write it. */
export function readsUserMemory(name: string): boolean {
  return /^(Rtl)?(Read\w+From(User|Mode)|CopyFrom(User|Mode)\w*)$/.test(name);
}

const UNEVALUATED = new Set(['sizeof_expression', 'alignof_expression', 'offsetof_expression', 'decltype']);
/** True for the inner links of an lvalue chain: `u->Hdr` in `u->Hdr.Len`, `u->Data` in `u->Data[2]`. */
function continuesChain(n: AstNode): boolean {
  const p = n.parent;
  if (!p || n.field !== 'argument') return false;
  return (p.type === 'field_expression' && operatorOf(p) === '.') || p.type === 'subscript_expression';
}

const NO_INDICES: readonly string[] = Object.freeze([]);

/**
 * `u.Len`, `u.Hdr.Len`, `*u`, `u[2]`, `u[i].Len`, `*(u+4)`; undefined for other subscripts and other shapes. The
 * variables used as subscripts go to `indices`.
 */
export function locationKey(file: ParsedFile, expr: AstNode, depth = 0, indices?: string[]): string | undefined {
  const e = stripCasts(expr);
  if (depth > MAX_DEPTH) return undefined;
  switch (e.type) {
    case 'identifier':
      return nodeText(file.source, e);
    case 'field_expression': {
      const arg = child(e, 'argument');
      const f = child(e, 'field');
      const b = arg && locationKey(file, arg, depth + 1, indices);
      return b && f ? `${b}.${nodeText(file.source, f)}` : undefined;
    }
    case 'subscript_expression': {
      const arg = child(e, 'argument');
      const idx = child(e, 'index');
      const i = idx && stripCasts(idx);
      const b = arg && locationKey(file, arg, depth + 1, indices);
      if (!b || !i || (i.type !== 'number_literal' && i.type !== 'identifier')) return undefined;
      if (i.type === 'identifier') indices?.push(nodeText(file.source, i));
      return `${b}[${nodeText(file.source, i)}]`;
    }
    case 'pointer_expression': {
      const arg = child(e, 'argument');
      const b = arg && locationKey(file, arg, depth + 1, indices);
      return b && e.children[0]?.type === '*' ? `*${b}` : undefined;
    }
    case 'binary_expression': {
      const l = child(e, 'left');
      const r = child(e, 'right');
      const b = l && locationKey(file, l, depth + 1, indices);
      return b && r && r.type === 'number_literal' && operatorOf(e) === '+' ? `(${b}+${nodeText(file.source, r)})` : undefined;
    }
    default:
      return undefined;
  }
}

/** `locationKey` with the subscript variables it depends on. */
function located(file: ParsedFile, expr: AstNode): { location: string | undefined; indices: readonly string[] } {
  const indices: string[] = [];
  const location = locationKey(file, expr, 0, indices);
  return { location, indices: location && indices.length ? indices : NO_INDICES };
}

/** Every access to the memory behind the pointers `aliases` holds (and the user pointers recognised anywhere). */
export function collectAccesses(file: ParsedFile, fn: FunctionInfo, aliases: AliasTable): UserAccess[] {
  const out: UserAccess[] = [];
  const reported = new Set<AstNode>();
  walk(fn.body, (n) => {
    if (UNEVALUATED.has(n.type)) return false;
    if (n.type === 'call_expression') {
      callAccesses(file, fn, aliases, n, out);
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
    const { location, indices } = located(file, outer);
    out.push({ kind: write ? 'write' : 'read', node: outer, pointer: ptr, base: target, location, indices });
  });
  return out;
}

/**
 * The accesses a call makes: a probe, a user-mode accessor or a copy-like routine. Kept out of the walk's
 * callback: the closure below would otherwise be allocated, with its context, for every node of every body.
 */
function callAccesses(file: ParsedFile, fn: FunctionInfo, aliases: AliasTable, n: AstNode, out: UserAccess[]): void {
  const name = calleeName(file, n);
  if (!name) return;
  // Most calls are none of these: tell which (once) before anything is allocated for the call.
  const role = PROBE_ROUTINES.has(name) ? 'probe' : isUserAccessor(name) ? 'accessor' : isMemoryRoutine(name) ? 'copy' : undefined;
  if (!role) return;
  let args: AstNode[] | undefined;
  const at = (i: number, kind: UserAccessKind): boolean => {
    const a = (args ??= callArgs(n))[i];
    const ptr = a && pointerOf(file, fn, aliases, a);
    if (ptr) out.push({ kind, node: n, pointer: ptr, base: a, ...(kind === 'accessor' ? addressedLocation(file, a) : NOWHERE) });
    return !!ptr;
  };
  if (role === 'probe') at(0, 'probe');
  else if (role === 'accessor') (args ??= callArgs(n)).some((_, i) => at(i, 'accessor'));
  else {
    const spec = MEMORY_ROUTINES[name];
    spec.read.forEach((i) => at(i, 'copy-read'));
    spec.write.forEach((i) => at(i, 'copy-write'));
  }
}

const NOWHERE = Object.freeze({ location: undefined, indices: NO_INDICES });

/** For `&u->Len` (an accessor's argument), the location `u.Len`; for `u`, `*u`. */
function addressedLocation(file: ParsedFile, arg: AstNode): { location: string | undefined; indices: readonly string[] } {
  const e = stripCasts(arg);
  if (e.type === 'pointer_expression' && e.children[0]?.type === '&') {
    const inner = child(e, 'argument');
    return inner ? located(file, inner) : NOWHERE;
  }
  const k = located(file, e);
  return k.location ? { location: `*${k.location}`, indices: k.indices } : NOWHERE;
}

/**
 * A definition nested in another one comes from error recovery on macro-heavy code (`try {` read as a
 * declaration): the enclosing definition owns its code.
 */
export function isNestedFunction(fn: FunctionInfo): boolean {
  return !!ancestor(fn.node, (p) => p.type === 'function_definition');
}

function mentionsPointerField(file: ParsedFile, fn: FunctionInfo): boolean {
  return descendants(fn.body, 'field_identifier').some((f) => DIRECT_POINTER_FIELDS.has(nodeText(file.source, f)));
}

/**
 * Models per function definition node, and per whether it is a message-notify callback (the one fact from outside
 * its definition the model reads besides member types; it comes partly from the project index, which changes under
 * the same parse). Keyed by node, the model survives editor re-parses that take the definition over (see buildAst):
 * it holds only nodes of the definition and text read from them, and a node is taken over only while its text is
 * unchanged. The member types it asked about are kept with it, and it is built again when an answer changed (a
 * header was edited, or phase 2 knows the project's declarations).
 */
interface CachedModel {
  readonly model: UserMemoryModel;
  readonly asked: readonly (readonly [AstNode, boolean])[];
}

const modelCache = new WeakMap<AstNode, Map<boolean, CachedModel>>();

/** The user pointers of a function and every access to the memory behind them (cached, see above). */
export function userMemory(analysis: FileAnalysis, fn: FunctionInfo): UserMemoryModel {
  let byRole = modelCache.get(fn.node);
  if (!byRole) modelCache.set(fn.node, (byRole = new Map()));
  const notify = isMessageNotify(analysis, fn);
  const pointerMember = (m: AstNode): boolean => analysis.memberFact(fn, m)?.pointer === true;
  let cached = byRole.get(notify);
  if (!cached || !cached.asked.every(([m, answer]) => pointerMember(m) === answer)) {
    const asked: [AstNode, boolean][] = [];
    let model: UserMemoryModel;
    if (isNestedFunction(fn)) model = { aliases: new AliasTable(), accesses: [] };
    else {
      const aliases = collectAliases(analysis.file, fn, notify, undefined, (m) => {
        const answer = pointerMember(m);
        asked.push([m, answer]);
        return answer;
      });
      // Most functions hold no user pointer: every pointer found comes from an alias or a recognised field.
      const none = !aliases.holdsAny() && !mentionsPointerField(analysis.file, fn);
      model = { aliases, accesses: none ? [] : collectAccesses(analysis.file, fn, aliases) };
    }
    byRole.set(notify, (cached = { model, asked }));
  }
  return cached.model;
}
