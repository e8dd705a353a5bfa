/** Document URIs and the file paths the engine sees. */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { languageForPath } from '../engine/parse/parse';
import type { LanguageId } from '../engine/parse/backend';

/** The engine's path for a document: the file system path of `file:` URIs, the URI itself otherwise. */
export function uriToPath(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri;
}

export function pathToUri(path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) && !/^[a-z]:[\\/]/i.test(path)) return path;
  return pathToFileURL(path).toString();
}

/**
 * Whether the server analyses a document, and with which grammar: undefined for documents it leaves alone,
 * `{}` when the file extension decides (so a `.h` gets the engine's header choice, as on the command line),
 * `{ lang }` for documents without a C/C++ extension that the client marks as C or C++ (untitled buffers).
 */
export function documentLanguage(uri: string, languageId: string): { readonly lang?: LanguageId } | undefined {
  if (languageForPath(uriToPath(uri))) return {};
  if (languageId === 'c') return { lang: 'c' };
  if (languageId === 'cpp' || languageId === 'cuda-cpp') return { lang: 'cpp' };
  return undefined;
}
