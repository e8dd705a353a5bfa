import { AstNode, child, countErrors } from '../ast';
import { SourceText } from '../source';
import type { Backend, LanguageId, TsParser, TsTree } from './backend';
import { Annotation, MacroOptions, maskMacros } from './mask';
import { buildAst, countTreeErrors } from './tree';

export type HeaderLanguage = 'c' | 'cpp' | 'auto';

export interface ParseOptions {
  readonly macros?: MacroOptions;
  /** Grammar for `.h` files; `auto` tries C first and keeps the C++ parse only when it has fewer errors. */
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

  constructor(readonly backend: Backend) {}

  get(lang: LanguageId): TsParser {
    let p = this.parsers.get(lang);
    if (!p) {
      p = this.backend.createParser(lang);
      this.parsers.set(lang, p);
    }
    return p;
  }
}

export function parseFile(parsers: Parsers, path: string, text: string, options: ParseOptions = {}, langOverride?: LanguageId): ParsedFile {
  const detected = langOverride ?? languageForPath(path) ?? 'c';
  const mask = maskMacros(text, options.macros);
  const parseAs = (lang: LanguageId): TsTree => parsers.get(lang).parse(mask.text);
  const make = (lang: LanguageId, tree: TsTree): ParsedFile => {
    const root = buildAst(tree);
    return {
      path,
      lang,
      source: new SourceText(text),
      masked: mask.text,
      annotations: mask.annotations,
      root,
      errorCount: countErrors(root),
      tree,
      maskedMacros: mask.masked,
      parseFragment: fragmentParser(parsers, lang, text, options.macros),
    };
  };
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
        const root = buildAst(tree, start - FRAGMENT_PREFIX.length);
        const fn = root.children.find((c) => c.type === 'function_definition');
        const block = fn && child(fn, 'body');
        const inner = (block?.children ?? []).filter((c) => c.start >= start && c.start < end);
        const node: AstNode = { type: 'fragment', named: true, field: undefined, start, end, missing: false, children: inner, parent: undefined, index: 0 };
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
