/**
 * What a `switch` does with a value none of its cases names: the path through its `default:` (or straight past
 * it when there is none) and the statements that run after it. KS1604 asks whether that path rejects the input
 * (returns, jumps to an error label, raises, or records a failure that the code then tests) or carries on with
 * the record. Purely syntactic; an answer the syntax cannot settle counts as a rejection, so the rule stays silent.
 */
import { ancestor, AstNode, child, namedChildren, nodeText, walk } from './ast';
import { isNoReturnCall } from './flow/noreturn';
import { ASSERTION, mayLeave } from './flow/must-reach';
import { pathOf, stripCasts } from './flow/paths';
import { calleeName } from './flow/taint';
import { isLoggingCallee } from './syntax';
import type { ParsedFile } from './parse/parse';

const LOOPS = new Set(['for_statement', 'while_statement', 'do_statement', 'for_range_loop']);
const PASS_UP = new Set(['if_statement', 'else_clause', 'labeled_statement', 'seh_try_statement', 'preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif']);
/** Status and result constants that say the input was bad. */
const FAILURE = /^(STATUS_(?!SUCCESS$|PENDING$|MORE_PROCESSING_REQUIRED$|REPARSE$)\w+|FALSE|false|E_\w+|ERROR_(?!SUCCESS$)\w+|-\w+)$/;

export interface UnknownPath {
  /**
   * `reject`: the path rejects, or tests what the cases recorded; `carry`: it goes on with the record; `end`: it
   * leaves the function (or falls into another case) without touching the record again.
   */
  readonly verdict: 'reject' | 'carry' | 'end';
  /** Where it carries on: a statement using the record, or the loop that takes the next one. */
  readonly at?: AstNode;
  readonly how?: string;
}

/** Distinct case labels (by their text). */
export function caseCount(file: ParsedFile, sw: AstNode): number {
  const body = child(sw, 'body');
  const labels = new Set<string>();
  for (const c of body?.children ?? []) if (c.type === 'case_statement' && child(c, 'value')) labels.add(nodeText(file.source, child(c, 'value')!).replace(/\s+/g, ''));
  return labels.size;
}

/** The statements of a case, after its label. */
function caseBody(c: AstNode): AstNode[] {
  const value = child(c, 'value');
  return namedChildren(c).filter((s) => s !== value && s.type !== 'comment');
}

/** Access paths the switch body writes (`status = ...`, `valid = TRUE`, `ctx->Kind = ...`, `++n`, `Fill(&out)`). */
function writtenPaths(file: ParsedFile, body: AstNode): Set<string> {
  const out = new Set<string>();
  const add = (n: AstNode | undefined): void => {
    const p = n && pathOf(file.source, stripCasts(n));
    if (p) out.add(p);
  };
  walk(body, (n) => {
    if (n.type === 'assignment_expression') add(child(n, 'left'));
    else if (n.type === 'update_expression') add(child(n, 'argument'));
    else if (n.type === 'pointer_expression' && nodeText(file.source, n).startsWith('&')) add(child(n, 'argument'));
    else if (n.type === 'init_declarator') add(child(n, 'declarator'));
    return true;
  });
  return out;
}

function mentionsAny(file: ParsedFile, n: AstNode, paths: ReadonlySet<string>, names: ReadonlySet<string>): boolean {
  let found = false;
  walk(n, (c) => {
    if (found) return false;
    if (c.type === 'identifier' && names.has(nodeText(file.source, c))) found = true;
    else if (paths.size && (c.type === 'field_expression' || c.type === 'identifier' || c.type === 'pointer_expression')) {
      const p = pathOf(file.source, c);
      if (p && paths.has(p)) found = true;
    }
    return !found;
  });
  return found;
}

type Step = { kind: 'reject' | 'uses' | 'end' | 'break' | 'continue' | 'next'; at?: AstNode };

/** One statement on the unknown value's path. */
function classify(file: ParsedFile, s: AstNode, written: ReadonlySet<string>, roots: ReadonlySet<string>): Step {
  const src = file.source;
  switch (s.type) {
    case 'return_statement': {
      const v = namedChildren(s)[0];
      if (!v) return { kind: 'end' };
      if (FAILURE.test(nodeText(src, stripCasts(v)).replace(/\s+/g, '')) || mentionsAny(file, v, written, new Set())) return { kind: 'reject' };
      return mentionsAny(file, v, new Set(), roots) ? { kind: 'uses', at: s } : { kind: 'end' };
    }
    case 'goto_statement':
    case 'throw_statement':
      return { kind: 'reject' };
    case 'break_statement':
      return { kind: 'break', at: s };
    case 'continue_statement':
      return { kind: 'continue', at: s };
  }
  // A test of what the cases recorded (`if (!handled)`, `if (!NT_SUCCESS(status))`) acts on the unknown value.
  let step: Step = { kind: 'next' };
  walk(s, (n) => {
    if (step.kind !== 'next' || n.type === 'switch_statement') return false;
    if ((n.type === 'if_statement' || n.type === 'conditional_expression' || n.type === 'while_statement') && written.size) {
      const cond = child(n, 'condition');
      if (cond && mentionsAny(file, cond, written, new Set())) step = { kind: 'reject' };
    } else if (n.type === 'return_statement' || n.type === 'goto_statement' || n.type === 'throw_statement') {
      if (n.type !== 'return_statement' || classify(file, n, written, roots).kind === 'reject') step = { kind: 'reject' };
    } else if (n.type === 'expression_statement') {
      const e = namedChildren(n)[0];
      const name = e?.type === 'call_expression' ? calleeName(src, e) : e?.type === 'identifier' ? nodeText(src, e) : '';
      if (e && (isNoReturnCall(src, e) || (name && mayLeave(e, name)))) step = { kind: 'reject' };
    }
    return step.kind === 'next';
  });
  if (step.kind !== 'next') return step;
  return mentionsAny(file, s, new Set(), roots) ? { kind: 'uses', at: s } : { kind: 'next' };
}

/**
 * The path a value no case names takes from the end of `sw` on: the statements after it, up through enclosing
 * blocks, until one rejects, one uses a name of `roots` (the record), the function ends, or a loop's body ends
 * (the loop takes its next record: `carry` at that loop, when `loopCarries` says it walks records).
 */
export function afterSwitch(file: ParsedFile, sw: AstNode, roots: ReadonlySet<string>, loopCarries: (loop: AstNode) => boolean): UnknownPath {
  const body = child(sw, 'body');
  const written = body ? writtenPaths(file, body) : new Set<string>();
  const scanFrom = (from: AstNode): UnknownPath => {
    for (let cur = from; cur.parent; cur = cur.parent) {
      const p = cur.parent;
      if (LOOPS.has(p.type)) return loopAfter(cur, loopCarries);
      if (p.type !== 'compound_statement' && p.type !== 'case_statement' && !PASS_UP.has(p.type)) break;
      const siblings = p.type === 'compound_statement' || p.type === 'case_statement' || p.type.startsWith('preproc') ? namedChildren(p) : [];
      for (const s of siblings.slice(siblings.indexOf(cur) + 1)) {
        const step = classify(file, s, written, roots);
        if (step.kind === 'reject' || step.kind === 'end') return { verdict: step.kind };
        if (step.kind === 'uses') return { verdict: 'carry', at: step.at, how: 'the code after the switch goes on to use the record' };
        if (step.kind === 'continue') return loopAfter(s, loopCarries);
        // `break` leaves the innermost switch or loop around it: go on after that.
        if (step.kind === 'break') {
          const target = ancestor(s, (a) => a.type === 'switch_statement' || LOOPS.has(a.type) || a.type === 'function_definition');
          return target && target.type !== 'function_definition' ? scanFrom(target) : { verdict: 'end' };
        }
      }
      // Past the end of a case the next case's statements run: not followed.
      if (p.type === 'case_statement') break;
    }
    return { verdict: 'end' };
  };
  return scanFrom(sw);
}

/** Where `continue` (or the end of a loop body) at `s` goes: the loop's next record, when it walks records. */
export function loopAfter(s: AstNode, loopCarries: (loop: AstNode) => boolean): UnknownPath {
  for (let p = s.parent; p; p = p.parent) {
    if (LOOPS.has(p.type)) return loopCarries(p) ? { verdict: 'carry', at: p, how: 'the loop goes on to the next record' } : { verdict: 'end' };
    if (p.type === 'function_definition') break;
  }
  return { verdict: 'end' };
}

/**
 * What the `default:` does: `pass` when it only breaks, logs or asserts (nothing in a release build), `continue`
 * when it skips to the next iteration, `acts` when it does anything else (rejects, records something, calls a
 * handler, or shares its statements with another case).
 */
export function defaultAction(file: ParsedFile, def: AstNode): { action: 'pass' | 'continue' | 'acts'; at?: AstNode } {
  const stmts = caseBody(def);
  const cases = def.parent ? def.parent.children.filter((c) => c.type === 'case_statement') : [];
  // Any label but the last falls into the next case unless it leaves: it shares that case's statements.
  const last = cases.indexOf(def) === cases.length - 1;
  const flat: AstNode[] = [];
  const flatten = (list: AstNode[]): void => {
    for (const s of list) if (s.type === 'compound_statement') flatten(namedChildren(s).filter((c) => c.type !== 'comment'));
    else flat.push(s);
  };
  flatten(stmts);
  for (const s of flat) {
    if (s.type === 'break_statement') return { action: 'pass' };
    if (s.type === 'continue_statement') return { action: 'continue', at: s };
    if (s.type === 'expression_statement' && !namedChildren(s).length) continue;
    const e = s.type === 'expression_statement' ? namedChildren(s)[0] : undefined;
    const name = e?.type === 'call_expression' ? calleeName(file.source, e) : '';
    if (name && (isLoggingCallee(name) || ASSERTION.test(name)) && !isNoReturnCall(file.source, e!)) continue;
    return { action: 'acts' };
  }
  return last ? { action: 'pass' } : { action: 'acts' };
}

/**
 * The largest value of a field narrower than its type, from the file's declarations of that field name: a bit
 * field (`ULONG Kind : 1` holds 0..1) or a C++ `bool`. Undefined unless every declaration of the name agrees.
 */
export function narrowFieldMax(file: ParsedFile, subject: AstNode): number | undefined {
  const u = stripCasts(subject);
  const field = u.type === 'field_expression' ? child(u, 'field') : undefined;
  if (!field) return undefined;
  const name = nodeText(file.source, field);
  let max: number | undefined;
  let seen = false;
  walk(file.root, (n) => {
    if (n.type !== 'field_declaration') return true;
    for (const d of n.children.filter((c) => c.field === 'declarator')) {
      if (nodeText(file.source, d) !== name) continue;
      const bits = n.children.find((c) => c.type === 'bitfield_clause');
      const width = bits ? Number(nodeText(file.source, bits).replace(/[:\s]/g, '')) : undefined;
      const type = child(n, 'type');
      const m = width !== undefined && width > 0 && width < 31 ? 2 ** width - 1 : type && nodeText(file.source, type) === 'bool' ? 1 : undefined;
      max = !seen || m === max ? m : undefined;
      seen = true;
    }
    return false;
  });
  return max;
}
