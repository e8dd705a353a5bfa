/** Small syntax helpers shared by rules: calls, arguments, member paths. */
import { AstNode, child, descendants, namedChildren, nodeText, unwrap } from './ast';
import type { ParsedFile } from './parse/parse';

/** The called function's plain name (`ExAllocatePoolWithTag`, `Parser::Read` -> `Read`), or undefined. */
export function calleeName(file: ParsedFile, call: AstNode): string | undefined {
  if (call.type !== 'call_expression') return undefined;
  const fn = child(call, 'function');
  if (!fn) return undefined;
  const f = unwrap(fn);
  if (f.type === 'identifier') return nodeText(file.source, f);
  if (f.type === 'qualified_identifier' || f.type === 'template_function') {
    let q: AstNode | undefined = f;
    while (q && (q.type === 'qualified_identifier' || q.type === 'template_function')) q = child(q, 'name');
    return q && q.type === 'identifier' ? nodeText(file.source, q) : undefined;
  }
  if (f.type === 'field_expression') {
    const field = child(f, 'field');
    return field ? nodeText(file.source, field) : undefined;
  }
  return undefined;
}

/** The argument expressions of a call (comments dropped). */
export function callArgs(call: AstNode): AstNode[] {
  const args = child(call, 'arguments');
  const out: AstNode[] = [];
  if (!args) return out;
  for (let i = 0; i < args.children.length; i++) {
    const a = args.children[i];
    if (a.named && a.type !== 'comment') out.push(a);
  }
  return out;
}

/** All call expressions under a node, in source order (pre-order is: a call starts no later than those inside it). */
export function callsIn(node: AstNode): readonly AstNode[] {
  return descendants(node, 'call_expression');
}

/**
 * The canonical access path of an lvalue-like expression: `Irp->AssociatedIrp.SystemBuffer` and
 * `(Irp)->AssociatedIrp.SystemBuffer` both give `Irp.AssociatedIrp.SystemBuffer`; subscripts become `[]`.
 * Returns undefined for expressions that are not paths (calls, arithmetic).
 */
export function accessPath(file: ParsedFile, node: AstNode): string | undefined {
  const n = unwrap(node);
  switch (n.type) {
    case 'identifier':
    case 'field_identifier':
      return nodeText(file.source, n);
    case 'field_expression': {
      const base = child(n, 'argument');
      const field = child(n, 'field');
      const b = base && accessPath(file, base);
      return b && field ? `${b}.${nodeText(file.source, field)}` : undefined;
    }
    case 'subscript_expression': {
      const base = child(n, 'argument');
      const b = base && accessPath(file, base);
      return b ? `${b}[]` : undefined;
    }
    case 'pointer_expression': {
      const op = n.children[0];
      const arg = child(n, 'argument');
      const b = arg && accessPath(file, arg);
      if (!b) return undefined;
      return op && nodeText(file.source, op) === '&' ? `&${b}` : `*${b}`;
    }
    default:
      return undefined;
  }
}

/** True when `node` lies inside the body of a `__try` (not in its `__except`/`__finally` clause). */
export function insideSehTry(node: AstNode): boolean {
  for (let p: AstNode | undefined = node, prev: AstNode | undefined; p; prev = p, p = p.parent) {
    if (p.type === 'seh_try_statement' && prev && prev.field === 'body') return true;
    if (p.type === 'function_definition' || p.type === 'lambda_expression') return false;
  }
  return false;
}

/**
 * The operands of a `|` chain (`POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED`), parentheses and casts removed.
 * A single expression gives itself.
 */
export function bitOrOperands(expr: AstNode): AstNode[] {
  const out: AstNode[] = [];
  const stack = [expr];
  while (stack.length > 0 && out.length < 64) {
    const e = unwrap(stack.pop()!);
    const op = e.type === 'binary_expression' ? e.children.find((c) => c.field === 'operator') : undefined;
    const l = child(e, 'left');
    const r = child(e, 'right');
    if (op && op.type === '|' && l && r) stack.push(r, l);
    else out.push(e);
  }
  return out;
}

/**
 * The names in a flags expression made only of `|`-joined identifiers and integer literals, or undefined when
 * some operand is anything else (a call, or a name `isFlag` rejects, such as a variable holding flags): then
 * the flags are unknown.
 */
export function flagNames(file: ParsedFile, expr: AstNode, isFlag: (name: string) => boolean = () => true): Set<string> | undefined {
  const names = new Set<string>();
  for (const o of bitOrOperands(expr)) {
    const name = o.type === 'identifier' ? nodeText(file.source, o) : undefined;
    if (name !== undefined && isFlag(name)) names.add(name);
    else if (o.type !== 'number_literal') return undefined;
  }
  return names;
}

/** Upper-case names such as `OBJ_KERNEL_HANDLE`: by convention macros or enumerators, not variables. */
export function isConstantName(name: string): boolean {
  return /^[A-Z][A-Z0-9_]*$/.test(name);
}

const BLOCK_PARENTS = new Set(['compound_statement', 'case_statement', 'labeled_statement', 'translation_unit', 'preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'seh_try_statement', 'fragment']);

/** The statement (or declaration) holding `node` that sits directly in a block; undefined outside functions. */
export function statementOf(node: AstNode): AstNode | undefined {
  for (let n: AstNode | undefined = node; n && n.parent; n = n.parent) {
    if (BLOCK_PARENTS.has(n.parent.type) && (n.type.endsWith('statement') || n.type === 'declaration')) return n;
    if (n.type === 'function_definition' || n.type === 'lambda_expression') return undefined;
  }
  return undefined;
}

const PREPROC_BRANCHES = new Set(['preproc_if', 'preproc_ifdef', 'preproc_elif', 'preproc_elifdef', 'preproc_else']);

/**
 * The innermost `#if`/`#ifdef` chain around `node`: the conditions of all its branches (an `#ifdef`'s name), and
 * the code of the branches other than the one holding `node`. Undefined outside a conditional or inside a condition.
 */
export function conditionalBranches(node: AstNode): { conditions: AstNode[]; others: AstNode[] } | undefined {
  let from = node;
  let own = node.parent;
  for (; own && !PREPROC_BRANCHES.has(own.type); own = own.parent) from = own;
  if (!own || from.field === 'condition' || from.field === 'name') return undefined;
  let top = own;
  while (top.field === 'alternative' && top.parent && PREPROC_BRANCHES.has(top.parent.type)) top = top.parent;
  const conditions: AstNode[] = [];
  const others: AstNode[] = [];
  for (let b: AstNode | undefined = top; b; b = child(b, 'alternative')) {
    for (const c of b.children) {
      if (c.field === 'condition' || c.field === 'name') conditions.push(c);
      else if (b !== own && c.named && c.field !== 'alternative') others.push(c);
    }
  }
  return { conditions, others };
}

/**
 * Comments that explain a piece of code: those inside it, trailing on its last line, or on the lines directly
 * above it (a comment block with no blank line or code in between).
 */
export function commentsAbout(file: ParsedFile, node: AstNode): AstNode[] {
  const out = [...descendants(node, 'comment')];
  const parent = node.parent;
  if (!parent) return out;
  const src = file.source;
  const lastLine = src.positionAt(node.end).line;
  let line = src.positionAt(node.start).line;
  for (let k = node.index + 1; k < parent.children.length; k++) {
    const c = parent.children[k];
    if (c.type !== 'comment' || src.positionAt(c.start).line !== lastLine) break;
    out.push(c);
  }
  for (let k = node.index - 1; k >= 0; k--) {
    const c = parent.children[k];
    if (c.type !== 'comment' || src.positionAt(c.end).line < line - 1) break;
    out.push(c);
    line = src.positionAt(c.start).line;
  }
  return out;
}

/**
 * True when `expr` names an object whose `sizeof` is its buffer size: a local or global array (never a
 * parameter, whose array type decays to a pointer), or a field declared as an array in every struct of this
 * file that declares a field of that name. Unknown declarations give false.
 */
export function isArrayObject(file: ParsedFile, expr: AstNode): boolean {
  const e = unwrap(expr);
  if (e.type === 'identifier') return identifierIsArray(file, e);
  if (e.type === 'field_expression') {
    const field = child(e, 'field');
    return !!field && fieldIsArray(file, nodeText(file.source, field));
  }
  return false;
}

function declaredName(file: ParsedFile, decl: AstNode | undefined): { name: string; array: boolean } | undefined {
  let d = decl;
  let array = false;
  let first = true;
  while (d) {
    if (d.type === 'identifier' || d.type === 'field_identifier') return { name: nodeText(file.source, d), array };
    if (d.type === 'array_declarator') array ||= first;
    else if (d.type !== 'init_declarator' && d.type !== 'parenthesized_declarator' && d.type !== 'attributed_declarator') return undefined;
    if (d.type !== 'init_declarator') first = false;
    d = child(d, 'declarator');
  }
  return undefined;
}

function identifierIsArray(file: ParsedFile, id: AstNode): boolean {
  const name = nodeText(file.source, id);
  // The innermost scope that declares the name decides: blocks outwards, then parameters, then the file.
  for (let scope = id.parent; scope; scope = scope.parent) {
    if (scope.type === 'function_definition') {
      const params = descendants(child(scope, 'declarator') ?? scope, 'parameter_declaration');
      if (params.some((p) => declaredName(file, child(p, 'declarator'))?.name === name)) return false;
      continue;
    }
    if (scope.type !== 'compound_statement' && scope.type !== 'translation_unit' && scope.type !== 'for_statement') continue;
    for (const c of scope.children) {
      if (c.type !== 'declaration' || c.start > id.start) continue;
      for (const d of c.children.filter((x) => x.field === 'declarator')) {
        const dn = declaredName(file, d);
        if (dn?.name === name) return dn.array;
      }
    }
  }
  return false;
}

function fieldIsArray(file: ParsedFile, name: string): boolean {
  let arrays = 0;
  for (const f of descendants(file.root, 'field_declaration')) {
    for (const d of f.children.filter((x) => x.field === 'declarator')) {
      const dn = declaredName(file, d);
      if (dn?.name !== name) continue;
      if (!dn.array) return false;
      arrays++;
    }
  }
  return arrays > 0;
}

/** The expression of an `if`/`while`/`switch` condition (C++ wraps it in a `condition_clause`). */
export function conditionValue(cond: AstNode | undefined): AstNode | undefined {
  if (cond?.type === 'condition_clause') return child(cond, 'value') ?? namedChildren(cond).pop();
  return cond;
}

/**
 * The conditions deciding whether `node` runs, innermost first: enclosing `if` and `?:` branches, loop bodies,
 * `case` labels (their `switch`), and the right operand of `&&`/`||`. Stops at the enclosing function.
 */
export function controllingConditions(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  for (let n: AstNode = node, p = node.parent; p; n = p, p = p.parent) {
    if (p.type === 'function_definition' || p.type === 'lambda_expression') break;
    let cond: AstNode | undefined;
    if ((p.type === 'if_statement' || p.type === 'conditional_expression') && (n.field === 'consequence' || n.field === 'alternative')) cond = child(p, 'condition');
    else if ((p.type === 'while_statement' || p.type === 'for_statement' || p.type === 'do_statement') && n.field === 'body') cond = child(p, 'condition');
    else if (p.type === 'switch_statement' && n.field === 'body') cond = child(p, 'condition');
    else if (p.type === 'binary_expression' && n.field === 'right' && /^(&&|\|\||and|or)$/.test(p.children.find((c) => c.field === 'operator')?.type ?? '')) cond = child(p, 'left');
    const value = conditionValue(cond);
    if (value) out.push(value);
  }
  return out;
}

const USER_ENTRY = new Set(['main', 'wmain', '_tmain', 'WinMain', 'wWinMain', '_tWinMain', 'DllMain']);
const USER_HEADERS = new Set(['windows.h', 'winsock2.h', 'tchar.h', 'imagehlp.h', 'dbghelp.h', 'setupapi.h', 'cfgmgr32.h', 'winioctl.h', 'winsvc.h']);
const KERNEL_HEADERS = new Set(['ntddk.h', 'wdm.h', 'ntifs.h', 'fltkernel.h', 'ndis.h', 'wdf.h', 'ntstrsafe.h', 'wdmsec.h', 'ntddndis.h', 'storport.h', 'netadaptercx.h', 'ks.h', 'portcls.h', 'hidport.h', 'acpiioct.h', 'wsk.h', 'fwpsk.h']);

/**
 * True for a file that is evidently user-mode code (a test tool, a service, a user-mode driver's helper): it
 * defines a process entry point (`main`, `WinMain`, `DllMain`, ...), or includes `windows.h` and no kernel
 * header. Driver files that only include a private header are not recognised either way (false).
 */
export function isUserModeFile(file: ParsedFile): boolean {
  let known = userModeFiles.get(file);
  if (known === undefined) userModeFiles.set(file, (known = computeUserMode(file)));
  return known;
}

/** Several rules and the summary ask; the answer is per parse. */
const userModeFiles = new WeakMap<ParsedFile, boolean>();

function computeUserMode(file: ParsedFile): boolean {
  let user = false;
  let kernel = false;
  for (const inc of descendants(file.root, 'preproc_include')) {
    const path = child(inc, 'path');
    const name = path ? nodeText(file.source, path).replace(/^[<"]|[>"]$/g, '').split(/[\\/]/).pop()!.toLowerCase() : '';
    if (USER_HEADERS.has(name)) user = true;
    if (KERNEL_HEADERS.has(name)) kernel = true;
  }
  if (user && !kernel) return true;
  for (const def of file.root.children) {
    if (def.type !== 'function_definition') continue;
    let d = child(def, 'declarator');
    while (d && d.type !== 'function_declarator') d = child(d, 'declarator');
    const name = d && child(d, 'declarator');
    if (name && USER_ENTRY.has(nodeText(file.source, name))) return true;
  }
  return false;
}

/**
 * True when `arg` is a value formatted into a message: an argument that follows a format string (a literal
 * holding a `%` conversion) in the same call, as in `DbgPrint("%p", p)` or a tracing macro
 * `LEAVE_TRACE("Buffer=%p", Irp->UserBuffer)`.
 */
export function isFormattedArgument(file: ParsedFile, arg: AstNode): boolean {
  const list = arg.parent;
  if (list?.type !== 'argument_list' || list.parent?.type !== 'call_expression') return false;
  for (const a of list.children) {
    if (a === arg) return false;
    if ((a.type === 'string_literal' || a.type === 'concatenated_string') && /%[-+ #0]*[\d*]*(\.[\d*]+)?[hlLzjtIw\d]*[a-zA-Z!]/.test(nodeText(file.source, a))) return true;
  }
  return false;
}

/**
 * Tracing and logging helpers (`TracePrint`, `DebugPrint`, `LogEvent`) and debug-print macros (`DEBUGP`,
 * `DBGPRINT`, `KD_PRINT`): their arguments reach no sink, and a value read only for them decides nothing.
 */
export function isLoggingCallee(name: string): boolean {
  return /(^|[a-z0-9_])(Trace|Log|Print|Debug|Dbg)([A-Z_]|$)/.test(name) || /^(DEBUG|DBG|TRACE|LOG|KD_?PRINT|DPRINT)[A-Z0-9_]*$/.test(name);
}
