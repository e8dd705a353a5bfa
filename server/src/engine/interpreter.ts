/**
 * Recognises the shape of a content interpreter: a loop that walks a buffer with a cursor, reads an opcode or
 * record type at the cursor and dispatches on it (a `switch`, or a call through a table of handlers). Purely
 * syntactic; the rule adds data-flow evidence (is the buffer untrusted?) on top.
 */
import { AstNode, child, descendants, nodeText, unwrap, walk } from './ast';
import { subscriptIndex } from './flow/paths';
import type { ParsedFile } from './parse/parse';

const LOOPS = new Set(['for_statement', 'while_statement', 'do_statement']);
const READS = new Set(['pointer_expression', 'subscript_expression', 'field_expression']);
/** Switches on these fields dispatch requests, not content: one per request, chosen by the I/O manager's caller. */
const REQUEST_CODES = /(^|\.)(IoControlCode|FsControlCode|MajorFunction|MinorFunction|Type3InputBuffer)$/;

export interface Dispatch {
  readonly kind: 'switch' | 'table';
  /** The `switch` statement or the call through the table. */
  readonly node: AstNode;
  /** The opcode expression: the switch condition or the table index. */
  readonly opcode: AstNode;
  readonly loop: AstNode;
  /** Number of `case` labels (for a switch). */
  readonly cases: number;
  /** The cursor advances by an amount read from the data (`p += rec->Size`): variable-length records. */
  readonly variableLength: boolean;
  /** Handlers consume operands: the cursor moves inside a case, or is handed to the table's handler. */
  readonly consumesOperands: boolean;
}

function opOf(file: ParsedFile, n: AstNode): string {
  const op = child(n, 'operator') ?? n.children.find((c) => !c.named);
  return op ? nodeText(file.source, op) : '';
}

function identifiers(file: ParsedFile, n: AstNode | undefined): Set<string> {
  const out = new Set<string>();
  if (n) walk(n, (c) => {
    if (c.type === 'lambda_expression') return false;
    if (c.type === 'identifier') out.add(nodeText(file.source, c));
    return true;
  });
  return out;
}

function mentions(file: ParsedFile, n: AstNode | undefined, names: ReadonlySet<string>): boolean {
  for (const id of identifiers(file, n)) if (names.has(id)) return true;
  return false;
}

/**
 * True when `n` contains a memory read (`*p`, `p[i]`, `p->f`) whose pointer or index mentions one of `names`.
 * Address computations (`&p[i]`, `&p->f`) read nothing, except inside their indices.
 */
function readsThrough(file: ParsedFile, n: AstNode | undefined, names: ReadonlySet<string>): boolean {
  let found = false;
  if (n) walk(n, (c) => {
    if (found || c.type === 'lambda_expression' || c.type === 'sizeof_expression') return false;
    if (c.type === 'pointer_expression' && opOf(file, c) === '&') {
      for (let x: AstNode | undefined = child(c, 'argument'); x && READS.has(unwrap(x).type); x = child(unwrap(x), 'argument')) {
        const index = subscriptIndex(unwrap(x));
        if (index && readsThrough(file, index, names)) found = true;
      }
      return false;
    }
    if (READS.has(c.type) && !(c.type === 'field_expression' && opOf(file, c) === '.')) {
      if (mentions(file, child(c, 'argument'), names) || mentions(file, subscriptIndex(c), names)) found = true;
    }
    return !found;
  });
  return found;
}

interface Binding {
  readonly name: string;
  readonly value: AstNode;
  readonly node: AstNode;
}

/** Assignments and initialised declarations inside a loop, by variable name. */
function bindings(file: ParsedFile, loop: AstNode): Binding[] {
  const out: Binding[] = [];
  walk(loop, (n) => {
    if (n.type === 'lambda_expression') return false;
    if (n.type === 'assignment_expression') {
      const left = child(n, 'left');
      const right = child(n, 'right');
      if (left && right && unwrap(left).type === 'identifier') out.push({ name: nodeText(file.source, unwrap(left)), value: right, node: n });
    } else if (n.type === 'init_declarator') {
      let d = child(n, 'declarator');
      while (d && d.type !== 'identifier') d = child(d, 'declarator');
      const value = child(n, 'value');
      if (d && value) out.push({ name: nodeText(file.source, d), value, node: n });
    }
    return true;
  });
  return out;
}

/** Variables the loop moves along: incremented, `+=`'d, or reassigned from themselves (`p = p + n`, `e = e->Next`). */
function cursorsOf(file: ParsedFile, loop: AstNode, binds: readonly Binding[]): Map<string, AstNode[]> {
  const cursors = new Map<string, AstNode[]>();
  const add = (name: string, n: AstNode): void => void cursors.set(name, [...(cursors.get(name) ?? []), n]);
  walk(loop, (n) => {
    if (n.type === 'lambda_expression') return false;
    if (n.type === 'update_expression') {
      const arg = child(n, 'argument');
      if (arg && unwrap(arg).type === 'identifier') add(nodeText(file.source, unwrap(arg)), n);
    } else if (n.type === 'assignment_expression' && /^[-+]=$/.test(opOf(file, n))) {
      const left = child(n, 'left');
      if (left && unwrap(left).type === 'identifier') add(nodeText(file.source, unwrap(left)), n);
    }
    return true;
  });
  for (const b of binds) if (b.node.type === 'assignment_expression' && opOf(file, b.node) === '=' && identifiers(file, b.value).has(b.name)) add(b.name, b.node);
  return cursors;
}

/** The amount a cursor update adds: the right side of `+=`, or the whole right side of `p = ...p...`. */
function advanceOf(file: ParsedFile, update: AstNode): AstNode | undefined {
  if (update.type !== 'assignment_expression') return undefined;
  return child(update, 'right');
}

/** Every dispatch on buffer data inside loops of `body`. */
export function interpreterDispatches(file: ParsedFile, body: AstNode): Dispatch[] {
  const out: Dispatch[] = [];
  for (const loop of descendants(body, LOOPS)) {
    const binds = bindings(file, loop);
    const cursors = cursorsOf(file, loop, binds);
    if (!cursors.size) continue;
    // Pointers derived from a cursor (`hdr = (PHDR)p`) and values read through one (`op = *ip`), to a fixpoint.
    const derived = new Set(cursors.keys());
    const values = new Set<string>();
    for (let changed = true, rounds = 0; changed && rounds < 8; rounds++) {
      changed = false;
      for (const b of binds) {
        if (!derived.has(b.name) && mentions(file, b.value, derived) && !readsThrough(file, b.value, derived)) changed = !!derived.add(b.name);
        if (!values.has(b.name) && !cursors.has(b.name) && (readsThrough(file, b.value, derived) || mentions(file, b.value, values))) changed = !!values.add(b.name);
      }
    }
    const isOpcode = (e: AstNode): boolean => {
      const u = unwrap(e);
      if (REQUEST_CODES.test(nodeText(file.source, u).replace(/\s+|->/g, (m) => (m === '->' ? '.' : '')))) return false;
      // A member of a copy of the record (`struct inst in = code[pc]; switch (in.opcode)`) is read from it too.
      let v = u;
      while (v.type === 'field_expression' && opOf(file, v) === '.' && child(v, 'argument')) v = unwrap(child(v, 'argument')!);
      return readsThrough(file, u, derived) || (v.type === 'identifier' && values.has(nodeText(file.source, v)));
    };
    // The variables an opcode is read through, back to the cursors (`op = *r` with `r = (PREC)p`: op, r, p).
    const rootsOf = (e: AstNode): Set<string> => {
      const roots = identifiers(file, e);
      for (let changed = true, rounds = 0; changed && rounds < 8; rounds++) {
        changed = false;
        for (const b of binds) if (roots.has(b.name)) for (const id of identifiers(file, b.value)) if (!roots.has(id)) changed = !!roots.add(id);
      }
      return roots;
    };
    // Only the cursors the opcode is read through count: a counter bumped in a case (`found++`) is no operand.
    const advancesOf = (roots: Set<string>): AstNode[] => [...cursors].filter(([name]) => roots.has(name)).flatMap(([, list]) => list);
    // `p += r->Size` and `p = p + r->Size` step over a record whose length the data gives; `e = e->Next` chases a list.
    const isRecordStep = (u: AstNode): boolean => {
      const amount = advanceOf(file, u);
      if (!amount || (opOf(file, u) === '=' && unwrap(amount).type === 'field_expression')) return false;
      return readsThrough(file, amount, derived) || mentions(file, amount, values);
    };
    const variableLengthOf = (advances: AstNode[]): boolean => advances.some(isRecordStep);
    for (const sw of descendants(loop, 'switch_statement')) {
      const clause = child(sw, 'condition');
      const cond = clause?.type === 'condition_clause' ? child(clause, 'value') : clause;
      if (!cond || !isOpcode(cond)) continue;
      const swBody = child(sw, 'body');
      const cases = swBody ? swBody.children.filter((c) => c.type === 'case_statement' && child(c, 'value')).length : 0;
      const advances = advancesOf(rootsOf(cond));
      // A case that moves the cursor by a fixed amount decodes operands (`ip += 4`); one that skips the record by
      // its own length (`p += r->Length`) is a descriptor walk, not an interpreter.
      const consumesOperands = advances.some((u) => !!swBody && u.start >= swBody.start && u.end <= swBody.end && !isRecordStep(u));
      out.push({ kind: 'switch', node: sw, opcode: cond, loop, cases, variableLength: variableLengthOf(advances), consumesOperands });
    }
    for (const call of descendants(loop, 'call_expression')) {
      let f = unwrap(child(call, 'function') ?? call);
      if (f.type === 'pointer_expression') f = unwrap(child(f, 'argument') ?? f);
      if (f.type === 'field_expression') f = unwrap(child(f, 'argument') ?? f);
      const index = f.type === 'subscript_expression' ? subscriptIndex(f) : undefined;
      if (!index || !isOpcode(index)) continue;
      const args = child(call, 'arguments');
      const roots = rootsOf(index);
      out.push({ kind: 'table', node: call, opcode: index, loop, cases: 0, variableLength: variableLengthOf(advancesOf(roots)), consumesOperands: mentions(file, args, new Set([...derived].filter((d) => roots.has(d)))) });
    }
  }
  return out.sort((a, b) => a.node.start - b.node.start);
}
