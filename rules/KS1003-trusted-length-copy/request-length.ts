/**
 * The `request-length` check: a copy whose length is the caller's own buffer length, into or out of memory whose
 * size the code fixed (a local or global array with a declared size, the address of a local object, a block this
 * function allocated with a constant size). A caller that sends a longer buffer, or asks for a longer reply,
 * makes the copy run past that memory.
 */
import { AstNode, child, nodeText, TextSource } from '../../server/src/engine/ast';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import type { Taint } from '../../server/src/engine/flow/taint-answer';
import type { ReportSpec } from '../../server/src/engine/rule';
import { onlyAnnotated } from '../../server/src/engine/untrusted';
import { arrayDeclOf, isLocalObject, valuesStoredTo } from '../../server/src/engine/flow/arrays';
import { isZeroLiteral } from '../../server/src/engine/flow/guard-transfer';
import { SIZE_CALLS } from '../../server/src/engine/flow/narrow';
import { opOf, stripCasts } from '../../server/src/engine/flow/paths';
import { ALLOCATION_SIZE_ARGS } from '../../server/src/engine/flow/sources';
import { callArguments, calleeName } from '../../server/src/engine/flow/taint';
import type { FunctionInfo } from '../../server/src/engine/index/functions';
import type { ParsedFile } from '../../server/src/engine/parse/parse';

interface FixedCapacity {
  /** What holds the bytes, for the message: `the stack array 'Buf'`, `the pool block 'p'`. */
  readonly what: string;
  /** Its size as the code would write it in a check. */
  readonly size: string;
}

/** A size the code wrote down: numbers, `sizeof`, upper-case constants and arithmetic on them. */
function isConstantSize(src: TextSource, n: AstNode): boolean {
  const e = stripCasts(n);
  switch (e.type) {
    case 'number_literal':
    case 'sizeof_expression':
    case 'offsetof_expression':
      return true;
    case 'identifier':
      return /^[A-Z][A-Z0-9_]*$/.test(nodeText(src, e));
    case 'binary_expression': {
      const l = child(e, 'left');
      const r = child(e, 'right');
      return /^[-+*<>]+$/.test(opOf(src, e)) && !!l && !!r && isConstantSize(src, l) && isConstantSize(src, r);
    }
    case 'call_expression':
      return SIZE_CALLS.test(calleeName(src, e));
    default:
      return false;
  }
}

/**
 * The constant size `target` was allocated with in this function, when every value the function gives it is such
 * an allocation or NULL (a pointer also set from elsewhere, or allocated with a computed size, has no fixed capacity).
 */
function constantAllocation(file: ParsedFile, fn: FunctionInfo, target: string): AstNode | undefined {
  const src = file.source;
  let size: AstNode | undefined;
  for (const value of valuesStoredTo(src, fn.body, target)) {
    const v = stripCasts(value);
    if (isZeroLiteral(src, v)) continue;
    const name = v.type === 'call_expression' ? calleeName(src, v) : '';
    const index = ALLOCATION_SIZE_ARGS.get(name);
    const arg = index !== undefined ? callArguments(v)[index] : undefined;
    if (!arg || !isConstantSize(src, arg) || (size && nodeText(src, size) !== nodeText(src, arg))) return undefined;
    size = arg;
  }
  return size;
}

/** The fixed capacity of a copy's destination or source, when the code shows one. */
function fixedCapacity(file: ParsedFile, fn: FunctionInfo, dst: AstNode): FixedCapacity | undefined {
  const src = file.source;
  const d = stripCasts(dst);
  if (d.type === 'pointer_expression' && opOf(src, d) === '&') {
    const arg = child(d, 'argument');
    if (!arg || !isLocalObject(file, fn, arg)) return undefined;
    const name = nodeText(src, arg);
    return { what: `the local '${name}'`, size: `sizeof(${name})` };
  }
  if (d.type !== 'identifier') return undefined;
  const name = nodeText(src, d);
  const array = arrayDeclOf(file, fn, d);
  if (array) {
    // A parameter declared as an array is a pointer; a trailing `[1]` member is sized by data.
    if (array.where === 'param' || array.where === 'field' || array.trailing || !array.size) return undefined;
    return { what: `the ${array.where === 'local' ? 'stack' : 'global'} array '${name}'`, size: `sizeof(${name})` };
  }
  const size = constantAllocation(file, fn, name);
  return size ? { what: `the pool block '${name}'`, size: nodeText(src, stripCasts(size)).replace(/\s+/g, ' ') } : undefined;
}

/** The length of the caller's own buffer (InputBufferLength, a WDF length out-parameter), not bounded from above here. */
function uncheckedRequestLength(flow: FunctionFlow, expr: AstNode): Taint | undefined {
  const t = flow.taint(expr);
  if (!t || !t.length || !t.has('value') || t.has('buffer') || t.has('user-pointer')) return undefined;
  return flow.isBounded(expr) ? undefined : t;
}

/** The finding for a copy of `len` bytes from `source` to `dest` by `name`, if its length is the caller's and one side is fixed. */
export function requestLengthCopy(file: ParsedFile, fn: FunctionInfo, flow: FunctionFlow, name: string, dest: AstNode, source: AstNode | undefined, len: AstNode): ReportSpec | undefined {
  const r = uncheckedRequestLength(flow, len);
  if (!r) return undefined;
  const into = fixedCapacity(file, fn, dest);
  const from = into ? undefined : source && fixedCapacity(file, fn, source);
  const fixed = into ?? from;
  if (!fixed) return undefined;
  const src = file.source;
  const lenText = nodeText(src, stripCasts(len)).replace(/\s+/g, ' ');
  const sal = onlyAnnotated(r);
  const may = (v: string, s: string): string => (sal ? `may ${v}` : s);
  const harm = into
    ? `a caller that sends a longer buffer ${may('overrun', 'overruns')} it (stack or pool corruption, a bug check or code execution)`
    : `a caller that asks for a longer reply ${may('read', 'reads')} past it: the memory beside it goes to the caller (a kernel memory disclosure), or the read faults and bug-checks the machine`;
  return {
    node: len,
    subKind: 'request-length',
    severity: sal ? 'note' : undefined,
    message:
      `The length of this ${name} call, '${lenText}', is the length of the caller's buffer (${r.steps[0]?.label ?? 'the request'}), but ${fixed.what} holds ${fixed.size} bytes and nothing compares the two: ${harm}. ` +
      `Reject a length above that size first: 'if (${lenText} > ${fixed.size}) return STATUS_INVALID_BUFFER_SIZE;', or copy ${fixed.size} bytes after checking that the caller's buffer holds them.`,
    path: [...r.steps, { node: len, label: `used as the length of ${name}` }],
  };
}
