/**
 * Where a user address goes in a function, when the function itself never touches the memory behind it: a
 * dispatch routine that picks `Irp->UserBuffer` and hands it to a helper, or only tests it for NULL.
 */
import { AstNode, child, descendants, nodeText } from '../ast';
import type { FunctionInfo } from '../analysis';
import type { ParsedFile } from '../parse/parse';
import { calleeName, isFormattedArgument } from '../syntax';
import { declaredName, operatorOf } from './expr';
import { isMemoryRoutine, isUserAccessor } from './accesses';

const POINTER_OFFSET_CALLS = /^(Add2Ptr|RtlOffsetToPointer|OffsetToPtr)$/;
/** Calls that use the memory behind a pointer argument, or start locking it. */
const MEMORY_CALLS = /^(IoAllocateMdl|IoBuildPartialMdl|MmProbeAndLockPages|MmInitializeMdl|CcCopyRead|CcCopyWrite|CcMdlRead|CcPrepareMdlWrite)$/;
const TESTS = /^([=!]=|<=?|>=?|&&|\|\|)$/;
const MAX_FOLLOW = 3;

/**
 * Climbs from a use of an address to the expression that carries it on: through parentheses, casts, `?:` arms,
 * and pointer arithmetic (`p + off`, `Add2Ptr(p, off)`).
 */
function carrier(file: ParsedFile, node: AstNode): AstNode {
  let up = node;
  for (;;) {
    const p = up.parent;
    if (!p) return up;
    if (p.type === 'parenthesized_expression' || p.type === 'cast_expression') up = p;
    else if (p.type === 'conditional_expression' && up.field !== 'condition') up = p;
    else if (p.type === 'binary_expression' && /^[+-]$/.test(operatorOf(p) ?? '')) up = p;
    else if (p.type === 'argument_list' && p.parent?.type === 'call_expression' && up === p.children.find((c) => c.named) && POINTER_OFFSET_CALLS.test(calleeName(file, p.parent) ?? '')) up = p.parent;
    else return up;
  }
}

/**
 * True when the address `node` yields is, in this function, only tested (`if (p)`, `p == NULL`, `p < limit`),
 * probed, logged, returned, stored in a structure field, handed to a helper that is not a memory routine, or bound
 * to a local used only in these ways. Such a function touches no user memory itself; the code that does is elsewhere.
 */
export function onlyHandedOn(file: ParsedFile, fn: FunctionInfo, node: AstNode, depth = 0): boolean {
  const up = carrier(file, node);
  const p = up.parent;
  if (!p) return false;
  if (p.type === 'return_statement' || p.type === 'sizeof_expression' || p.type === 'condition_clause' || up.field === 'condition') return true;
  if (p.type === 'unary_expression' && operatorOf(p) === '!') return true;
  if (p.type === 'binary_expression' && TESTS.test(operatorOf(p) ?? '')) return true;
  if (p.type === 'argument_list' && p.parent?.type === 'call_expression') {
    const name = calleeName(file, p.parent);
    if (!name) return false;
    return isFormattedArgument(file, up) || (!isMemoryRoutine(name) && !isUserAccessor(name) && !MEMORY_CALLS.test(name));
  }
  if (p.type === 'assignment_expression' && operatorOf(p) === '=' && up.field === 'right') {
    const left = child(p, 'left');
    if (left?.type === 'field_expression') return true;
    return left?.type === 'identifier' && onlyUsedAsHandle(file, fn, nodeText(file.source, left), depth);
  }
  if (p.type === 'init_declarator' && up.field === 'value') {
    const name = declaredName(file, p);
    return !!name && onlyUsedAsHandle(file, fn, name, depth);
  }
  return false;
}

/** Every read of the local `name` is one `onlyHandedOn` accepts (assignments to it are not reads). */
function onlyUsedAsHandle(file: ParsedFile, fn: FunctionInfo, name: string, depth: number): boolean {
  if (depth >= MAX_FOLLOW) return false;
  for (const id of descendants(fn.body, 'identifier')) {
    if (nodeText(file.source, id) !== name || id.field === 'declarator') continue;
    const p = id.parent;
    if (p?.type === 'assignment_expression' && id.field === 'left') continue;
    if (p?.type === 'init_declarator' && id.field === 'declarator') continue;
    if (!onlyHandedOn(file, fn, id, depth + 1)) return false;
  }
  return true;
}
