import { AstNode, countErrors } from '../ast';
import { SourceText } from '../source';
import type { Backend, LanguageId, TsParser, TsTree } from './backend';
import { Annotation, MacroOptions, maskMacros } from './mask';
import { buildAst } from './tree';

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
  const make = (lang: LanguageId, oldTree?: TsTree): ParsedFile => {
    const tree = parsers.get(lang).parse(mask.text, oldTree);
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
    };
  };
  if (detected !== 'header') return make(detected);
  const headerLanguage = options.headerLanguage ?? 'auto';
  if (headerLanguage !== 'auto') return make(headerLanguage);
  const asC = make('c');
  if (asC.errorCount === 0) return asC;
  const asCpp = make('cpp');
  if (asCpp.errorCount < asC.errorCount) {
    asC.tree.delete?.();
    return asCpp;
  }
  asCpp.tree.delete?.();
  return asC;
}

/** Releases the tree-sitter tree (needed for the wasm back end; harmless for native). */
export function disposeParsed(file: ParsedFile): void {
  file.tree.delete?.();
}
