/**
 * The kslint language server: document sync with incremental re-parsing, pushed diagnostics, the background
 * workspace index, settings and trust. Code actions, hover and commands live in their own modules.
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
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { ResultCache } from '../cli/cache';
import { toolFingerprint } from '../cli/tool-info';
import { loadBackend } from '../engine/parse/backend';
import { Parsers } from '../engine/parse/parse';
import type { EngineConfig } from '../engine/config';
import { dependencyKey, FileResult } from '../engine/lint';
import { DEFAULT_LIMITS } from '../project/config';
import type { SummaryAnswer, SummaryTask } from './index-worker';
import type { Rule } from '../engine/rule';
import { AnalysisQueue, Trigger } from './analysis-queue';
import { Analyzer } from './analyzer';
import { FIX_ALL_KIND } from './code-actions';
import { registerCommands, COMMANDS } from './commands';
import { toDiagnostics } from './diagnostics';
import { DocumentStore, OpenDocument } from './documents';
import { registerEditorFeatures } from './editor-features';
import { ProjectState } from './project-state';
import { RuleDocs } from './rule-docs';
import { ConfigSource, DEFAULT_CONFIG_SOURCE, DEFAULT_SETTINGS, EditorSettings, parseSettings } from './settings';
import { uriToPath } from './uri';
import { IndexedFile, IndexProgress, WorkspaceIndex } from './workspace-index';
import { wasmDirNextToServer } from './wasm-dir';

export interface ServerOptions {
  readonly rules: readonly Rule[];
  /** Project configuration for trusted workspaces (the command line's loader). */
  readonly configSource?: ConfigSource;
  readonly version?: string;
}

/** What the client may pass in `initializationOptions`. */
interface InitOptions {
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
  /** The workspace index's worker thread (started on first use, gone when idle); false once it failed to start. */
  private indexPool: Piscina | false | undefined;
  /** Whether the index's worker ever answered (a failure before that means it cannot run here). */
  private indexWorkerRan = false;
  private indexThreads = Math.min(4, Math.max(1, availableParallelism() - 1));
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
      if (this.indexPool) await this.indexPool.destroy();
      this.indexPool = false;
    });
    registerEditorFeatures(this);
    registerCommands(this);
  }

  private async initialize(params: InitializeParams): Promise<InitializeResult> {
    const caps = params.capabilities ?? {};
    const init = (params.initializationOptions ?? {}) as InitOptions;
    this.client = {
      progress: !!caps.window?.workDoneProgress,
      configuration: !!caps.workspace?.configuration,
      watchers: !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration,
      snippets: !!caps.workspace?.workspaceEdit?.snippetEditSupport,
      relatedInformation: caps.textDocument?.publishDiagnostics?.relatedInformation !== false,
      showDocument: !!caps.window?.showDocument?.support,
    };
    this.trusted = init.trusted !== false;
    this.status = init.status === true;
    this.indexing = init.index !== false;
    if (Number.isInteger(init.indexThreads) && init.indexThreads! >= 1 && init.indexThreads! <= 8) this.indexThreads = init.indexThreads!;
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
      summarize: (path, text, config) => this.summarizeInWorker(path, text, config),
      concurrency: this.indexThreads,
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

  /**
   * Parses and summarizes a file for the workspace index in the index's worker thread, so that edits are analysed
   * without waiting behind it. A file over its time budget has no summary (and the worker is replaced); undefined
   * when the worker cannot run (the index then works on this thread).
   */
  private async summarizeInWorker(path: string, text: string, config: EngineConfig): Promise<IndexedFile | undefined> {
    if (this.indexPool === false) return undefined;
    const filename = join(__dirname, 'index-worker.js');
    if (!this.indexPool) {
      if (!existsSync(filename)) return undefined;
      // Threads end when idle, returning their memory; the editor's own analysis keeps a core (see `indexThreads`).
      this.indexPool = new Piscina({ filename, minThreads: 0, maxThreads: this.indexThreads, idleTimeout: 10_000, resourceLimits: { maxOldGenerationSizeMb: 1024 } });
    }
    const budget = DEFAULT_LIMITS.fileTimeoutMs;
    const signal = AbortSignal.timeout(budget);
    try {
      const answer = (await this.indexPool.run({ path, text, config } satisfies SummaryTask, { signal })) as SummaryAnswer;
      this.indexWorkerRan = true;
      return answer.ok ? { summary: answer.summary, thread: answer.thread } : { reason: answer.reason, thread: answer.thread };
    } catch (err) {
      if (signal.aborted) return { reason: `took longer than ${budget / 1000} s; skipped` };
      const message = err instanceof Error ? err.message : String(err);
      if (!this.indexWorkerRan) {
        this.log(`the index's worker thread cannot run (${message.split('\n')[0]}); indexing on the server's thread`);
        this.indexPool = false;
        return undefined;
      }
      return { reason: message.split('\n')[0] };
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
