/**
 * Analyses one open document: incremental re-parse, the file's summary into the project state, then the rules
 * under the current project index. Synchronous steps with explicit checkpoints between them, so the caller can
 * abandon a run whose document changed meanwhile.
 */
import { lintParsed, summarizeFile, FileResult } from '../engine/lint';
import { parseFile, reparseFile, ParsedFile, Parsers } from '../engine/parse/parse';
import type { Rule } from '../engine/rule';
import { EMPTY_PROJECT, FileAnalysis, ProjectIndex } from '../engine/analysis';
import type { EngineConfig } from '../engine/config';
import type { OpenDocument } from './documents';
import type { ProjectState } from './project-state';
import { parseKey } from './settings';

export interface ParseStep {
  readonly parsed: ParsedFile;
  readonly version: number;
  readonly incremental: boolean;
}

export class Analyzer {
  private readonly analyses = new WeakMap<ParsedFile, FileAnalysis>();
  /** The analysis of the parse each incremental parse was made from: its flows serve the untouched functions. */
  private readonly predecessors = new WeakMap<ParsedFile, FileAnalysis>();

  constructor(
    readonly parsers: Parsers,
    private readonly rules: readonly Rule[],
    readonly project: ProjectState,
  ) {}

  /** Brings the document's parse up to its current text (incrementally when the parse settings are unchanged). */
  parse(doc: OpenDocument, config: EngineConfig): ParseStep {
    const text = doc.text.getText();
    const key = parseKey(config);
    const options = { macros: config.macros, headerLanguage: config.headerLanguage };
    const previous = doc.parsed;
    if (previous && previous.source.text === text && doc.parsedKey === key) return { parsed: previous, version: doc.version, incremental: true };
    const incremental = !!previous && doc.parsedKey === key;
    let parsed: ParsedFile;
    try {
      parsed = incremental ? reparseFile(this.parsers, previous, text, options) : parseFile(this.parsers, doc.path, text, options, doc.lang);
    } finally {
      // The old tree was edited in place (or is simply outdated): never reuse it, even if parsing failed.
      previous?.tree.delete?.();
      doc.parsed = undefined;
    }
    const before = incremental && this.analyses.get(previous!);
    if (before) this.predecessors.set(parsed, before);
    // The old parse stays reachable from the flows the new analysis takes over (until they are rebound); its own
    // analysis must not, or every analysis would keep the one before it alive.
    if (previous) this.analyses.delete(previous);
    doc.parsed = parsed;
    doc.parsedKey = key;
    return { parsed, version: doc.version, incremental };
  }

  /** Records the document's summary; true when the project facts changed (other files may need re-checking). */
  summarize(doc: OpenDocument, parsed: ParsedFile, config: EngineConfig): boolean {
    return this.project.setOpen(doc.path, summarizeFile(parsed, config, this.analysisFor(parsed, config, EMPTY_PROJECT)));
  }

  lint(parsed: ParsedFile, config: EngineConfig): FileResult {
    const index = this.project.getIndex();
    return lintParsed(parsed, this.rules, config, index, this.analysisFor(parsed, config, index));
  }

  /**
   * The analysis of a parse under a project index. Runs on the same parse (lint, summary, lint again after the
   * index moved) share their solved flows: those are symbolic in the parameters, only the seeds differ.
   */
  private analysisFor(parsed: ParsedFile, config: EngineConfig, project: ProjectIndex): FileAnalysis {
    const previous = this.analyses.get(parsed);
    const analysis = previous && previous.config === config ? previous.withProject(project) : new FileAnalysis(parsed, project, config, this.predecessors.get(parsed));
    this.analyses.set(parsed, analysis);
    this.predecessors.delete(parsed);
    return analysis;
  }

  /** Parses and lints a text once, outside the open-document cache (fix-all, workspace lint, no-`data` clients). */
  lintText(path: string, text: string, config: EngineConfig, lang?: ParsedFile['lang']): FileResult {
    const parsed = parseFile(this.parsers, path, text, { macros: config.macros, headerLanguage: config.headerLanguage }, lang);
    try {
      return lintParsed(parsed, this.rules, config, this.project.getIndex());
    } finally {
      parsed.tree.delete?.();
    }
  }
}
