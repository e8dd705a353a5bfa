import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, descendants, nodeText, unwrap } from '../../server/src/engine/ast';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { accessPath, callArgs, calleeName, callsIn, flagNames, isConstantName } from '../../server/src/engine/syntax';
import { onlyAnnotated } from '../../server/src/engine/untrusted';
import { kernelModeOnly } from '../../server/src/engine/user-memory';

/** Handle -> object lookups: argument positions of the handle, the object type and the access mode. */
const BY_HANDLE: Record<string, { handle: number; type: number; mode: number }> = {
  ObReferenceObjectByHandle: { handle: 0, type: 2, mode: 3 },
  ObReferenceObjectByHandleWithTag: { handle: 0, type: 2, mode: 3 },
};
/** Entry-point roles that run in the requesting thread's context (its process, its handle table). */
const CALLER_ROLES = new Set(['wdm-dispatch', 'wdm-direct-read-write', 'wdm-device-control', 'kmdf-in-caller-context', 'kmdf-io-device-control', 'kmdf-io-read', 'kmdf-io-write', 'filter-message-notify', 'filter-preop']);
const REQUEST_PARAM = /\b(PIRP|WDFREQUEST|PFLT_CALLBACK_DATA)\b/;
/** Calls that open or create a handle from an OBJECT_ATTRIBUTES. */
const OPENS_HANDLE = /^(Zw|Nt)[A-Z]\w*$|^(IoCreateFile\w*|FltCreateFile\w*|FltOpenVolume|ObOpenObjectByName|PsCreateSystemThread)$/;
const PRIVILEGE_CHECKS = new Set(['SeSinglePrivilegeCheck', 'SePrivilegeCheck', 'SeAccessCheck', 'SeTokenIsAdmin']);
const INIT_STRING = new Set(['RtlInitUnicodeString', 'RtlInitUnicodeStringEx', 'RtlUnicodeStringInit', 'RtlInitAnsiString', 'RtlInitString', 'RtlCreateUnicodeString', 'RtlUnicodeStringCopy', 'RtlUnicodeStringCopyString', 'RtlCopyUnicodeString']);

/** Where a request's data enters, for messages: the first step of the taint path. */
function origin(flow: FunctionFlow, expr: AstNode): string | undefined {
  const t = flow.taint(expr);
  // A SAL annotation alone does not show that a caller chose the value (internal helpers are annotated too).
  if (!t || onlyAnnotated(t)) return undefined;
  return t.steps[0]?.label ?? 'request data';
}

/** The caller supplies the object name: the name (or the string it was built from) is request data. */
function callerName(ctx: RuleContext, fn: FunctionInfo, flow: FunctionFlow, nameArg: AstNode | undefined): { node: AstNode; from: string } | undefined {
  if (!nameArg) return undefined;
  const direct = origin(flow, nameArg);
  if (direct) return { node: nameArg, from: direct };
  const a = unwrap(nameArg);
  const target = a.type === 'pointer_expression' ? child(a, 'argument') : a;
  const path = target && accessPath(ctx.file, target);
  if (!path) return undefined;
  for (const call of callsIn(fn.body)) {
    if (call.start > nameArg.start || !INIT_STRING.has(calleeName(ctx.file, call) ?? '')) continue;
    const [dst, src] = callArgs(call);
    const d = dst && unwrap(dst);
    const dPath = d && (d.type === 'pointer_expression' ? accessPath(ctx.file, child(d, 'argument') ?? d) : accessPath(ctx.file, d));
    const from = dPath === path && src ? origin(flow, src) : undefined;
    if (from) return { node: src!, from };
  }
  return undefined;
}

/** Whether the function runs on behalf of a caller, and how sure that is. */
function callerContext(fn: FunctionInfo, flow: FunctionFlow): 'entry' | 'likely' | undefined {
  if (flow.role && CALLER_ROLES.has(flow.role)) return 'entry';
  if (fn.params.some((p) => REQUEST_PARAM.test(p.typeText)) || (flow.paramSeeds?.size ?? 0) > 0) return 'likely';
  return undefined;
}

function checkHandles(ctx: RuleContext, fn: FunctionInfo, flow: FunctionFlow): void {
  for (const call of callsIn(fn.body)) {
    const spec = BY_HANDLE[calleeName(ctx.file, call) ?? ''];
    const args = callArgs(call);
    const mode = spec && args[spec.mode] && unwrap(args[spec.mode]);
    if (!spec || !mode || mode.type !== 'identifier' || ctx.text(mode) !== 'KernelMode') continue;
    const from = origin(flow, args[spec.handle]);
    if (!from || kernelModeOnly(ctx.file, call) || privileged(ctx, fn, call)) continue;
    const typeArg = args[spec.type] && unwrap(args[spec.type]);
    const anyType = typeArg && /^(NULL|nullptr|0)$/.test(ctx.text(typeArg)) ? ', and with a NULL ObjectType it accepts a handle to any kind of object' : '';
    ctx.report({
      node: mode,
      message: `The handle comes from the request (${from}), but it is resolved with AccessMode KernelMode: that skips the access check, so a caller can pass a handle it opened with no rights (or any handle in its process) and the driver then acts on the object with full kernel access${anyType}. Pass Irp->RequestorMode (UserMode for requests from user mode) and the expected object type (*IoFileObjectType, *PsProcessType, ...).`,
      path: [...flowSteps(flow, args[spec.handle]), { node: mode, label: 'resolved without an access check (KernelMode)' }],
    });
  }
}

/** The function checks the caller's privileges before `call` (only privileged callers get this far). */
function privileged(ctx: RuleContext, fn: FunctionInfo, call: AstNode): boolean {
  return callsIn(fn.body).some((c) => c.start < call.start && PRIVILEGE_CHECKS.has(calleeName(ctx.file, c) ?? ''));
}

function flowSteps(flow: FunctionFlow, expr: AstNode): { node?: AstNode; label: string }[] {
  return (flow.taint(expr)?.steps ?? []).filter((s) => s.node).map((s) => ({ node: s.node, label: s.label }));
}

/** `InitializeObjectAttributes(&oa, name, attrs, ...)` and `oa = RTL_CONSTANT_OBJECT_ATTRIBUTES(name, attrs)`. */
function objectAttributes(ctx: RuleContext, fn: FunctionInfo): { oa: string; name?: AstNode; attrs: AstNode; at: AstNode }[] {
  const out: { oa: string; name?: AstNode; attrs: AstNode; at: AstNode }[] = [];
  for (const call of callsIn(fn.body)) {
    const callee = calleeName(ctx.file, call);
    const args = callArgs(call);
    if (callee === 'InitializeObjectAttributes' && args.length >= 3) {
      const a = unwrap(args[0]);
      const oa = accessPath(ctx.file, a.type === 'pointer_expression' ? child(a, 'argument') ?? a : a);
      if (oa) out.push({ oa, name: args[1], attrs: args[2], at: call });
    } else if (callee === 'RTL_CONSTANT_OBJECT_ATTRIBUTES' && args.length >= 2) {
      const decl = call.parent?.type === 'init_declarator' ? child(call.parent, 'declarator') : undefined;
      if (decl) out.push({ oa: nodeText(ctx.file.source, decl), name: args[0], attrs: args[1], at: call });
    }
  }
  return out;
}

function checkObjectAttributes(ctx: RuleContext, fn: FunctionInfo, flow: FunctionFlow): void {
  const context = callerContext(fn, flow);
  for (const init of objectAttributes(ctx, fn)) {
    const flags = flagNames(ctx.file, init.attrs, isConstantName);
    if (!flags) continue;
    // The OBJECT_ATTRIBUTES must reach a call that opens a handle in this function.
    const opener = callsIn(fn.body).find((c) => c.start > init.at.start && OPENS_HANDLE.test(calleeName(ctx.file, c) ?? '') && callArgs(c).some((a) => usesPath(ctx, a, init.oa)));
    if (!opener) continue;
    const openName = calleeName(ctx.file, opener);
    const name = callerName(ctx, fn, flow, init.name);
    const forced = flags.has('OBJ_FORCE_ACCESS_CHECK') || descendants(opener, 'identifier').some((i) => ctx.text(i) === 'IO_FORCE_ACCESS_CHECK');
    if (name && !forced && !kernelModeOnly(ctx.file, opener)) {
      ctx.report({
        node: init.attrs,
        message: `The object name comes from the caller (${name.from}), but the attributes lack OBJ_FORCE_ACCESS_CHECK: '${openName}' runs with kernel-mode previous mode, so no access check is made against the caller and it can open, overwrite or delete objects it has no right to. Add OBJ_FORCE_ACCESS_CHECK (or IO_FORCE_ACCESS_CHECK), or better, let the caller open the object and pass a handle.`,
        path: [...flowSteps(flow, name.node), { node: init.attrs, label: 'opened without an access check' }],
      });
    }
    if (!flags.has('OBJ_KERNEL_HANDLE') && (context || name)) {
      const where = context === 'entry' || name ? 'runs in the calling process' : 'may run in the calling process (it handles a request)';
      ctx.report({
        node: init.attrs,
        severity: context === 'entry' || name ? undefined : 'warning',
        message: `The attributes lack OBJ_KERNEL_HANDLE, and this code ${where}: the handle '${openName}' returns lands in that process's handle table, where user-mode code can use, duplicate or close it (and get another object under the same value). Add OBJ_KERNEL_HANDLE.`,
      });
    }
  }
}

function usesPath(ctx: RuleContext, arg: AstNode, oa: string): boolean {
  const a = unwrap(arg);
  const target = a.type === 'pointer_expression' ? child(a, 'argument') : a;
  return !!target && accessPath(ctx.file, target) === oa;
}

export default defineCheck({
  check(ctx) {
    const handles = (fn: FunctionInfo): boolean => callsIn(fn.body).some((c) => {
      const name = calleeName(ctx.file, c) ?? '';
      return Object.prototype.hasOwnProperty.call(BY_HANDLE, name) || OPENS_HANDLE.test(name);
    });
    for (const { fn, flow } of ctx.analysis.flowsWhere(handles)) {
      checkHandles(ctx, fn, flow);
      checkObjectAttributes(ctx, fn, flow);
    }
  },
});
