/**
 * File-scope macro invocations written without a semicolon (`DECLARE_XNUM(W)` or
 * `WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(CONTEXT, GetContext)` on lines of their own: macros that expand to whole
 * functions or declarations). Without the preprocessor the grammar reads such a line as the start of a declaration,
 * and error recovery can then fold what follows into one damaged function (in Npcap's `win_bpf_filter.c` three
 * such lines swallowed the next three functions, the BPF interpreter among them).
 *
 * The invocations are looked for in the first parse's AST, only inside damaged file-scope items, and only where the
 * tokens leave no other reading: the name starts its line and the `)` ends it, it comes after the end of a
 * declaration (`;`, `}`, a directive, the start of the file or of an `extern "C"` block), and what follows it on a
 * later line starts a declaration (a type, a name, a storage keyword, a directive). A K&R declarator (`f(a, b)`
 * after its return type) or a return-type macro before a function's name fails those tests. The caller blanks what
 * was found and keeps the new parse only when it has fewer errors, so a wrong guess costs one parse and changes
 * nothing.
 */
import { AstNode, countErrors } from '../ast';

export interface Span {
  readonly start: number;
  readonly end: number;
}

interface Token {
  /**
   * The node type of a leaf; `directive` for a whole preprocessor construct, `literal` for a whole string, `edge`
   * for a container's own tokens (`extern "C" {`, `#ifdef X`, `#endif`) and the end of a clean item, or the type
   * of a clean item (its first token; `untyped` for a function definition that starts with its declarator).
   */
  readonly type: string;
  readonly start: number;
  readonly end: number;
  /** The damaged item the token belongs to (an invocation stays within one); -1 outside one. */
  readonly item: number;
}

/** Nodes whose named children (other than their name or condition) are file-scope items. */
const CONTAINERS = new Set(['translation_unit', 'preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef', 'linkage_specification', 'declaration_list', 'namespace_definition']);
const LITERALS = new Set(['string_literal', 'concatenated_string', 'char_literal', 'raw_string_literal', 'system_lib_string']);
const NAMES = new Set(['identifier', 'type_identifier']);
/** Tokens (and clean items) that may start a declaration after a macro line. */
const DECLARATION_STARTS = new Set([
  'declaration', 'function_definition', 'type_definition', 'linkage_specification', 'template_declaration',
  'namespace_definition', 'alias_declaration', 'using_declaration', 'static_assert_declaration', 'directive', 'edge',
  'identifier', 'type_identifier', 'primitive_type', 'static', 'extern', 'typedef', 'struct', 'union', 'enum', 'const',
  'volatile', 'inline', '__inline', '__inline__', '__forceinline', 'register', 'signed', 'unsigned', 'long', 'short',
  'class', 'namespace', 'template', 'using', 'static_assert', '_Static_assert', '__extension__',
]);
/** Tokens after which a new declaration begins. */
const DECLARATION_ENDS = new Set([';', '}', 'directive', 'edge']);
/** Tokens that cannot stand inside the argument list of such a macro. */
const NOT_IN_ARGUMENTS = new Set([';', '{', '}', 'directive']);

/** The file-scope macro invocations without a semicolon in the damaged items of `root`; `text` is what was parsed. */
export function looseMacroCalls(root: AstNode, text: string): Span[] {
  const reader = new TokenReader();
  reader.container(root);
  return reader.damaged ? new Finder(reader.tokens, text).find() : [];
}

/** `text` with every span overwritten by spaces (line breaks kept, so offsets, lines and columns stay). */
export function blankSpans(text: string, spans: readonly Span[]): string {
  const out: string[] = [];
  let copied = 0;
  for (const s of spans) {
    out.push(text.slice(copied, s.start), text.slice(s.start, s.end).replace(/[^\r\n]/g, ' '));
    copied = s.end;
  }
  out.push(text.slice(copied));
  return out.join('');
}

/** The tokens of the damaged file-scope items, and what stands between them. */
class TokenReader {
  readonly tokens: Token[] = [];
  damaged = false;
  private items = 0;

  container(node: AstNode): void {
    const children = node.children;
    for (let i = 0; i < children.length; i++) {
      const c = children[i];
      // A MISSING token stands for nothing in the text: what comes after it decides. The item before one (a
      // macro line read as a declaration that lacks its `;`) is damaged.
      if (c.type === 'comment' || c.start === c.end) continue;
      if (CONTAINERS.has(c.type)) this.container(c);
      else if (!c.named || (c.field !== undefined && c.field !== 'body')) this.push('edge', c, -1);
      else if (countErrors(c) > 0 || children[i + 1]?.missing) this.item(c);
      else this.cleanItem(c);
    }
  }

  private push(type: string, node: AstNode, item: number): void {
    this.tokens.push({ type, start: node.start, end: node.end, item });
  }

  private cleanItem(node: AstNode): void {
    const untyped = node.type === 'function_definition' && node.children[0]?.field === 'declarator';
    this.push(node.type.startsWith('preproc_') ? 'directive' : untyped ? 'untyped' : node.type, node, -1);
    this.tokens.push({ type: 'edge', start: node.end, end: node.end, item: -1 });
  }

  /**
   * A damaged item's tokens outside braces (only those can be file-scope invocations or stand next to one), and
   * the braces that open and close its blocks. "File scope" is as the tree has it: an item that begins inside a
   * block cut short by damage before it is read from its own start.
   */
  private item(node: AstNode): void {
    this.damaged = true;
    const item = this.items++;
    let depth = 0;
    const stack: AstNode[] = [node];
    while (stack.length > 0) {
      const n = stack.pop()!;
      const type = n.type;
      if (type === 'comment' || n.start === n.end) continue;
      const whole = type.startsWith('preproc_') || type.charCodeAt(0) === 35 /* # */ ? 'directive' : LITERALS.has(type) ? 'literal' : undefined;
      if (!whole && n.children.length > 0) {
        for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
        continue;
      }
      if (type === '}') depth = Math.max(depth - 1, 0);
      if (depth === 0) this.push(whole ?? type, n, item);
      if (type === '{') depth++;
    }
  }
}

/** Finds the invocations in the token stream. */
class Finder {
  /** Per token index: the index of the `)` ending a qualifying invocation that starts there, or -1 (memo). */
  private readonly forward = new Map<number, number>();

  constructor(
    private readonly tokens: readonly Token[],
    private readonly text: string,
  ) {}

  find(): Span[] {
    const spans: Span[] = [];
    const tokens = this.tokens;
    /** The `)` of the last invocation taken: it ends a declaration for the next one. */
    let lastClose = -1;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t.item < 0 || !NAMES.has(t.type)) continue;
      if (i > 0 && !DECLARATION_ENDS.has(tokens[i - 1].type) && i - 1 !== lastClose) continue;
      const close = this.qualifies(i);
      if (close < 0) continue;
      spans.push({ start: t.start, end: tokens[close].end });
      lastClose = close;
      i = close;
    }
    return spans;
  }

  /** The `)` of a qualifying invocation at `i` (its own shape and what follows it), or -1. */
  private qualifies(i: number): number {
    let result = this.forward.get(i);
    if (result === undefined) {
      this.forward.set(i, -1);
      const close = this.invocation(i);
      result = close >= 0 && this.followedByDeclaration(close) && !this.opensOldStyleBody(close) ? close : -1;
      this.forward.set(i, result);
    }
    return result;
  }

  /** The `)` of `name(...)` at `i` when it starts its line and stays in one damaged item. */
  private invocation(i: number): number {
    const tokens = this.tokens;
    const name = tokens[i];
    if (name.item < 0 || !NAMES.has(name.type) || tokens[i + 1]?.type !== '(' || !this.startsLine(name.start)) return -1;
    let parens = 0;
    for (let k = i + 1; k < tokens.length && tokens[k].item === name.item; k++) {
      const type = tokens[k].type;
      if (NOT_IN_ARGUMENTS.has(type)) return -1;
      if (type === '(') parens++;
      else if (type === ')' && --parens === 0) return k;
    }
    return -1;
  }

  private followedByDeclaration(close: number): boolean {
    const next = this.tokens[close + 1];
    if (!next) return true;
    if (!this.text.slice(this.tokens[close].end, next.start).includes('\n') || !DECLARATION_STARTS.has(next.type)) return false;
    // A name with an argument list right after it is a declarator (the macro was its return type), unless it is
    // one more macro line of the same kind.
    return next.item < 0 || this.tokens[close + 2]?.type !== '(' || this.qualifies(close + 1) >= 0;
  }

  /**
   * Whether declarations after `close` lead straight into a function body (`int a; int b; {`): then the invocation
   * was an old-style declarator whose return type was left out (`add(a, b)`), not a macro line.
   */
  private opensOldStyleBody(close: number): boolean {
    const tokens = this.tokens;
    let endsDeclaration = false;
    for (let k = close + 1; k < tokens.length; k++) {
      const { type, item } = tokens[k];
      if (type === 'edge') continue;
      if (type === '{' || type === 'compound_statement') return endsDeclaration;
      if (type === '(' || type === 'directive' || (item < 0 && type !== 'declaration')) return false;
      endsDeclaration = type === ';' || type === 'declaration';
    }
    return false;
  }

  /** Whether only blanks stand between the start of the line and `offset`. */
  private startsLine(offset: number): boolean {
    for (let k = offset - 1; k >= 0; k--) {
      const c = this.text.charCodeAt(k);
      if (c === 10) return true;
      if (c !== 32 && c !== 9 && c !== 13 && c !== 12 && c !== 11) return false;
    }
    return true;
  }
}
