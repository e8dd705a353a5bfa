import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import { AstNode, ancestor, child, descendants } from '../../server/src/engine/ast';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { pathOf } from '../../server/src/engine/flow/paths';
import { definedPaths, reachesWithout, redefines } from '../../server/src/engine/flow/reach';
import { callArgs, calleeName } from '../../server/src/engine/syntax';
import { followedPointers, internalRequest, isNestedFunction, kernelModeOnly, onlyBoundTo, pointerOf, PROBE_ROUTINES, stripCasts, UserAccess, userMemory, userModeTest } from '../../server/src/engine/user-memory';

const LOCKS = new Set(['WdfRequestProbeAndLockUserBufferForRead', 'WdfRequestProbeAndLockUserBufferForWrite']);
/** Request buffers whose embedded pointers are user addresses (internal requests excepted). */
const REQUEST_TAGS = new Set(['system-buffer', 'wdf-input-buffer', 'wdf-output-buffer', 'wdf-memory-buffer', 'port-message']);

interface Deref {
  readonly node: AstNode;
  readonly base: AstNode;
  readonly origin: AstNode | undefined;
  readonly label: string;
  readonly embedded: boolean;
}

/** A probe (or probe-and-lock) of the same pointer that runs before `use` on every path. */
function probedBefore(ctx: RuleContext, fn: FunctionInfo, flow: FunctionFlow, d: Deref): boolean {
  const src = ctx.file.source;
  const basePath = pathOf(src, d.base);
  const aliases = userMemory(ctx.analysis, fn).aliases;
  const probes: AstNode[] = [];
  for (const call of descendants(fn.body, 'call_expression')) {
    const name = calleeName(ctx.file, call);
    const arg = name && PROBE_ROUTINES.has(name) ? callArgs(call)[0] : name && LOCKS.has(name) ? callArgs(call)[1] : undefined;
    if (!arg) continue;
    const same = (basePath !== undefined && pathOf(src, arg) === basePath) || (!!d.origin && pointerOf(ctx.file, fn, aliases, arg)?.origin === d.origin);
    if (!same) continue;
    // `if (Irp->RequestorMode != KernelMode) ProbeForRead(...)` (or a flag holding that test): kernel callers need no probe.
    const modeIf = ancestor(call, (p) => p.type === 'if_statement');
    const cond = modeIf && child(modeIf, 'condition');
    const userTest = cond && userModeTest(ctx.file, fn.body, cond);
    const at = userTest ?? call;
    if (flow.dominates(at, d.node)) return true;
    probes.push(at);
  }
  return probes.length > 0 && probedOnEveryPath(ctx, flow, d, basePath, probes);
}

/**
 * When the pointer was bound where it was read (`p = Neither.OutputBuffer`, then `*p`): whether every path from
 * that binding to the use passes one of the probes or binds `p` anew (`p = MmGetSystemAddressForMdlSafe(...)` on
 * the branch that does not probe).
 */
function probedOnEveryPath(ctx: RuleContext, flow: FunctionFlow, d: Deref, basePath: string | undefined, probes: readonly AstNode[]): boolean {
  const from = d.origin && flow.nodeOf(d.origin);
  const to = flow.nodeOf(d.node);
  if (!basePath || !from || !to || from === to) return false;
  const src = ctx.file.source;
  if (!definedPaths(flow.cfg, src, from).includes(basePath)) return false;
  const blocked = new Set(probes.map((p) => flow.nodeOf(p)?.id));
  return !reachesWithout(flow.cfg, from, to, (n) => blocked.has(n.id) || definedPaths(flow.cfg, src, n).some((p) => redefines(p, basePath)));
}

/**
 * Pointers read out of a request buffer the I/O manager copied (`SystemBuffer`, a KMDF request buffer) and followed:
 * a member the structure's declaration makes a pointer, or a local only ever given one; without a declaration only
 * `req->Ptr->Field`, since `*req->Data` or `req->Data[i]` may use an inline array. Structures reached through
 * parameters may be the driver's own.
 */
function requestPointers(ctx: RuleContext, fn: FunctionInfo, flow: FunctionFlow, seen: ReadonlySet<AstNode>): Deref[] {
  const src = ctx.file.source;
  const params = new Set(fn.params.map((p) => p.name));
  const stored = (e: AstNode, arrow: boolean): boolean => {
    const root = pathOf(src, e)?.split(/[.[]/)[0];
    if (!root || params.has(root)) return false;
    const fact = ctx.analysis.memberFact(fn, e);
    return fact ? fact.pointer === true || (arrow && fact.pointer === null && !fact.array) : arrow;
  };
  const locals = new Map<string, boolean>();
  const copied = (name: string): boolean => {
    let v = locals.get(name);
    if (v === undefined) locals.set(name, (v = !params.has(name) && onlyBoundTo(ctx.file, fn, name, (e) => e.type === 'field_expression' && stored(e, false))));
    return v;
  };
  const out: Deref[] = [];
  for (const { node, pointer, arrow } of followedPointers(ctx.file, fn)) {
    if (seen.has(node) || !(pointer.type === 'field_expression' ? stored(pointer, arrow) : pointer.type === 'identifier' && copied(ctx.text(pointer))) || internalRequest(ctx.file, fn, node)) continue;
    const t = flow.taint(pointer);
    if (!t || !t.loaded || t.has('buffer') || t.has('user-pointer') || !t.tags.some((g) => REQUEST_TAGS.has(g))) continue;
    out.push({ node, base: pointer, origin: undefined, label: `${ctx.text(pointer)} (a pointer read from the request buffer, so a user-mode address)`, embedded: true });
  }
  return out;
}

/** A dereference the user-memory model found, unless the system or the code probed its pointer. */
function modelDeref(ctx: RuleContext, fn: FunctionInfo, a: UserAccess): Deref | undefined {
  // The model credits `u->What[2]` to `u` (one buffer stays one buffer); a member declared a pointer is another one.
  const member = a.node.type === 'subscript_expression' && a.pointer.kind !== 'embedded-pointer' ? stripCasts(a.base) : undefined;
  if (member?.type === 'field_expression' && ctx.analysis.memberFact(fn, member)?.pointer === true) {
    return { node: a.node, base: member, origin: member, label: `${ctx.text(member)} (a pointer stored in user memory)`, embedded: true };
  }
  if (a.pointer.probedBySystem || a.pointer.kind === 'probed-address') return undefined;
  const embedded = a.pointer.kind === 'embedded-pointer';
  if (embedded) {
    // `u->Data[i]` and `RtlCopyMemory(k, u->Data, n)` may use an inline array of the structure: without its
    // declaration only `->` and `*` surely follow a pointer stored in it.
    const fact = a.pointer.origin.type === 'field_expression' ? ctx.analysis.memberFact(fn, a.pointer.origin) : undefined;
    if (fact ? fact.array || fact.pointer === false : a.node.type === 'subscript_expression' || a.kind === 'copy-read' || a.kind === 'copy-write') return undefined;
  }
  return { node: a.node, base: a.base, origin: a.pointer.origin, label: a.pointer.label, embedded };
}

/** Dereferences through user pointers the model knows, and through pointers read out of a request buffer. */
function derefs(ctx: RuleContext, fn: FunctionInfo, flow: FunctionFlow): Deref[] {
  const out: Deref[] = [];
  const seen = new Set<AstNode>();
  for (const a of userMemory(ctx.analysis, fn).accesses) {
    const d = a.kind === 'probe' || a.kind === 'accessor' ? undefined : modelDeref(ctx, fn, a);
    if (!d) continue;
    seen.add(a.node);
    out.push(d);
  }
  if (!flow.hasTaint || /intern/i.test(fn.name)) return out;
  return out.concat(requestPointers(ctx, fn, flow, seen));
}

export default defineCheck({
  check(ctx) {
    // Dereferences come from the user-memory model, or (in functions untrusted data reaches) from the request.
    const candidate = (fn: FunctionInfo): boolean => !isNestedFunction(fn) && (userMemory(ctx.analysis, fn).accesses.length > 0 || ctx.analysis.hasTaint(fn));
    for (const { fn, flow } of ctx.analysis.flowsWhere(candidate)) {
      const reported = new Set<string>();
      for (const d of derefs(ctx, fn, flow).sort((x, y) => x.node.start - y.node.start)) {
        const key = d.origin ? String(d.origin.start) : pathOf(ctx.file.source, d.base) ?? String(d.base.start);
        if (reported.has(key) || !flow.reachable(d.node) || kernelModeOnly(ctx.file, d.node) || probedBefore(ctx, fn, flow, d)) continue;
        reported.add(key);
        const what = d.embedded ? 'a pointer taken from the request' : 'a user-mode address';
        ctx.report({
          node: d.node,
          message: `'${ctx.text(d.node).replace(/\s+/g, ' ')}' dereferences ${what} (${d.label}) that is not probed first: a caller can pass a kernel address and make the driver read or overwrite kernel memory, or an invalid one and bug-check the machine. Call ProbeForRead/ProbeForWrite inside __try before the first access, or copy it with CopyFromUser/ReadULongFromUser.`,
          path: [{ node: d.origin ?? d.base, label: d.label }, { node: d.node, label: 'dereferenced without a dominating probe' }],
        });
      }
    }
  },
});
