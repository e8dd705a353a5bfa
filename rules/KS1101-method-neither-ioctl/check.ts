import { defineCheck, RuleContext, Severity } from '../../server/src/engine/rule';
import { AstNode, ancestor, child, descendants } from '../../server/src/engine/ast';
import { ctlCodeUses, methodOf } from '../../server/src/engine/ioctl';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import { callArgs, calleeName, isFormattedArgument } from '../../server/src/engine/syntax';
import { directUserPointer, insideTryBlock, isNestedFunction, kernelModeOnly, onlyHandedOn, pathOf, pointerOf, userMemory, UserPointer } from '../../server/src/engine/user-memory';

const NEITHER = 'the I/O manager hands the driver the caller\'s raw user-mode addresses, unchecked and unlocked, so every access can fault or be redirected at kernel memory and bug-check the machine. Prefer METHOD_BUFFERED (or METHOD_IN_DIRECT/METHOD_OUT_DIRECT for bulk data)';
const UNHANDLED: [Severity | undefined, string] = [undefined, 'Probe it inside __try (ProbeForRead/ProbeForWrite, or the user-mode accessors CopyFromUser/ReadULongFromUser) and capture the data into pool before validating and using it; in KMDF call WdfRequestProbeAndLockUserBufferForRead/Write from EvtIoInCallerContext.'];
const PROBED_ONLY: [Severity, string] = ['warning', 'The buffer is probed inside __try here, but it is then used in place: capture it into pool once and use only the copy, since another thread can change or unmap it at any time.'];
const PASSED_ON: [Severity, string] = ['note', 'Here the address is only passed on (returned, stored for a later transfer, or handed to another function), not accessed; the code that uses it is elsewhere, so make sure it probes, locks or accesses it inside __try.'];
const HANDLED: [Severity, string] = ['note', 'The buffer is probed and captured here, which is the correct handling; this note remains because a buffered interface removes the risk altogether.'];
/** A pointer turned into an integer carries a value, not an address (`PtrToUlong(Type3InputBuffer)`). */
const INTEGER_CASTS = new Set(['PtrToUlong', 'PtrToLong', 'PtrToUint', 'PtrToInt', 'PtrToUshort', 'PtrToShort', 'HandleToUlong', 'HandleToLong']);
const WDF_UNSAFE = new Set(['WdfRequestRetrieveUnsafeUserInputBuffer', 'WdfRequestRetrieveUnsafeUserOutputBuffer']);
const WDF_LOCK = new Set(['WdfRequestProbeAndLockUserBufferForRead', 'WdfRequestProbeAndLockUserBufferForWrite']);

/** IOCTL code definitions: `CTL_CODE(t, f, METHOD_NEITHER, a)` in code or `#define`s, and wrappers around it. */
function checkDefinitions(ctx: RuleContext): void {
  for (const use of ctlCodeUses(ctx.file)) {
    if (methodOf(ctx.file.source, use) !== 'neither') continue;
    ctx.report({ node: use.method, message: `This IOCTL code uses METHOD_NEITHER: ${NEITHER}. If NEITHER is unavoidable, check Irp->RequestorMode, probe inside __try and capture the data into pool before use.` });
  }
}

/** A read of the address itself that touches nothing: logging it, comparing it, forwarding it to the next stack location. */
function inertUse(ctx: RuleContext, fn: FunctionInfo, node: AstNode): boolean {
  let up = node;
  while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
  const p = up.parent;
  if (!p) return false;
  if (p.type === 'assignment_expression') {
    const left = child(p, 'left');
    return up.field === 'left' || (!!left && !!directUserPointer(ctx.file, fn, left));
  }
  // Equality and range tests (`p == NULL`, `MM_SYSTEM_RANGE_START <= p`) compare the address, not the memory.
  if (p.type === 'binary_expression' && /^([=!]=|<=?|>=?)$/.test(p.children.find((c) => c.field === 'operator')?.type ?? '')) return true;
  if (isFormattedArgument(ctx.file, up)) return true;
  const call = ancestor(node, (a) => a.type === 'call_expression' || a.type === 'compound_statement');
  const name = call?.type === 'call_expression' ? calleeName(ctx.file, call) : undefined;
  return !!name && (/print|trace|log/i.test(name) || INTEGER_CASTS.has(name));
}

/** How the function handles the buffer behind `origin`: probed, captured into kernel memory, or neither. */
function handling(ctx: RuleContext, fn: FunctionInfo, origin: string): { probed: boolean; captured: boolean } {
  const model = userMemory(ctx.analysis, fn);
  const same = (p: UserPointer): boolean => originKey(ctx, p) === origin;
  let [probed, captured] = [false, false];
  for (const a of model.accesses) {
    if (!same(a.pointer)) continue;
    if (a.kind === 'accessor') probed = captured = true;
    if (a.kind === 'probe' && insideTryBlock(ctx.file, a.node)) probed = true;
    // A copy routine, or a whole-structure read (`local = *(PREQ)p`), inside __try captures the buffer.
    const whole = a.kind === 'read' && a.node.type === 'pointer_expression' && !!a.location && !a.location.includes('+');
    if ((a.kind === 'copy-read' || a.kind === 'copy-write' || whole) && insideTryBlock(ctx.file, a.node)) captured = true;
  }
  let [mdl, locked] = [false, false];
  for (const call of descendants(fn.body, 'call_expression')) {
    const name = calleeName(ctx.file, call);
    const args = callArgs(call);
    const isOurs = (i: number): boolean => {
      const p = args[i] ? pointerOf(ctx.file, fn, model.aliases, args[i]) : undefined;
      return !!p && same(p);
    };
    if (name && WDF_LOCK.has(name) && isOurs(1)) probed = captured = true;
    if (name === 'IoAllocateMdl' && isOurs(0)) mdl = true;
    // A partial MDL over the request's locked MDL: the address only names pages that are already locked.
    if ((name === 'IoBuildPartialMdl' && isOurs(2)) || (name === 'FltLockUserBuffer' && origin.includes('Neither.'))) probed = captured = true;
    if (name === 'MmProbeAndLockPages' && insideTryBlock(ctx.file, call)) locked = true;
  }
  if (mdl && locked) probed = captured = true;
  return { probed, captured };
}

/** Uses of the same request field (or the same retrieve call) are one buffer. */
function originKey(ctx: RuleContext, p: UserPointer): string {
  return p.origin.type === 'call_expression' ? String(p.origin.start) : pathOf(ctx.file, p.origin) ?? String(p.origin.start);
}

function checkUses(ctx: RuleContext): void {
  for (const fn of ctx.analysis.functions) {
    if (isNestedFunction(fn)) continue;
    const seen = new Set<string>();
    const uses: { node: AstNode; ptr: UserPointer; what: string }[] = [];
    const accessed = new Set<string>();
    for (const n of descendants(fn.body, new Set(['field_expression', 'call_expression']))) {
      if (n.type === 'call_expression') {
        const name = calleeName(ctx.file, n);
        if (name && WDF_UNSAFE.has(name)) uses.push({ node: n, ptr: { kind: 'wdf-unsafe-buffer', origin: n, label: name, probedBySystem: false }, what: `'${name}' returns a METHOD_NEITHER buffer` });
        continue;
      }
      const ptr = directUserPointer(ctx.file, fn, n);
      if (ptr && !inertUse(ctx, fn, n) && !kernelModeOnly(ctx.file, n)) {
        uses.push({ node: n, ptr, what: `'${ctx.text(child(n, 'field')!)}' is a METHOD_NEITHER buffer` });
        if (!onlyHandedOn(ctx.file, fn, n)) accessed.add(originKey(ctx, ptr));
      }
    }
    for (const use of uses) {
      const key = originKey(ctx, use.ptr);
      if (seen.has(key)) continue;
      seen.add(key);
      const { probed, captured } = handling(ctx, fn, key);
      const [severity, tail] = probed && captured ? HANDLED : probed ? PROBED_ONLY : use.ptr.kind === 'wdf-unsafe-buffer' || accessed.has(key) ? UNHANDLED : PASSED_ON;
      ctx.report({ node: use.node, message: `${use.what}: ${NEITHER}. ${tail}`, severity, path: [{ node: use.node, label: use.ptr.label }] });
    }
  }
}

export default defineCheck({
  check(ctx) {
    checkDefinitions(ctx);
    checkUses(ctx);
  },
});
