/**
 * What a client tells the server when it starts: the LSP capabilities the server relies on and kslint's own
 * `initializationOptions`. Gathered here so the server's handlers ask one small record instead of the protocol's
 * nested capability tree, and so the options a client may pass are documented in one place.
 */
import type { ClientCapabilities } from 'vscode-languageserver/node';

/** What the client may pass in `initializationOptions`. */
export interface InitOptions {
  /** VS Code workspace trust; other clients are trusted (they have no such notion). */
  trusted?: boolean;
  /** Initial `kslint` settings, for clients without `workspace/configuration`. */
  settings?: unknown;
  /** Pause (ms) that ends a burst of edits; default 150. */
  debounceMs?: number;
  /** Send `kslint/status` notifications (the VS Code status bar item). */
  status?: boolean;
  /** Index the workspace in the background (default true). */
  index?: boolean;
  /**
   * A folder of the client's own where the workspace index keeps its summaries across restarts (VS Code: the
   * extension's workspace storage). Without it every start parses the whole workspace.
   */
  cacheDir?: string;
  /**
   * Threads that parse the workspace index (1-8). By default one fewer than the machine's cores, at most 4, at
   * least 1: the editor's own analysis keeps a core.
   */
  indexThreads?: number;
}

export interface ClientFeatures {
  progress: boolean;
  configuration: boolean;
  watchers: boolean;
  snippets: boolean;
  relatedInformation: boolean;
  showDocument: boolean;
}

/** The features the server uses, from the client's capabilities (publishDiagnostics' related information unless refused). */
export function clientFeatures(caps: ClientCapabilities): ClientFeatures {
  return {
    progress: !!caps.window?.workDoneProgress,
    configuration: !!caps.workspace?.configuration,
    watchers: !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration,
    snippets: !!caps.workspace?.workspaceEdit?.snippetEditSupport,
    relatedInformation: caps.textDocument?.publishDiagnostics?.relatedInformation !== false,
    showDocument: !!caps.window?.showDocument?.support,
  };
}
