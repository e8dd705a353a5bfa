/**
 * A test client for the language server: spawns the built server (`--stdio`) and speaks real JSON-RPC to it,
 * recording what the server pushes (diagnostics, progress, log messages).
 */
import { spawn, ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ClientCapabilities,
  createProtocolConnection,
  Diagnostic,
  ProtocolConnection,
  PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocumentContentChangeEvent,
  TextEdit,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';

export const SERVER = join(__dirname, '..', '..', 'server', 'src', 'lsp', 'main.js');

export const FULL_CAPABILITIES: ClientCapabilities = {
  window: { workDoneProgress: true, showDocument: { support: true } },
  workspace: { configuration: false, workspaceEdit: { documentChanges: true }, didChangeWatchedFiles: { dynamicRegistration: false } },
  textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true, dataSupport: true, codeDescriptionSupport: true } },
};

export interface StartOptions {
  /** The server script (default: the build of server/src/lsp/main.ts). */
  readonly server?: string;
  readonly rootPath?: string;
  readonly capabilities?: ClientCapabilities;
  readonly initializationOptions?: Record<string, unknown>;
  readonly env?: NodeJS.ProcessEnv;
}

export const fileUri = (path: string): string => pathToFileURL(path).toString();

export class LspClient {
  readonly published: PublishDiagnosticsParams[] = [];
  readonly logs: string[] = [];
  readonly progress: unknown[] = [];
  readonly shown: unknown[] = [];
  stderr = '';
  private readonly waiters = new Set<() => void>();
  private readonly docs = new Map<string, TextDocument>();

  private constructor(
    readonly proc: ChildProcess,
    readonly conn: ProtocolConnection,
  ) {}

  static async start(opts: StartOptions = {}): Promise<LspClient> {
    const proc = spawn(process.execPath, [opts.server ?? SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const client = new LspClient(proc, conn);
    proc.stderr!.on('data', (b: Buffer) => (client.stderr += b.toString()));
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => client.record(() => client.published.push(p)));
    conn.onNotification('window/logMessage', (p: { message: string }) => client.record(() => client.logs.push(p.message)));
    conn.onNotification('window/showMessage', (p: { message: string }) => client.record(() => client.logs.push(`shown: ${p.message}`)));
    conn.onNotification('$/progress', (p: unknown) => client.record(() => client.progress.push(p)));
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.onRequest('window/showDocument', (p: unknown) => {
      client.record(() => client.shown.push(p));
      return { success: true };
    });
    conn.onRequest('client/registerCapability', () => null);
    conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => client.settings));
    conn.listen();
    const rootUri = opts.rootPath ? fileUri(opts.rootPath) : null;
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: opts.rootPath ? [{ uri: rootUri, name: 'root' }] : null,
      capabilities: opts.capabilities ?? FULL_CAPABILITIES,
      initializationOptions: { debounceMs: 30, ...opts.initializationOptions },
    });
    await conn.sendNotification('initialized', {});
    return client;
  }

  /** What the client answers to `workspace/configuration` for the `kslint` section. */
  settings: Record<string, unknown> = {};

  private record(fn: () => void): void {
    fn();
    for (const w of [...this.waiters]) w();
  }

  /** Resolves when `pred` holds, checked on every message from the server; rejects after `timeoutMs`. */
  waitFor<T>(what: string, pred: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const v = pred();
        if (v === undefined || v === false) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(v);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last diagnostics: ${JSON.stringify(this.published.slice(-2)).slice(0, 2000)}; stderr: ${this.stderr.slice(-2000)}; log: ${this.logs.slice(-5).join(' | ')}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  /** The diagnostics published for `uri` at exactly `version` (or the first after `since` publications). */
  diagnosticsFor(uri: string, version?: number, since = 0, timeoutMs = 30_000): Promise<Diagnostic[]> {
    return this.waitFor(`diagnostics for ${uri} v${version}`, () => {
      for (let i = this.published.length - 1; i >= since; i--) {
        const p = this.published[i];
        if (p.uri === uri && (version === undefined || p.version === version)) return p.diagnostics;
      }
      return undefined;
    }, timeoutMs);
  }

  text(uri: string): string {
    return this.docs.get(uri)!.getText();
  }

  version(uri: string): number {
    return this.docs.get(uri)!.version;
  }

  async open(uri: string, text: string, languageId = 'c'): Promise<void> {
    this.docs.set(uri, TextDocument.create(uri, languageId, 1, text));
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  /** Sends incremental changes (applied to the client's copy too) and returns the new version. */
  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<number> {
    const doc = this.docs.get(uri)!;
    const next = TextDocument.update(doc, changes, doc.version + 1);
    this.docs.set(uri, next);
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: next.version }, contentChanges: changes });
    return next.version;
  }

  /** Applies text edits (e.g. from a code action) as one incremental change per edit, last edit first. */
  async applyEdits(uri: string, edits: readonly TextEdit[]): Promise<number> {
    const doc = this.docs.get(uri)!;
    const sorted = [...edits].sort((a, b) => doc.offsetAt(b.range.start) - doc.offsetAt(a.range.start));
    return this.change(uri, sorted.map((e) => ({ range: e.range, text: e.newText })));
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.conn.sendNotification('exit');
    } catch {
      // the server may already be gone
    }
    if (!this.alive) return this.conn.dispose();
    const exited = new Promise((r) => this.proc.once('exit', r));
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    this.conn.dispose();
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }
}
