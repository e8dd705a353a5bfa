/** What every client feature gets: the extension context, the output channel and the running language client. */
import type * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';

export interface FeatureContext {
  readonly extension: vscode.ExtensionContext;
  readonly output: vscode.LogOutputChannel;
  /** The language client while it runs. */
  client(): LanguageClient | undefined;
  /** Fires after each (re)start of the language client, with the new client. */
  readonly onDidStartClient: vscode.Event<LanguageClient>;
  /** Stops and starts the language server again (settings that need a fresh server, trust granted, user request). */
  restart(): Promise<void>;
}

export interface Feature {
  activate(ctx: FeatureContext): void;
}
