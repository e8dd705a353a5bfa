/**
 * The Kernel Safety Lint extension: starts the language server (bundled next to this file) for C and C++
 * documents and activates the client features. Nothing here loads the parser: a native binding that does not
 * load on this platform only makes the server use its wasm parser, it never stops the extension.
 */
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import type { FeatureContext } from './context';
import { FEATURES } from './features';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Kernel Safety Lint', { log: true });
  const started = new vscode.EventEmitter<LanguageClient>();
  context.subscriptions.push(output, started);

  const start = async (): Promise<void> => {
    client = createClient(context, output);
    try {
      await client.start();
      started.fire(client);
    } catch (err) {
      output.error(`The kslint language server did not start: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const ctx: FeatureContext = {
    extension: context,
    output,
    client: () => client,
    onDidStartClient: started.event,
    restart: async () => {
      const old = client;
      client = undefined;
      await old?.stop().catch(() => undefined);
      await start();
    },
  };
  for (const feature of FEATURES) feature.activate(ctx);
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

function createClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const languages = ['c', 'cpp'];
  const clientOptions: LanguageClientOptions = {
    documentSelector: languages.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    diagnosticCollectionName: 'kslint',
    outputChannel: output,
    initializationOptions: {
      trusted: vscode.workspace.isTrusted,
      status: true,
      // The workspace index keeps its summaries here across restarts (absent when no folder is open).
      cacheDir: context.storageUri ? vscode.Uri.joinPath(context.storageUri, 'index-cache').fsPath : undefined,
      settings: vscode.workspace.getConfiguration('kslint'),
    },
  };
  return new LanguageClient('kslint', 'Kernel Safety Lint', serverOptions, clientOptions);
}
