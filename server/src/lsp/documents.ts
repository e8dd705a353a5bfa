/**
 * Open documents: their text (kept with incremental content changes), the last parse (kept for incremental
 * re-parsing), and what was last published. Tolerant by design: changes to unknown documents and stale versions
 * are ignored (and logged by the caller), ranges outside the text are clamped.
 */
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver/node';
import type { LanguageId } from '../engine/parse/backend';
import type { ParsedFile } from '../engine/parse/parse';
import type { Finding } from '../engine/rule';
import { documentLanguage, uriToPath } from './uri';

export class OpenDocument {
  readonly path: string;
  text: TextDocument;
  /** The last parse of this document, and the parse settings it was made with. */
  parsed: ParsedFile | undefined;
  parsedKey = '';
  /** Findings of the last published version (hover reads them). */
  findings: readonly Finding[] = [];
  publishedVersion = -1;
  /** Dependency key under which `findings` were computed. */
  dependencyKey: string | undefined;
  lastChange = 0;
  timer: NodeJS.Timeout | undefined;
  running = false;
  rerun = false;
  closed = false;

  constructor(
    readonly uri: string,
    readonly languageId: string,
    readonly lang: LanguageId | undefined,
    version: number,
    text: string,
  ) {
    this.path = uriToPath(uri);
    this.text = TextDocument.create(uri, languageId, version, text);
  }

  get version(): number {
    return this.text.version;
  }

  /** Releases the parse tree (native and wasm trees hold memory outside the JavaScript heap). */
  dispose(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.parsed?.tree.delete?.();
    this.parsed = undefined;
  }
}

export type ChangeOutcome = 'applied' | 'unknown-document' | 'stale-version' | 'malformed';

const isPosition = (p: unknown): boolean => !!p && typeof p === 'object' && Number.isInteger((p as { line: unknown }).line) && Number.isInteger((p as { character: unknown }).character);

/** A full-text change, or a ranged one with integer positions (anything else would corrupt the text). */
function validChange(c: unknown): boolean {
  if (!c || typeof c !== 'object' || typeof (c as { text: unknown }).text !== 'string') return false;
  const range = (c as { range?: { start: unknown; end: unknown } }).range;
  return range === undefined || (isPosition(range.start) && isPosition(range.end));
}

export class DocumentStore {
  private readonly docs = new Map<string, OpenDocument>();

  /** Opens (or re-opens) a document; undefined when it is not C/C++ and the server leaves it alone. */
  open(uri: string, languageId: string, version: number, text: string): OpenDocument | undefined {
    this.close(uri);
    const kind = documentLanguage(uri, languageId);
    if (!kind) return undefined;
    const doc = new OpenDocument(uri, languageId, kind.lang, version, text);
    this.docs.set(uri, doc);
    return doc;
  }

  change(uri: string, version: number, changes: readonly TextDocumentContentChangeEvent[]): { outcome: ChangeOutcome; doc?: OpenDocument } {
    const doc = this.docs.get(uri);
    if (!doc) return { outcome: 'unknown-document' };
    if (typeof version !== 'number' || !(version > doc.version)) return { outcome: 'stale-version', doc };
    if (!Array.isArray(changes) || !changes.every(validChange)) return { outcome: 'malformed', doc };
    doc.text = TextDocument.update(doc.text, changes as TextDocumentContentChangeEvent[], version);
    return { outcome: 'applied', doc };
  }

  close(uri: string): OpenDocument | undefined {
    const doc = this.docs.get(uri);
    if (!doc) return undefined;
    this.docs.delete(uri);
    doc.dispose();
    return doc;
  }

  get(uri: string): OpenDocument | undefined {
    return this.docs.get(uri);
  }

  byPath(path: string): OpenDocument | undefined {
    for (const d of this.docs.values()) if (d.path === path) return d;
    return undefined;
  }

  all(): OpenDocument[] {
    return [...this.docs.values()];
  }
}
