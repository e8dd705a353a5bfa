/**
 * The kslint language server: document sync with incremental re-parsing, pushed diagnostics, the background
 * workspace index, settings and trust. Code actions, hover and commands live in their own modules, as do the
 * index's worker threads (`index-pool.ts`) and what the client declares at initialize (`client-options.ts`).
 */
import {
  CodeActionKind,
  Connection,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  InitializeParams,
  InitializeResult,
  TextDocumentSyncKind,
  WorkDoneProgressServerReporter,
  MessageType,
  ShowMessageNotification,
} from 'vscode-languageserver/node';
import { isAbsolute } from 'node:path';
import { ResultCache } from '../cli/cache';
import { toolFingerprint } from '../cli/tool-info';
import { loadBackend } from '../engine/parse/backend';
import { Parsers } from '../engine/parse/parse';
import type { EngineConfig } from '../engine/config';
import { dependencyKey, FileResult } from '../engine/lint';
import type { Rule } from '../engine/rule';
import { AnalysisQueue, Trigger } from './analysis-queue';
import { Analyzer } from './analyzer';
import { ClientFeatures, clientFeatures, InitOptions } from './client-options';
import { FIX_ALL_KIND } from './code-actions';
import { registerCommands, COMMANDS } from './commands';
import { toDiagnostics } from './diagnostics';
import { DocumentStore, OpenDocument } from './documents';
import { registerEditorFeatures } from './editor-features';
import { IndexWorkerPool } from './index-pool';
import { ProjectState } from './project-state';
import { RuleDocs } from './rule-docs';
import { ConfigSource, DEFAULT_CONFIG_SOURCE, DEFAULT_SETTINGS, EditorSettings, parseSettings } from './settings';
import { uriToPath } from './uri';
import { IndexProgress, WorkspaceIndex } from './workspace-index';
import { wasmDirNextToServer } from './wasm-dir';

export interface ServerOptions {
  readonly rules: readonly Rule[];
  /** Project configuration for trusted workspaces (the command line's loader). */
  readonly configSource?: ConfigSource;
  readonly version?: string;
}

/** Documents larger than this (UTF-16 units) are analysed on open and save only, never per keystroke. */
export const LARGE_DOCUMENT = 1024 * 1024;

const SOURCE_GLOB = '**/*.{c,cc,cpp,cxx,c++,h,hh,hpp,hxx,h++,ipp,inl}';
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class KslintServer {
  readonly documents = new DocumentStore();
  readonly project = new ProjectState();
  readonly docs: RuleDocs;
  readonly queue: AnalysisQueue;
  settings: EditorSettings = DEFAULT_SETTINGS;
  trusted = true;
  client: ClientFeatures = { progress: false, configuration: false, watchers: false, snippets: false, relatedInformation: true, showDocument: false };
  roots: string[] = [];
  analyzer: Analyzer | undefined;
  index: WorkspaceIndex | undefined;
  private status = false;
  private indexing = true;
  /** The workspace index's worker threads. */
  private readonly indexWorkers = new IndexWorkerPool((m) => this.log(m));
  private running = 0;
  private readonly reportedConfigErrors = new Set<string>();
  /** Closed files whose diagnostics come from a whole-workspace lint. */
  readonly workspaceDiagnostics = new Set<string>();

  constructor(
    readonly connection: Connection,
    readonly options: ServerOptions,
  ) {
    this.docs = new RuleDocs(options.rules);
    this.queue = new AnalysisQueue((doc, stale) => this.analyse(doc, stale), 150, (doc, err) => this.fail(doc, err));
    connection.onInitialize((p) => this.initialize(p));
    connection.onInitialized(() => void this.initialized());
    connection.onDidOpenTextDocument((p) => {
      const doc = this.documents.open(p.textDocument.uri, p.textDocument.languageId, p.textDocument.version, p.textDocument.text);
      if (doc) this.schedule(doc, 'open');
    });
    connection.onDidChangeTextDocument((p) => {
      const doc = this.documents.get(p.textDocument?.uri);
      if (doc && this.settings.run === 'onType' && doc.text.getText().length <= LARGE_DOCUMENT) this.schedule(doc, 'change');
      const r = this.documents.change(p.textDocument?.uri, p.textDocument?.version, p.contentChanges ?? []);
      if (r.outcome !== 'applied') this.log(`ignored a change to ${p.textDocument?.uri}: ${r.outcome}`);
    });
    connection.onDidSaveTextDocument((p) => {
      const doc = this.documents.get(p.textDocument.uri);
      if (doc && (this.settings.run === 'onSave' || doc.text.getText().length > LARGE_DOCUMENT)) this.schedule(doc, 'save');
    });
    connection.onDidCloseTextDocument((p) => this.closeDocument(p.textDocument.uri));
    connection.onDidChangeConfiguration((p) => void this.reloadSettings(p.settings));
    connection.onDidChangeWatchedFiles((p) => void this.watchedFilesChanged(p.changes));
    connection.onShutdown(async () => {
      for (const d of this.documents.all()) this.documents.close(d.uri);
      await this.indexWorkers.destroy();
    });
    registerEditorFeatures(this);
    registerCommands(this);
  }

  private async initialize(params: InitializeParams): Promise<InitializeResult> {
    const init = (params.initializationOptions ?? {}) as InitOptions;
    this.client = clientFeatures(params.capabilities ?? {});
    this.trusted = init.trusted !== false;
    this.status = init.status === true;
    this.indexing = init.index !== false;
    if (Number.isInteger(init.indexThreads) && init.indexThreads! >= 1 && init.indexThreads! <= 8) this.indexWorkers.threads = init.indexThreads!;
    if (typeof init.debounceMs === 'number' && init.debounceMs >= 0 && init.debounceMs <= 10_000) this.queue.debounceMs = init.debounceMs;
    if (init.settings !== undefined) this.settings = parseSettings(init.settings);
    const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    this.roots = folders.filter((u) => u.startsWith('file:')).map(uriToPath);
    const backend = await loadBackend({ wasmDir: wasmDirNextToServer() });
    if (backend.fallbackReason) this.log(`using the wasm parser: ${backend.fallbackReason}`);
    this.analyzer = new Analyzer(new Parsers(backend), this.options.rules, this.project);
    this.index = new WorkspaceIndex({
      parsers: this.analyzer.parsers,
      project: this.project,
      configFor: (path) => this.configFor(path),
      isOpen: (path) => !!this.documents.byPath(path),
      log: (m) => this.log(m),
      cache: typeof init.cacheDir === 'string' && isAbsolute(init.cacheDir) ? { store: new ResultCache(init.cacheDir), toolKey: toolFingerprint() } : undefined,
      summarize: (path, text, config) => this.indexWorkers.summarize(path, text, config),
      concurrency: this.indexWorkers.threads,
    });
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: false },
        hoverProvider: true,
        executeCommandProvider: { commands: [...COMMANDS] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: false } },
      },
      serverInfo: { name: 'kslint', version: this.options.version },
    };
  }

  private async initialized(): Promise<void> {
    if (this.client.configuration) {
      void this.connection.client.register(DidChangeConfigurationNotification.type, { section: 'kslint' }).catch(() => undefined);
      await this.reloadSettings(undefined);
    }
    if (this.client.watchers) {
      const watchers = [{ globPattern: SOURCE_GLOB }, ...this.configSource.watchPatterns.map((p) => ({ globPattern: `**/${p}` }))];
      void this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers }).catch(() => undefined);
    }
    void this.reindex();
  }

  get configSource(): ConfigSource {
    return this.trusted ? (this.options.configSource ?? DEFAULT_CONFIG_SOURCE) : DEFAULT_CONFIG_SOURCE;
  }

  /** The engine configuration for a file; a broken config file is reported once and the defaults apply. */
  configFor(path: string): EngineConfig {
    const r = this.configSource.configFor(path, this.settings);
    if (r.error && !this.reportedConfigErrors.has(r.error)) {
      this.reportedConfigErrors.add(r.error);
      this.log(`configuration problem: ${r.error}`);
      // A notification, not a request: every client shows it and nothing waits for an answer.
      void this.connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Error, message: `kslint: ${r.error}` });
    }
    return r.config;
  }

  log(message: string): void {
    this.connection.console.log(message);
  }

  schedule(doc: OpenDocument, trigger: Trigger): void {
    if (!this.settings.enable) return;
    this.queue.schedule(doc, trigger);
  }

  /**
   * One analysis run. The rules run first, under the project index as it stands, and their findings are
   * published; the document's summary is refreshed afterwards, off the latency path. If the new summary changes
   * any project fact this file's findings depend on (its dependency key), the file is linted again at once and
   * re-published, so the final result always equals a lint under the up-to-date index, as on the command line.
   */
  private async analyse(doc: OpenDocument, isStale: () => boolean): Promise<void> {
    const analyzer = this.analyzer;
    if (!analyzer || !this.settings.enable) return;
    this.setRunning(+1);
    try {
      const config = this.configFor(doc.path);
      const step = analyzer.parse(doc, config);
      // Let queued messages in (a newer edit makes this run stale; the parse is kept for the next one).
      await tick();
      if (isStale()) return;
      // The first analysis of a document summarizes first: its own calls seed its helpers' parameters.
      let projectChanged = this.project.summary(doc.path) ? false : analyzer.summarize(doc, step.parsed, config);
      const index = this.project.getIndex();
      if (!this.publish(doc, step.version, analyzer.lint(step.parsed, config), isStale)) return;
      await tick();
      if (isStale()) return;
      projectChanged = analyzer.summarize(doc, step.parsed, config) || projectChanged;
      const summary = this.project.summary(doc.path)!;
      const key = this.project.keyFor(doc.path);
      if (key !== dependencyKey(index, summary)) this.publish(doc, step.version, analyzer.lint(step.parsed, config), isStale);
      doc.dependencyKey = key;
      if (projectChanged) this.recheckDependents(doc);
    } finally {
      this.setRunning(-1);
    }
  }

  /** Publishes a run's findings unless the run went stale; never an older version after a newer one. */
  private publish(doc: OpenDocument, version: number, result: FileResult, isStale: () => boolean): boolean {
    for (const e of result.ruleErrors) this.log(`rule ${e.ruleId} failed on ${doc.path}: ${e.message}`);
    if (isStale() || version < doc.publishedVersion) return false;
    doc.findings = result.findings;
    doc.publishedVersion = version;
    const diagnostics = toDiagnostics(result.findings, { docs: this.docs, version, relatedInformation: this.client.relatedInformation });
    void this.connection.sendDiagnostics({ uri: doc.uri, version, diagnostics });
    return true;
  }

  /** Re-checks the open documents whose project facts changed since their last analysis. */
  recheckDependents(except?: OpenDocument): void {
    for (const d of this.documents.all()) {
      if (d === except || d.dependencyKey === undefined) continue;
      if (this.project.keyFor(d.path) !== d.dependencyKey) this.schedule(d, 'dependency');
    }
  }

  private fail(doc: OpenDocument, err: unknown): void {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.log(`analysis of ${doc.uri} failed: ${message}`);
    this.notifyStatus('error', `analysis of ${doc.path} failed`);
  }

  private setRunning(delta: number): void {
    const before = this.running;
    this.running = Math.max(0, this.running + delta);
    if (before === 0 && this.running > 0) this.notifyStatus('analysing');
    else if (before > 0 && this.running === 0) this.notifyStatus('idle');
  }

  notifyStatus(state: 'analysing' | 'idle' | 'indexing' | 'error', message?: string): void {
    if (this.status) void this.connection.sendNotification('kslint/status', { state, message });
  }

  private closeDocument(uri: string): void {
    const doc = this.documents.close(uri);
    if (!doc) return;
    this.queue.cancel(doc);
    const changed = this.project.setOpen(doc.path, undefined);
    if (!this.workspaceDiagnostics.has(uri)) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
    if (changed) {
      // The file's facts now come from disk again (or from nowhere).
      if (this.index && this.trusted && this.indexing) void this.index.update(doc.path, false).then(() => this.recheckDependents());
      else this.recheckDependents();
    }
  }

  private async reloadSettings(pushed: unknown): Promise<void> {
    let raw: unknown = (pushed as { kslint?: unknown } | undefined)?.kslint;
    if (this.client.configuration) {
      try {
        [raw] = await this.connection.workspace.getConfiguration([{ section: 'kslint' }]);
      } catch (err) {
        this.log(`could not read settings: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (raw === undefined || raw === null) return;
    const before = this.settings;
    this.settings = parseSettings(raw);
    if (JSON.stringify(before) === JSON.stringify(this.settings)) return;
    this.configSource.invalidate();
    this.reportedConfigErrors.clear();
    if (!this.settings.enable) {
      for (const d of this.documents.all()) {
        this.queue.cancel(d);
        d.findings = [];
        void this.connection.sendDiagnostics({ uri: d.uri, diagnostics: [] });
      }
      return;
    }
    if (before.configPath !== this.settings.configPath || !before.enable) await this.reindex();
    for (const d of this.documents.all()) this.schedule(d, 'config');
  }

  private async watchedFilesChanged(changes: readonly { uri: string; type: FileChangeType }[]): Promise<void> {
    let configChanged = false;
    let projectChanged = false;
    for (const c of changes ?? []) {
      const path = uriToPath(c.uri);
      const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
      if (this.configSource.watchPatterns.includes(name) || (this.settings.configPath && path.endsWith(this.settings.configPath))) {
        configChanged = true;
        continue;
      }
      if (!this.index || !this.trusted || !this.indexing || this.documents.byPath(path)) continue;
      if (await this.index.update(path, c.type === FileChangeType.Deleted)) projectChanged = true;
    }
    if (configChanged) {
      this.configSource.invalidate();
      this.reportedConfigErrors.clear();
      for (const d of this.documents.all()) {
        // Macro lists may have changed: parse from scratch.
        d.parsedKey = '';
        this.schedule(d, 'config');
      }
      await this.reindex();
    } else if (projectChanged) {
      this.recheckDependents();
    }
  }

  /** Rebuilds the workspace index (trusted workspaces only) and then re-checks affected open documents. */
  async reindex(): Promise<void> {
    if (!this.index) return;
    if (!this.trusted || !this.indexing || !this.settings.enable || !this.roots.length) {
      this.index.clear();
      return;
    }
    this.notifyStatus('indexing');
    const n = await this.index.indexAll(this.roots, await this.progress());
    this.notifyStatus(this.running ? 'analysing' : 'idle');
    if (n) this.recheckDependents();
  }

  /** Server-initiated `window/workDoneProgress` when the client supports it. */
  async progress(): Promise<IndexProgress | undefined> {
    if (!this.client.progress) return undefined;
    let reporter: WorkDoneProgressServerReporter;
    try {
      reporter = await this.connection.window.createWorkDoneProgress();
    } catch {
      return undefined;
    }
    return {
      begin: (title) => reporter.begin(title, 0, undefined, false),
      report: (done, total) => reporter.report(total ? Math.round((done / total) * 100) : 0, `${done}/${total} files`),
      done: () => reporter.done(),
    };
  }
}
