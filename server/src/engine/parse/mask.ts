/**
 * Offset-preserving macro masking.
 *
 * WDK sources are dense with SAL annotations, calling-convention and export macros that a grammar without a
 * preprocessor cannot parse. A small C lexer finds those tokens (never inside comments, strings or preprocessor
 * directives) and overwrites them with spaces of the same length, so every offset, line and column stays valid.
 * The SAL text is kept as `Annotation` records for rules that use it (`_In_reads_bytes_(Length)`).
 */

export interface Annotation {
  /** Macro name, e.g. `_In_reads_bytes_`. */
  readonly name: string;
  /** Text between the parentheses, trimmed; undefined when the macro has no argument list. */
  readonly args: string | undefined;
  readonly start: number;
  readonly end: number;
}

export interface MacroOptions {
  /** Extra names blanked like annotations (with their argument list, if one follows). */
  readonly mask?: readonly string[];
  /** Statement-like macros written without a trailing `;`: the invocation becomes an empty statement. */
  readonly statement?: readonly string[];
}

export interface MaskResult {
  readonly text: string;
  readonly annotations: Annotation[];
  /** Number of masked macro uses (for statistics). */
  readonly masked: number;
}

/** Blanked as bare words; an argument list after them is left alone. */
const WORDS = new Set([
  'IN', 'OUT', 'OPTIONAL', 'INOUT', 'NTAPI', 'FLTAPI', 'NTKERNELAPI', 'NTSYSAPI', 'NTSYSCALLAPI', 'NTHALAPI',
  'WINAPI', 'CALLBACK', 'APIENTRY', 'FASTCALL', 'FORCEINLINE', 'EXTERN_C', 'NTSTRSAFEDDI', 'NTSTRSAFEAPI',
  'NTSTRSAFEWORKERDDI', 'DECLSPEC_IMPORT', 'DECLSPEC_EXPORT', 'DECLSPEC_NOINLINE', 'DECLSPEC_NORETURN',
  'DECLSPEC_NOTHROW', 'DECLSPEC_SELECTANY', 'DECLSPEC_CACHEALIGN', 'DECLSPEC_NOINITALL', 'DECLSPEC_RESTRICT',
  'UNALIGNED', 'CONST', '__unaligned', 'POINTER_64', 'POINTER_32', '__ptr64', '__ptr32', 'RESTRICTED_POINTER',
  'NTAPI_INLINE', 'WDFAPI', 'VOID_FUNCTION', 'KSDDKAPI', 'NDIS_API', 'STDMETHODCALLTYPE', 'PAGED_ROUTINE',
]);

/** Blanked together with their argument list when one follows. */
const FUNCTION_LIKE = new Set(['DECLSPEC_ALIGN', '__declspec', 'DECLSPEC_DEPRECATED_DDK', 'DECLSPEC_GUARD', '__pragma', '_Pragma']);

/** SAL 1 annotations (`__in`, `__out_bcount(n)`, `__drv_aliasesMem`, ...). */
const SAL1_PREFIXES = ['__in', '__out', '__inout', '__deref', '__drv_', '__checkReturn', '__success', '__bcount', '__ecount', '__nullterminated', '__field_', '__range', '__reserved', '__allocator', '__callback', '__kernel_entry', '__user_code', '__format_string', '__typefix', '__notnull', '__maybenull', '__readonly', '__post', '__pre'];

function isSal2Name(name: string): boolean {
  // SAL 2 names are `_Xxx_` with an upper-case first letter: `_In_`, `_IRQL_requires_max_`, `_When_`.
  if (name.length < 3 || name[0] !== '_' || name[name.length - 1] !== '_') return false;
  const c = name.charCodeAt(1);
  return c >= 65 && c <= 90;
}

function isSal1Name(name: string): boolean {
  if (!name.startsWith('__')) return false;
  for (const p of SAL1_PREFIXES) {
    if (name === p || (name.startsWith(p) && (p.endsWith('_') || name[p.length] === '_'))) return true;
  }
  return false;
}

const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
const isIdentPart = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57);

/** True for a character that may start one of the built-in names (all begin with `_` or a capital letter). */
const mayStartBuiltin = (c: number): boolean => c === 95 || (c >= 65 && c <= 90);

/**
 * Masks `source`. The scanning loop is kept small and everything done only at a candidate name lives in
 * `Masker.word`: the loop runs over every character of every file, and an optimised loop that also held the rare
 * paths was compiled again each time one of them ran for the first time (hundreds of milliseconds per worker).
 */
export function maskMacros(source: string, options?: MacroOptions): MaskResult {
  const masker = new Masker(source, maskNames(options));
  scan(source, masker);
  return masker.result();
}

/**
 * The scanning loop, alone in its function: a whole file is one call, so the loop is optimised while it runs, and
 * code optimised that way was seen to be entered again and again after the work that follows the loop had bailed
 * out of it (once per file).
 */
function scan(source: string, masker: Masker): void {
  const n = source.length;
  let i = 0;
  let lineStart = true;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      i++;
    } else if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
    } else if (c === 35 /* # */ && lineStart) {
      i = skipDirective(source, i);
    } else {
      lineStart = false;
      if (c === 47 /* / */) i = skipComment(source, i);
      else if (c === 34 /* " */ || c === 39 /* ' */) i = skipQuoted(source, i, c);
      else if (isIdentStart(c)) i = masker.word(i);
      else i++;
    }
  }
}

/** The configured names as sets, made once per options object (a run passes the same one for every file). */
interface MaskNames {
  readonly extraMask: ReadonlySet<string>;
  readonly statements: ReadonlySet<string>;
  /** Whether a configured name may start with something other than `_` or a capital (then every word is looked up). */
  readonly anyStart: boolean;
}

const NO_NAMES: MaskNames = { extraMask: new Set(), statements: new Set(), anyStart: false };
const namesByOptions = new WeakMap<MacroOptions, MaskNames>();

function maskNames(options: MacroOptions | undefined): MaskNames {
  if (!options || (!options.mask?.length && !options.statement?.length)) return NO_NAMES;
  let names = namesByOptions.get(options);
  if (!names) {
    const extraMask = new Set(options.mask ?? []);
    const statements = new Set(options.statement ?? []);
    const anyStart = [...extraMask, ...statements].some((name) => !mayStartBuiltin(name.charCodeAt(0)));
    namesByOptions.set(options, (names = { extraMask, statements, anyStart }));
  }
  return names;
}

/** Blanks taken before and after a word respelled as a longer keyword (two in all). */
interface Room {
  readonly before: number;
  readonly after: number;
}

class Masker {
  private readonly out: string[] = [];
  private readonly annotations: Annotation[] = [];
  private masked = 0;
  private copied = 0;
  /** Where an `except`/`finally` macro closing a respelled `try` stands, and its keyword. */
  private readonly handlers = new Map<number, { readonly keyword: string; readonly room: Room }>();
  /** The braces of the respelled `try` blocks (`leave` inside one is respelled too). */
  private readonly tryBlocks: [number, number][] = [];

  constructor(
    private readonly source: string,
    private readonly names: MaskNames,
  ) {}

  /** Handles the identifier starting at `i` (blanking it when it is a macro to mask); returns where scanning goes on. */
  word(i: number): number {
    const source = this.source;
    const n = source.length;
    let j = i + 1;
    while (j < n && isIdentPart(source.charCodeAt(j))) j++;
    const next = j < n ? source.charCodeAt(j) : 0;
    if (next === 34 || next === 39) {
      const after = this.prefixedLiteral(i, j, next);
      if (after >= 0) return after;
    }
    if (j - i === 3 && source.startsWith('try', i)) this.sehTry(i, j);
    else if (this.handlers.size > 0 && this.handlers.has(i)) {
      const h = this.handlers.get(i)!;
      this.spell(i, j, h.keyword, h.room);
    }
    else if (j - i === 5 && this.tryBlocks.length > 0 && source.startsWith('leave', i)) this.sehLeave(i, j);
    if (!this.names.anyStart && !mayStartBuiltin(source.charCodeAt(i))) return j;
    const name = source.slice(i, j);
    const sal = isSal2Name(name) || isSal1Name(name);
    const statement = this.names.statements.has(name);
    if (!(sal || statement || WORDS.has(name) || FUNCTION_LIKE.has(name) || this.names.extraMask.has(name))) return j;
    let end = j;
    let args: string | undefined;
    if (!WORDS.has(name)) {
      const open = skipSpace(source, j);
      if (source.charCodeAt(open) === 40 /* ( */) {
        const close = matchParen(source, open);
        if (close > 0) {
          args = source.slice(open + 1, close).trim();
          end = close + 1;
        }
      }
    }
    if (sal) this.annotations.push({ name, args, start: i, end });
    this.blank(i, end, statement ? ';' : undefined);
    return end;
  }

  /**
   * `try { ... } except (...)` and `try { ... } finally { ... }`: the C spellings that `<excpt.h>` defines as macros
   * for `__try`, `__except`, `__finally` and `__leave`, common in NT-style drivers. No grammar knows them, and
   * error recovery scatters such a function (a call opening the block was read as a declaration). They are written
   * out as the keywords, taking the two characters they lack from the spaces or tabs around them on the same line
   * (`} except (` becomes `}__except(`), so nothing else moves. A `try` whose block is not followed by `except (` or
   * `finally {` (C++ `try`/`catch`), or that has no room, is left as it is; so is a `leave` with no room.
   */
  private sehTry(i: number, j: number): void {
    const source = this.source;
    const open = skipBlankAndComments(source, j);
    const room = this.room(i, j);
    if (source.charCodeAt(open) !== 123 /* { */ || !room) return;
    const close = matchBrace(source, open);
    if (close < 0) return;
    const h = skipBlankAndComments(source, close + 1);
    const handler = source.startsWith('except', h) ? 'except' : source.startsWith('finally', h) ? 'finally' : undefined;
    if (!handler || isIdentPart(source.charCodeAt(h + handler.length))) return;
    const after = source.charCodeAt(skipBlankAndComments(source, h + handler.length));
    const handlerRoom = this.room(h, h + handler.length, close + 1);
    if (after !== (handler === 'except' ? 40 /* ( */ : 123 /* { */) || !handlerRoom) return;
    this.spell(i, j, '__try', room);
    this.handlers.set(h, { keyword: `__${handler}`, room: handlerRoom });
    this.tryBlocks.push([open, close]);
  }

  /** `leave;` inside a respelled `try` block. */
  private sehLeave(i: number, j: number): void {
    const room = this.room(i, j);
    if (!room || this.source.charCodeAt(skipBlankAndComments(this.source, j)) !== 59 /* ; */) return;
    if (this.tryBlocks.some(([open, close]) => open < i && i < close)) this.spell(i, j, '__leave', room);
  }

  /**
   * Two spaces or tabs next to the word at `[i, j)` on its line, not yet written out (nor before `floor`): how many
   * are taken before it and after it; undefined when there are fewer.
   */
  private room(i: number, j: number, floor = this.copied): Room | undefined {
    const s = this.source;
    const blank = (k: number): boolean => s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9;
    let before = 0;
    while (before < 2 && i - before - 1 >= Math.max(floor, this.copied) && blank(i - before - 1)) before++;
    let after = 0;
    while (before + after < 2 && blank(j + after)) after++;
    return before + after === 2 ? { before, after } : undefined;
  }

  /** Writes `keyword` over the word at `[i, j)` and the blanks `room` takes around it. */
  private spell(i: number, j: number, keyword: string, room: Room): void {
    this.handlers.delete(i);
    this.out.push(this.source.slice(this.copied, i - room.before));
    this.out.push(keyword);
    this.copied = j + room.after;
    this.masked++;
  }

  /** Where a literal with an encoding or raw-string prefix (`L"..."`, `u8R"(...)"`) at `i` ends; -1 when the word is no such prefix. */
  private prefixedLiteral(i: number, j: number, quote: number): number {
    const name = this.source.slice(i, j);
    if (!/^(L|u|U|u8|R|LR|uR|UR|u8R)$/.test(name)) return -1;
    return name.endsWith('R') && quote === 34 ? skipRawString(this.source, j) : skipQuoted(this.source, j, quote);
  }

  /** Overwrites `[from, to)` with spaces, keeping line breaks (and `replacement` at its start, if given). */
  private blank(from: number, to: number, replacement?: string): void {
    const source = this.source;
    this.out.push(source.slice(this.copied, from));
    const span = source.slice(from, to);
    let text = span.indexOf('\n') < 0 && span.indexOf('\r') < 0 ? ' '.repeat(span.length) : span.replace(/[^\r\n]/g, ' ');
    if (replacement) text = replacement + text.slice(replacement.length);
    this.out.push(text);
    this.copied = to;
    this.masked++;
  }

  result(): MaskResult {
    if (this.masked === 0) return { text: this.source, annotations: this.annotations, masked: 0 };
    this.out.push(this.source.slice(this.copied));
    return { text: this.out.join(''), annotations: this.annotations, masked: this.masked };
  }
}

/** A comment at `i` (a `/`) is skipped; any other `/` is one character. */
function skipComment(s: string, i: number): number {
  const next = s.charCodeAt(i + 1);
  if (next === 47) return skipLineComment(s, i);
  if (next === 42) {
    const close = s.indexOf('*/', i + 2);
    return close < 0 ? s.length : close + 2;
  }
  return i + 1;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13 || c === 10) i++;
    else break;
  }
  return i;
}

// Characters are read with charCodeAt throughout: in optimised code, `s[k]` string indexing fell back to a slow
// generic load after some inputs and made masking of later files up to 40 times slower.
function skipLineComment(s: string, i: number): number {
  for (;;) {
    const nl = s.indexOf('\n', i);
    if (nl < 0) return s.length;
    let k = nl - 1;
    if (s.charCodeAt(k) === 13) k--;
    if (s.charCodeAt(k) !== 92 /* \ */) return nl;
    i = nl + 1;
  }
}

function skipDirective(s: string, i: number): number {
  // A directive runs to the end of the line, continued by backslashes; comments inside may span lines.
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 10) {
      let k = i - 1;
      if (s.charCodeAt(k) === 13) k--;
      if (s.charCodeAt(k) !== 92 /* \ */) return i;
    } else if (c === 47 && s.charCodeAt(i + 1) === 42) {
      const close = s.indexOf('*/', i + 2);
      i = close < 0 ? s.length : close + 2;
      continue;
    } else if (c === 47 && s.charCodeAt(i + 1) === 47) {
      return skipLineComment(s, i);
    }
    i++;
  }
  return i;
}

function skipQuoted(s: string, i: number, quote: number): number {
  let j = i + 1;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 92 /* \ */) j += 2;
    else if (c === quote) return j + 1;
    else if (c === 10) return j; // unterminated: stop at the line end
    else j++;
  }
  return j;
}

function skipRawString(s: string, quoteAt: number): number {
  const open = s.indexOf('(', quoteAt);
  if (open < 0 || open - quoteAt > 17) return skipQuoted(s, quoteAt, 34);
  const delim = s.slice(quoteAt + 1, open);
  const close = s.indexOf(`)${delim}"`, open);
  return close < 0 ? s.length : close + delim.length + 2;
}

/** Index of the `)` matching the `(` at `open`, or -1 (unbalanced, or absurdly long). */
function matchParen(s: string, open: number): number {
  let depth = 0;
  const limit = Math.min(s.length, open + 4096);
  for (let i = open; i < limit; i++) {
    const c = s.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) {
      depth--;
      if (depth === 0) return i;
    } else if (c === 34 || c === 39) {
      i = skipQuoted(s, i, c) - 1;
    } else if (c === 59 /* ; */ || c === 123 /* { */ || c === 125) {
      return -1; // annotations never contain statements or blocks
    }
  }
  return -1;
}

/** The first offset from `i` that is neither white space nor inside a comment. */
function skipBlankAndComments(s: string, i: number): number {
  for (;;) {
    i = skipSpace(s, i);
    if (s.charCodeAt(i) !== 47 /* / */) return i;
    const next = skipComment(s, i);
    if (next === i + 1) return i;
    i = next;
  }
}

/** Index of the `}` matching the `{` at `open` (comments, strings and character literals skipped), or -1. */
function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return i;
    if (c === 47) i = skipComment(s, i);
    else if (c === 34 || c === 39) i = skipQuoted(s, i, c);
    else i++;
  }
  return -1;
}
