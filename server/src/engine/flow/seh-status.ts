/**
 * A `__except` handler that stores a failure status, tested by the statement right after the `__try`:
 *
 *     __try { ProbeForRead(p, n, 1); } __except (EXCEPTION_EXECUTE_HANDLER) { Status = GetExceptionCode(); }
 *     if (!NT_SUCCESS(Status)) return Status;
 *
 * The control-flow graph sends the handler's end straight to the branch taken on failure, so code after the test
 * is reached only when the body did not raise. Also the `AbnormalTermination()` test of a `__finally` body.
 */
import { AstNode, child, namedChildren, nodeText, TextSource } from '../ast';
import { calleeName } from './taint';

/** The end of a `__except` handler whose last statement stores a failure status (see `StmtBuilder.block`). */
export interface FailedStatus {
  readonly variable: string;
  readonly frontier: readonly number[];
}

/** NTSTATUS names that `NT_SUCCESS` accepts, among those a handler might store. */
const SUCCESS_CODES = new Set([
  'STATUS_SUCCESS', 'STATUS_PENDING', 'STATUS_TIMEOUT', 'STATUS_REPARSE', 'STATUS_MORE_ENTRIES', 'STATUS_USER_APC', 'STATUS_ALERTED',
  'STATUS_KERNEL_APC', 'STATUS_NOT_ALL_ASSIGNED', 'STATUS_SOME_NOT_MAPPED', 'STATUS_OPLOCK_BREAK_IN_PROGRESS', 'STATUS_VOLUME_MOUNTED',
  'STATUS_NOTIFY_CLEANUP', 'STATUS_NOTIFY_ENUM_DIR', 'STATUS_CACHE_PAGE_READ', 'STATUS_REPARSE_OBJECT', 'STATUS_NOTHING',
  'STATUS_OBJECT_NAME_EXISTS', 'STATUS_IMAGE_NOT_AT_BASE', 'STATUS_THREAD_WAS_SUSPENDED', 'STATUS_WAIT_FOR_OPLOCK', 'STATUS_CRASH_DUMP',
  'STATUS_BUFFER_ALL_ZEROS', 'STATUS_RESOURCE_REQUIREMENTS_CHANGED', 'STATUS_TRANSLATION_COMPLETE', 'STATUS_SERVICE_NOTIFICATION',
  'STATUS_CHECKING_FILE_SYSTEM', 'STATUS_PREDEFINED_HANDLE', 'STATUS_REGISTRY_RECOVERED', 'STATUS_SERIAL_MORE_WRITES', 'STATUS_EVENT_DONE',
  'STATUS_EVENT_PENDING', 'STATUS_PROCESS_CLONED', 'STATUS_RECEIVE_PARTIAL', 'STATUS_RECEIVE_EXPEDITED', 'STATUS_RECEIVE_PARTIAL_EXPEDITED',
]);
/** Families of success and informational codes (`STATUS_WAIT_1`, `STATUS_ABANDONED_WAIT_0`, `STATUS_PAGE_FAULT_DEMAND_ZERO`, ...). */
const SUCCESS_PATTERN = /^STATUS_(WAIT_|ABANDONED|PAGE_FAULT_|FILE_LOCKED_WITH_|WX86_|FLT_|NDIS_INDICATION)/;

/**
 * The variable a handler body ends by setting to a failure status: `Status = GetExceptionCode();` or
 * `Status = STATUS_INVALID_USER_BUFFER;` as its last statement.
 */
export function failureSetBy(src: TextSource, body: AstNode): string | undefined {
  const stmts = body.type === 'compound_statement' ? namedChildren(body).filter((c) => c.type !== 'comment') : [body];
  const last = stmts[stmts.length - 1];
  const e = last?.type === 'expression_statement' ? namedChildren(last).find((c) => c.type !== 'comment') : undefined;
  if (e?.type !== 'assignment_expression' || child(e, 'operator')?.type !== '=') return undefined;
  const left = child(e, 'left');
  const right = child(e, 'right');
  if (left?.type !== 'identifier' || !right) return undefined;
  return isFailureStatus(src, right) ? nodeText(src, left) : undefined;
}

/** `GetExceptionCode()` or a `STATUS_` error name: a value `NT_SUCCESS` rejects. */
export function isFailureStatus(src: TextSource, value: AstNode): boolean {
  return (
    (value.type === 'call_expression' && ['GetExceptionCode', '_exception_code'].includes(calleeName(src, value))) ||
    (value.type === 'identifier' && /^STATUS_[A-Z0-9_]+$/.test(nodeText(src, value)) && !SUCCESS_CODES.has(nodeText(src, value)) && !SUCCESS_PATTERN.test(nodeText(src, value)))
  );
}

/** The call a condition makes, through parentheses and `!`, and whether an odd number of `!` negates it. */
function testedCall(condition: AstNode): { call: AstNode; negated: boolean } | undefined {
  let e: AstNode | undefined = condition;
  let negated = false;
  while (e && (e.type === 'parenthesized_expression' || (e.type === 'unary_expression' && child(e, 'operator')?.type === '!'))) {
    if (e.type === 'unary_expression') negated = !negated;
    e = e.type === 'unary_expression' ? child(e, 'argument') : namedChildren(e).find((c) => c.type !== 'comment');
  }
  return e?.type === 'call_expression' ? { call: e, negated } : undefined;
}

/** For a condition `!NT_SUCCESS(v)` true, for `NT_SUCCESS(v)` false (the branch taken when `v` failed); else undefined. */
export function failureBranch(src: TextSource, condition: AstNode, variable: string): boolean | undefined {
  const tested = testedCall(condition);
  if (!tested || calleeName(src, tested.call) !== 'NT_SUCCESS') return undefined;
  const args = namedChildren(child(tested.call, 'arguments') ?? tested.call).filter((c) => c.type !== 'comment');
  return args.length === 1 && args[0].type === 'identifier' && nodeText(src, args[0]) === variable ? tested.negated : undefined;
}

/** `AbnormalTermination()` (or `_abnormal_termination()`), possibly negated: true when it reads as abnormal, false when negated. */
export function abnormalTest(src: TextSource, condition: AstNode): boolean | undefined {
  const tested = testedCall(condition);
  const name = tested && calleeName(src, tested.call);
  return name === 'AbnormalTermination' || name === '_abnormal_termination' ? !tested!.negated : undefined;
}
