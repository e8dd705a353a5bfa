/**
 * In-source suppressions. Directives are read from the syntax tree (comment nodes and `#pragma` directives), never
 * by scanning the file text:
 *
 * - `// kslint-disable-next-line KS1001, KS1301 -- reason` (the line after the comment),
 * - `// kslint-disable-line KS1001 -- reason` (the comment's own lines),
 * - `/* kslint-disable-file KS1001 -- reason *\/` (the whole file),
 * - `#pragma warning(suppress: 28719)`, `#pragma prefast(suppress: 28719, "reason")` (the next line of code; the
 *   reason may also be a comment after the pragma or on the lines just above it),
 * - `#pragma warning(disable: 28719)`, `#pragma prefast(disable: ...)` (to the closing `pop`, or the end of the file).
 *
 * Rules are named by id, name or any alias (C28xxx numbers, CodeQL ids). A rule whose checks Microsoft's tools
 * number separately declares them as sub-kinds: an alias of one of them (or `KS1201/deprecated-allocator`) hides
 * only that check's findings, so a pragma written for one Code Analysis warning leaves the rule's other findings
 * in view; the rule's id, name and own aliases hide all of them. Suppressed findings are kept with
 * `suppression.kind = 'inSource'`. A kslint directive without a justification (KS0001), or one that suppresses
 * nothing (KS0002), is itself reported; a pragma is reported only when it hides a finding without saying why,
 * since pragmas mostly address the compiler's own analysis.
 */
import { ancestor, AstNode, child, descendants, walk } from './ast';
import type { ParsedFile } from './parse/parse';
import type { Finding, ReportSpec, Rule, Severity, SeverityOrOff } from './rule';

export const UNJUSTIFIED_SUPPRESSION = 'KS0001';
export const UNUSED_SUPPRESSION = 'KS0002';

type Scope = 'next-line' | 'line' | 'file' | 'pragma-suppress' | 'pragma-disable';

/** What one name in a suppression stands for: a whole rule, or some of its checks. */
interface Named {
  readonly ruleId: string;
  /** The checks the name stands for; undefined when it names the whole rule. */
  readonly subKinds: readonly string[] | undefined;
}

/** A rule a directive names, with the checks it is limited to and the names as written. */
export interface Target extends Named {
  readonly names: readonly string[];
}

export interface Directive {
  readonly scope: Scope;
  /** The rules the directive names (resolved from ids, names and aliases), in written order, one per rule. */
  readonly targets: readonly Target[];
  /** Names that match no rule (reported for kslint comments only). */
  readonly unknown: readonly string[];
  readonly justification: string;
  /** The comment or `#pragma` node. */
  readonly start: number;
  readonly end: number;
  /** Lines (0-based, inclusive) whose findings the directive covers. */
  readonly fromLine: number;
  readonly toLine: number;
  readonly pragma: boolean;
}

const COMMENT_DIRECTIVE = /^(kslint-disable-next-line|kslint-disable-line|kslint-disable-file)(?=\s|$)/;

/**
 * Maps every id, name and alias (case-insensitive) to what it names. Names of whole rules come first, so a
 * check's alias never takes over a name another rule already answers to. A Code Analysis number may stand for
 * several whole rules (C6011, dereferencing NULL, is both an unchecked allocation and a pointer known NULL).
 */
export function ruleNameTable(rules: readonly Rule[]): Map<string, readonly Named[]> {
  const table = new Map<string, Named[]>();
  for (const r of rules) {
    const whole: Named = { ruleId: r.meta.id, subKinds: undefined };
    for (const name of new Set([r.meta.id, r.meta.name, ...r.meta.aliases].map((x) => x.toLowerCase()))) table.set(name, [...(table.get(name) ?? []), whole]);
  }
  const add = (name: string, named: Named): void => {
    const key = name.toLowerCase();
    if (!table.has(key)) table.set(key, [named]);
  };
  for (const r of rules) {
    // One alias may stand for several checks (a Code Analysis number that covers two of them).
    const kinds = new Map<string, string[]>();
    for (const k of r.meta.subKinds) {
      add(`${r.meta.id}/${k.id}`, { ruleId: r.meta.id, subKinds: [k.id] });
      for (const a of k.aliases.map((x) => x.toLowerCase())) kinds.set(a, [...(kinds.get(a) ?? []), k.id]);
    }
    for (const [alias, subKinds] of kinds) add(alias, { ruleId: r.meta.id, subKinds });
  }
  return table;
}

/** The comment body without its markers: `// x`, `/// x`, `/* x *\/`, `/** x *\/`. */
function commentBody(text: string): string {
  if (text.startsWith('//')) return text.replace(/^\/\/+!?/, '').trim();
  return text.replace(/^\/\*+!?/, '').replace(/\*+\/$/, '').trim();
}

function splitNames(list: string): string[] {
  return list.split(/[\s,]+/).filter(Boolean);
}

/** The rules `names` name; a rule named both whole and by a check is named whole. */
function resolveNames(names: readonly string[], table: ReadonlyMap<string, readonly Named[]>): { targets: Target[]; unknown: string[] } {
  const targets: Target[] = [];
  const unknown: string[] = [];
  for (const n of names) {
    const all = table.get(n.toLowerCase());
    if (!all) {
      unknown.push(n);
      continue;
    }
    for (const named of all) {
      const k = targets.findIndex((t) => t.ruleId === named.ruleId);
      const prev = k < 0 ? undefined : targets[k];
      const subKinds = !prev ? named.subKinds : prev.subKinds && named.subKinds ? [...new Set([...prev.subKinds, ...named.subKinds])] : undefined;
      const target = { ruleId: named.ruleId, subKinds, names: [...(prev?.names ?? []), n] };
      if (prev) targets[k] = target;
      else targets.push(target);
    }
  }
  return { targets, unknown };
}

/** Whether a directive's target hides `f`: same rule, and the whole rule or the finding's own check. */
function covers(t: Target, f: Finding): boolean {
  return t.ruleId === f.ruleId && (t.subKinds === undefined || (f.subKind !== undefined && t.subKinds.includes(f.subKind)));
}

function parseComment(file: ParsedFile, node: AstNode, table: ReadonlyMap<string, readonly Named[]>): Directive | undefined {
  const body = commentBody(file.source.text.slice(node.start, node.end));
  const m = COMMENT_DIRECTIVE.exec(body);
  if (!m) return undefined;
  const rest = body.slice(m[0].length);
  const sep = rest.search(/(^|\s)--(\s|$)/);
  const names = splitNames(sep < 0 ? rest : rest.slice(0, sep));
  const justification = sep < 0 ? '' : rest.slice(sep).trim().replace(/^--/, '').trim();
  const { targets, unknown } = resolveNames(names, table);
  const first = file.source.positionAt(node.start).line;
  const last = file.source.positionAt(node.end).line;
  const scope: Scope = m[1] === 'kslint-disable-next-line' ? 'next-line' : m[1] === 'kslint-disable-line' ? 'line' : 'file';
  const [fromLine, toLine] = scope === 'next-line' ? [last + 1, last + 1] : scope === 'line' ? [first, last] : [0, Number.MAX_SAFE_INTEGER];
  return { scope, targets, unknown, justification, start: node.start, end: node.end, fromLine, toLine, pragma: false };
}

interface PragmaClause {
  readonly action: string;
  readonly names: string[];
}

/**
 * Splits a `warning(...)`/`prefast(...)` pragma argument into its clauses and the justification: a quoted
 * string inside the parentheses (PREfast style) or a comment after them.
 */
function parsePragmaArg(arg: string): { tool: string; clauses: PragmaClause[]; justification: string } | undefined {
  const m = /^\s*(warning|prefast)\s*\(/.exec(arg);
  if (!m) return undefined;
  const open = m[0].length;
  let depth = 1;
  let i = open;
  let inString = false;
  for (; i < arg.length && depth > 0; i++) {
    const c = arg[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
  }
  const inner = arg.slice(open, depth === 0 ? i - 1 : arg.length);
  const tail = depth === 0 ? arg.slice(i).trim() : '';
  const strings: string[] = [];
  const bare = inner.replace(/"((?:[^"\\]|\\.)*)"/g, (_all, s: string) => {
    strings.push(s);
    return ' ';
  });
  const clauses: PragmaClause[] = [];
  for (const part of bare.split(';')) {
    const colon = part.indexOf(':');
    if (colon < 0) clauses.push({ action: part.trim().toLowerCase(), names: [] });
    else clauses.push({ action: part.slice(0, colon).trim().toLowerCase(), names: splitNames(part.slice(colon + 1)) });
  }
  const comment = tail.startsWith('//') || tail.startsWith('/*') ? commentBody(tail) : '';
  return { tool: m[1], clauses, justification: [...strings, reason(comment)].map((s) => s.trim()).filter(Boolean).join(' ') };
}

/** Comments that only steer tools (suppression directives, test expectations) give no reason. */
const STEERING = /^(kslint-|expect:)/;

function reason(commentText: string): string {
  return STEERING.test(commentText) ? '' : commentText;
}

/**
 * The reason written in the comments standing on their own lines just above a `#pragma`, or above the run of
 * `#pragma` lines it belongs to (`// why` / `#pragma warning(push)` / `#pragma warning(disable: ...)`).
 */
function reasonAbove(file: ParsedFile, pragma: AstNode, pragmaLines: ReadonlySet<number>, ownLineComments: ReadonlyMap<number, AstNode>): string {
  let line = file.source.positionAt(pragma.start).line - 1;
  while (pragmaLines.has(line)) line--;
  const parts: string[] = [];
  for (let c = ownLineComments.get(line); c; c = ownLineComments.get(line)) {
    parts.unshift(reason(commentBody(file.source.text.slice(c.start, c.end))));
    line = file.source.positionAt(c.start).line - 1;
  }
  return parts.filter(Boolean).join(' ').replace(/\s+/g, ' ');
}

/** Comments with nothing but blanks before them on their first line, by their last line. */
function ownLineComments(file: ParsedFile, comments: readonly AstNode[]): Map<number, AstNode> {
  const out = new Map<number, AstNode>();
  const text = file.source.text;
  for (const c of comments) {
    const lineStart = text.lastIndexOf('\n', c.start - 1) + 1;
    if (text.slice(lineStart, c.start).trim() === '') out.set(file.source.positionAt(c.end).line, c);
  }
  return out;
}

const CONDITIONAL = new Set(['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef']);

/** The first line at or after `offset` holding code (not a comment, not a preprocessor directive). */
function nextCodeLine(file: ParsedFile, offset: number): number | undefined {
  let best: number | undefined;
  walk(file.root, (n) => {
    if (n.end <= offset || (best !== undefined && n.start >= best)) return false;
    // Conditional blocks hold code; every other directive (and a conditional's own tokens) does not.
    if (n.type === 'comment' || (n.type.startsWith('preproc_') && !CONDITIONAL.has(n.type))) return false;
    if (n.parent && CONDITIONAL.has(n.parent.type) && (n.field === 'condition' || n.field === 'name' || n.children.length === 0)) return false;
    if (n.children.length === 0 && n.start >= offset && n.end > n.start) best = n.start;
    return undefined;
  });
  return best === undefined ? undefined : file.source.positionAt(best).line;
}

const DIRECTIVE_NODES: ReadonlySet<string> = new Set(['comment', 'preproc_call']);

function collectDirectives(file: ParsedFile, table: ReadonlyMap<string, readonly Named[]>): Directive[] {
  const comments: AstNode[] = [];
  const pragmas: AstNode[] = [];
  for (const n of descendants(file.root, DIRECTIVE_NODES)) {
    // A `#pragma` or other unknown directive owns the comments and lines inside it.
    if (ancestor(n, (p) => p.type === 'preproc_call')) continue;
    if (n.type === 'comment') comments.push(n);
    else {
      const directive = child(n, 'directive');
      if (directive && file.source.text.slice(directive.start, directive.end) === '#pragma') pragmas.push(n);
    }
  }
  const out: Directive[] = [];
  for (const c of comments) {
    const d = parseComment(file, c, table);
    if (d) out.push(d);
  }
  const pragmaLines = new Set(pragmas.map((p) => file.source.positionAt(p.start).line));
  const above = ownLineComments(file, comments);
  // `disable` lasts until the `pop` that closes the enclosing `push`, or the end of the file.
  const stack: Directive[][] = [[]];
  const closeAt = (list: Directive[], line: number): void => {
    for (let k = 0; k < list.length; k++) list[k] = { ...list[k], toLine: line };
  };
  const pending: Directive[][] = [];
  for (const p of pragmas.sort((a, b) => a.start - b.start)) {
    const arg = child(p, 'argument');
    const parsed = arg && parsePragmaArg(file.source.text.slice(arg.start, arg.end));
    if (!parsed) continue;
    const line = file.source.positionAt(p.start).line;
    for (const clause of parsed.clauses) {
      if (clause.action === 'push' && !clause.names.length) stack.push([]);
      else if (clause.action === 'pop') {
        if (stack.length > 1) {
          const closed = stack.pop()!;
          closeAt(closed, line);
          pending.push(closed);
        }
      } else if (clause.action === 'suppress' || clause.action === 'disable') {
        const { targets } = resolveNames(clause.names, table);
        if (!targets.length) continue;
        const justification = parsed.justification || reasonAbove(file, p, pragmaLines, above);
        const base = { targets, unknown: [], justification, start: p.start, end: p.end, pragma: true };
        if (clause.action === 'suppress') {
          const target = nextCodeLine(file, p.end);
          if (target !== undefined) out.push({ ...base, scope: 'pragma-suppress', fromLine: target, toLine: target });
        } else stack[stack.length - 1].push({ ...base, scope: 'pragma-disable', fromLine: line, toLine: Number.MAX_SAFE_INTEGER });
      }
    }
  }
  for (const list of [...pending, ...stack]) out.push(...list);
  return out.sort((a, b) => a.start - b.start);
}

export interface SuppressionOutcome {
  readonly rule: Rule;
  readonly severity: Severity;
  readonly spec: ReportSpec;
}

/**
 * Marks the findings the file's directives cover (`finding.suppression`) and returns the diagnostics about the
 * directives themselves (KS0001/KS0002), for those of the two that are among `rules` and enabled.
 */
export function applySuppressions(file: ParsedFile, findings: readonly Finding[], rules: readonly Rule[], severityOf: (rule: Rule) => SeverityOrOff): SuppressionOutcome[] {
  const table = ruleNameTable(rules);
  const directives = collectDirectives(file, table);
  if (!directives.length) return [];
  const used = directives.map(() => new Set<string>());
  // The checks of findings in a directive's scope that it names the rule of, but not their check (for KS0002).
  const missed = directives.map(() => new Map<string, Set<string>>());
  for (const f of findings) {
    const line = f.range.start.line;
    for (let k = 0; k < directives.length; k++) {
      const d = directives[k];
      if (line < d.fromLine || line > d.toLine) continue;
      const t = d.targets.find((x) => x.ruleId === f.ruleId);
      if (!t) continue;
      if (!covers(t, f)) {
        if (f.subKind !== undefined) missed[k].set(f.ruleId, (missed[k].get(f.ruleId) ?? new Set()).add(f.subKind));
        continue;
      }
      used[k].add(f.ruleId);
      if (!f.suppression) f.suppression = { kind: 'inSource', justification: d.justification, location: { file: file.path, range: file.source.rangeOf(d.start, d.end) } };
    }
  }
  const byId = new Map(rules.map((r) => [r.meta.id, r] as const));
  const meta = (id: string): { rule: Rule; severity: Severity } | undefined => {
    const rule = byId.get(id);
    const severity = rule && severityOf(rule);
    return rule && severity && severity !== 'off' ? { rule, severity } : undefined;
  };
  const unjustified = meta(UNJUSTIFIED_SUPPRESSION);
  const unused = meta(UNUSED_SUPPRESSION);
  const out: SuppressionOutcome[] = [];
  directives.forEach((d, k) => {
    const where = { start: d.start, end: d.pragma ? d.start + 7 : d.end };
    if (unjustified && !d.justification && (!d.pragma || used[k].size > 0)) {
      const what = d.targets.length ? d.targets.map((t) => t.ruleId).join(', ') : 'findings';
      const how = d.pragma ? `in a comment after the pragma or on the line above it (e.g. '// length checked by the caller')` : `after ' -- ' (e.g. '-- length checked by the caller')`;
      out.push({ ...unjustified, spec: { ...where, message: `This suppression of ${what} gives no justification. Say why the code is safe ${how}, so reviewers can judge it; a silenced kernel-mode finding is a crash or exploit nobody re-examines.` } });
    }
    if (!unused || d.pragma) return;
    if (!d.targets.length && !d.unknown.length) {
      out.push({ ...unused, spec: { ...where, message: 'This suppression names no rule, so it suppresses nothing. Name the rule ids it is meant for (e.g. KS1001), or remove it.' } });
      return;
    }
    for (const name of d.unknown) {
      out.push({ ...unused, spec: { ...where, message: `'${name}' is not a kslint rule id, name or alias, so this suppression does nothing for it. Correct the id (see kslint --list-rules) or remove it.` } });
    }
    const scope = d.scope === 'next-line' ? ' on the next line' : d.scope === 'line' ? ' on this line' : ' in this file';
    // A name shared by several rules (`C6011`) is used when any of them used it, and reported once otherwise.
    const coveredBy = (t: Target, o: Target, i: number, j: number): boolean => o !== t && t.names.every((n) => o.names.includes(n)) && (used[k].has(o.ruleId) || j < i);
    for (const [i, t] of d.targets.entries()) {
      const id = t.ruleId;
      const rule = byId.get(id);
      if (d.targets.some((o, j) => coveredBy(t, o, i, j))) continue;
      if (used[k].has(id) || !rule || severityOf(rule) === 'off' || id === UNJUSTIFIED_SUPPRESSION || id === UNUSED_SUPPRESSION) continue;
      out.push({ ...unused, spec: { ...where, message: unusedMessage(rule, t, scope, missed[k].get(id)) } });
    }
  });
  return out;
}

function unusedMessage(rule: Rule, t: Target, scope: string, missed: ReadonlySet<string> | undefined): string {
  const id = rule.meta.id;
  const remove = 'so it cannot hide a future problem that nobody reviewed.';
  if (!t.subKinds) return `This suppression of ${id} matches no ${id} finding${scope}. Remove it, ${remove}`;
  const what = `${t.names.join(', ')} (${id}'s ${t.subKinds.join(', ')} check${t.subKinds.length > 1 ? 's' : ''})`;
  if (!missed?.size) return `This suppression of ${what} matches no such finding${scope}. Remove it, ${remove}`;
  // The author probably meant the check that is there: say how to name it.
  const kinds = [...missed].map((k) => `${k} (${rule.meta.subKinds.find((s) => s.id === k)?.aliases[0] ?? `${id}/${k}`})`);
  return `This suppression of ${what} matches no such finding${scope}: the ${id} finding there is of another kind, ${kinds.join(' or ')}. Name that check (or ${id}) if it was meant, or remove this suppression ${remove}`;
}

/** Exposed for tests and the language server (e.g. to highlight directives). */
export function findDirectives(file: ParsedFile, rules: readonly Rule[]): Directive[] {
  return collectDirectives(file, ruleNameTable(rules));
}
