import { AstNode, child, countErrors, isErrorNode } from '../ast';
import { SourceText } from '../source';
import type { Backend, LanguageId, TsEdit, TsParser, TsPoint, TsTree } from './backend';
import { blankSpans, looseMacroCalls } from './loose-macros';
import { Annotation, MacroOptions, MaskResult, maskMacros } from './mask';
import { AstReuse, buildAst, countTreeErrors, NodeNames } from './tree';

export type HeaderLanguage = 'c' | 'cpp' | 'auto';

export interface ParseOptions {
  readonly macros?: MacroOptions;
  /**
   * Grammar for `.h` files; `auto` tries C first and keeps the C++ parse only when it has fewer errors (compared on
   * the grammars' first parses, before macro lines without a `;` are blanked).
   */
  readonly headerLanguage?: HeaderLanguage;
}

export interface ParsedFile {
  readonly path: string;
  readonly lang: LanguageId;
  readonly source: SourceText;
  /** The text the grammar saw (same length as the source; macros blanked). */
  readonly masked: string;
  readonly annotations: readonly Annotation[];
  readonly root: AstNode;
  /** ERROR + MISSING nodes in the whole file. */
  readonly errorCount: number;
  /** The tree-sitter tree, kept for incremental re-parsing in the editor. Callers must not retain it otherwise. */
  readonly tree: TsTree;
  readonly maskedMacros: number;
  /**
   * Parses `source.text[start, end)` (typically a macro body, `preproc_arg`) with the file's grammar as the
   * statements of a function body. Returns a `fragment` node spanning the range whose children carry real file
   * offsets, or undefined when the range is empty. Results are cached per range.
   */
  readonly parseFragment?: (start: number, end: number) => AstNode | undefined;
}

const CPP_EXTENSIONS = new Set(['.cpp', '.cc', '.cxx', '.c++', '.hpp', '.hxx', '.hh', '.h++', '.ipp', '.inl']);
const C_EXTENSIONS = new Set(['.c']);
const HEADER_EXTENSIONS = new Set(['.h']);

export const SOURCE_EXTENSIONS: readonly string[] = [...C_EXTENSIONS, ...CPP_EXTENSIONS, ...HEADER_EXTENSIONS];

function extname(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dot = path.lastIndexOf('.');
  return dot > slash ? path.slice(dot).toLowerCase() : '';
}

/** The grammar for a path, or undefined for files that are not C/C++ sources. */
export function languageForPath(path: string): LanguageId | 'header' | undefined {
  const ext = extname(path);
  if (C_EXTENSIONS.has(ext)) return 'c';
  if (CPP_EXTENSIONS.has(ext)) return 'cpp';
  if (HEADER_EXTENSIONS.has(ext)) return 'header';
  return undefined;
}

/** Parsers are stateful and not re-entrant; one per language per back end is enough in a single thread. */
export class Parsers {
  private readonly parsers = new Map<LanguageId, TsParser>();
  private readonly names = new Map<LanguageId, NodeNames>();

  constructor(readonly backend: Backend) {}

  get(lang: LanguageId): TsParser {
    let p = this.parsers.get(lang);
    if (!p) {
      p = this.backend.createParser(lang);
      this.parsers.set(lang, p);
    }
    return p;
  }

  /** The node names of `lang`'s grammar under this back end, shared by every tree its parser gives. */
  namesOf(lang: LanguageId): NodeNames {
    let n = this.names.get(lang);
    if (!n) this.names.set(lang, (n = new NodeNames()));
    return n;
  }
}

export function parseFile(parsers: Parsers, path: string, text: string, options: ParseOptions = {}, langOverride?: LanguageId): ParsedFile {
  const detected = langOverride ?? languageForPath(path) ?? 'c';
  const mask = maskMacros(text, options.macros);
  const parseAs = (lang: LanguageId): TsTree => parsers.get(lang).parse(mask.text);
  const make = (lang: LanguageId, tree: TsTree): ParsedFile => withoutLooseMacros(parsers, assemble(parsers, path, lang, text, mask, tree, options.macros), options.macros);
  if (detected !== 'header') return make(detected, parseAs(detected));
  const headerLanguage = options.headerLanguage ?? 'auto';
  if (headerLanguage !== 'auto') return make(headerLanguage, parseAs(headerLanguage));
  // Only the chosen parse is converted to an AST; the candidates are compared on their trees.
  const asC = parseAs('c');
  if (!asC.rootNode.hasError) return make('c', asC);
  const asCpp = parseAs('cpp');
  if (countTreeErrors(asCpp) < countTreeErrors(asC)) {
    asC.delete?.();
    return make('cpp', asCpp);
  }
  asCpp.delete?.();
  return make('c', asC);
}

/**
 * Re-parses an edited version of `previous` incrementally (the editor's path): the new text is masked, the span
 * where the old and new masked texts differ is reported to the old tree with `tree.edit`, and the grammar
 * re-parses reusing every untouched subtree. Diffing the masked texts (rather than replaying the editor's
 * change ranges) stays correct when an edit changes how text outside it is masked, e.g. a new `(` after a
 * masked macro name. Text that does not parse cleanly is parsed from scratch (see below). The language chosen for
 * `previous` is kept (a header does not flip grammar mid-edit).
 * `previous.tree` is edited in place and must not be used for anything else afterwards; the caller disposes it.
 */
export function reparseFile(parsers: Parsers, previous: ParsedFile, text: string, options: ParseOptions = {}): ParsedFile {
  const mask = maskMacros(text, options.macros);
  const parser = parsers.get(previous.lang);
  const edit = maskedEdit(previous.masked, mask.text);
  if (edit) previous.tree.edit(edit);
  // Even with an identical masked text the caller gets a fresh tree per version (it disposes the old one).
  let tree = parser.parse(mask.text, previous.tree);
  if (tree.rootNode.hasError) {
    // Error recovery may take a different turn when it starts from reused subtrees (seen: 4 ERROR nodes
    // incrementally where a fresh parse has 1). Damaged text is parsed from scratch so that the editor's tree is
    // always the one the command line gets for the same text.
    tree.delete?.();
    tree = parser.parse(mask.text);
  }
  // The AST of error-free top-level declarations away from the edit is taken over (see buildAst). "Away" is judged
  // on the source text as well as the masked one: text inside a masked macro can change while the masked text
  // stays the same, and nodes taken over must cover exactly the text they covered before.
  const reuse: AstReuse = { previous: previous.root, ...changedSpan(edit, previous.source.text, text) };
  return withoutLooseMacros(parsers, assemble(parsers, previous.path, previous.lang, text, mask, tree, options.macros, reuse), options.macros);
}

/**
 * A damaged file parsed again with its file-scope macro lines that lack a semicolon blanked (see loose-macros.ts),
 * when that parse has fewer errors; otherwise `file` as it is. The first AST's clean top-level items on either side
 * of the blanked lines are taken over, as an editor re-parse takes them over from the previous version.
 */
function withoutLooseMacros(parsers: Parsers, file: ParsedFile, macros: MacroOptions | undefined): ParsedFile {
  if (file.errorCount === 0) return file;
  const spans = looseMacroCalls(file.root, file.masked);
  if (spans.length === 0) return file;
  const text = blankSpans(file.masked, spans);
  const tree = parsers.get(file.lang).parse(text);
  if (countTreeErrors(tree) >= file.errorCount) {
    tree.delete?.();
    return file;
  }
  file.tree.delete?.();
  const mask: MaskResult = { text, annotations: [...file.annotations], masked: file.maskedMacros + spans.length };
  const reuse: AstReuse = { previous: file.root, ...diffSpan(file.masked, text)! };
  return assemble(parsers, file.path, file.lang, file.source.text, mask, tree, macros, reuse);
}

/**
 * The span where either the source or the masked text changed (`edit`: the masked one), as one edit: masking keeps
 * lengths, so both diffs share one coordinate system. A span past the end when nothing changed.
 */
function changedSpan(edit: Span | undefined, before: string, after: string): Span {
  const spans = [edit, diffSpan(before, after)].filter((e) => e !== undefined);
  if (spans.length === 0) return { startIndex: after.length + 1, oldEndIndex: after.length + 1, newEndIndex: after.length + 1 };
  const suffix = Math.min(...spans.map((e) => before.length - e.oldEndIndex));
  return { startIndex: Math.min(...spans.map((e) => e.startIndex)), oldEndIndex: before.length - suffix, newEndIndex: after.length - suffix };
}

type Span = Pick<TsEdit, 'startIndex' | 'oldEndIndex' | 'newEndIndex'>;

/** Where `before` and `after` differ (common prefix and suffix kept), or undefined if equal. */
function diffSpan(before: string, after: string): Span | undefined {
  if (before === after) return undefined;
  const limit = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < limit && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  const maxSuffix = limit - prefix;
  while (suffix < maxSuffix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
  return { startIndex: prefix, oldEndIndex: before.length - suffix, newEndIndex: after.length - suffix };
}

/** The single edit turning `before` into `after`, with the row/column points tree-sitter needs, or undefined if equal. */
function maskedEdit(before: string, after: string): TsEdit | undefined {
  const span = diffSpan(before, after);
  if (!span) return undefined;
  return {
    ...span,
    startPosition: pointAt(before, span.startIndex),
    oldEndPosition: pointAt(before, span.oldEndIndex),
    newEndPosition: pointAt(after, span.newEndIndex),
  };
}

/** tree-sitter's point for an offset: rows end at `\n` only, columns count UTF-16 units (both bindings convert). */
function pointAt(text: string, offset: number): TsPoint {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

function assemble(parsers: Parsers, path: string, lang: LanguageId, text: string, mask: MaskResult, tree: TsTree, macros: MacroOptions | undefined, reuse?: AstReuse): ParsedFile {
  const root = buildAst(tree, 0, reuse, parsers.namesOf(lang));
  return {
    path,
    lang,
    source: new SourceText(text),
    masked: mask.text,
    annotations: mask.annotations,
    root,
    // Counted per top-level item, where the function model and re-parses ask again (the answers are remembered).
    errorCount: tree.rootNode.hasError ? root.children.reduce((n, c) => n + countErrors(c), isErrorNode(root) ? 1 : 0) : 0,
    tree,
    maskedMacros: mask.masked,
    parseFragment: fragmentParser(parsers, lang, text, macros),
  };
}

const FRAGMENT_PREFIX = 'void __kslint_fragment(void) {\n';

function fragmentParser(parsers: Parsers, lang: LanguageId, text: string, macros: MacroOptions | undefined): (start: number, end: number) => AstNode | undefined {
  const cache = new Map<string, AstNode | undefined>();
  return (start, end) => {
    const key = `${start}:${end}`;
    if (cache.has(key)) return cache.get(key);
    let result: AstNode | undefined;
    if (start >= 0 && end > start && end <= text.length) {
      // The body sits inside a function so that expressions, statements and `do { } while (0)` all parse;
      // the line break before `;}` ends a trailing `//` comment.
      const body = maskMacros(text.slice(start, end), macros).text;
      const tree = parsers.get(lang).parse(`${FRAGMENT_PREFIX}${body}\n;}\n`);
      try {
        const root = buildAst(tree, start - FRAGMENT_PREFIX.length, undefined, parsers.namesOf(lang));
        const fn = root.children.find((c) => c.type === 'function_definition');
        const block = fn && child(fn, 'body');
        const inner = (block?.children ?? []).filter((c) => c.start >= start && c.start < end);
        const node: AstNode = { type: 'fragment', named: true, field: undefined, start, end, missing: false, children: inner, parent: undefined, index: 0, order: 0 };
        inner.forEach((c, i) => {
          c.parent = node;
          c.index = i;
        });
        result = node;
      } finally {
        tree.delete?.();
      }
    }
    cache.set(key, result);
    return result;
  };
}

/** Releases the tree-sitter tree (needed for the wasm back end; harmless for native). */
export function disposeParsed(file: ParsedFile): void {
  file.tree.delete?.();
}
