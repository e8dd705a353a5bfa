/**
 * The rule contract. A rule is a folder under `rules/`: `rule.md` (front matter = `RuleMeta`, body = the doc)
 * and `check.ts` (default export from `defineCheck`). `scripts/gen-rule-index.mjs` joins them into the index.
 */
import type { AstNode } from './ast';
import type { ParsedFile } from './parse/parse';
import type { Range } from './source';

export type Severity = 'error' | 'warning' | 'note';
export type SeverityOrOff = Severity | 'off';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'note'];

/** How sure a rule's findings are, as in CodeQL's `@precision`. */
export type Precision = 'very-high' | 'high' | 'medium' | 'low';

/**
 * `syntactic` rules run on every function; `dataflow` rules are skipped in functions whose syntax tree is too
 * damaged to trust (their skips are counted in the run statistics).
 */
export type AnalysisLevel = 'syntactic' | 'dataflow';

export interface RuleMeta {
  /** `KS` + four digits; never reused. */
  readonly id: string;
  /** kebab-case slug, e.g. `unchecked-content-index`. */
  readonly name: string;
  /** One sentence: what the rule finds. */
  readonly summary: string;
  readonly severity: Severity;
  readonly category: string;
  readonly cwe: readonly number[];
  readonly precision: Precision;
  readonly level: AnalysisLevel;
  /** Whether the rule offers fixes, and whether any is safe to apply unattended. */
  readonly fixable: 'safe' | 'unsafe' | 'none';
  /** Nearest Microsoft checks: CodeQL query ids and Code Analysis (C28xxx) warnings. */
  readonly anchors: readonly string[];
  /** Other ids accepted in suppressions for the whole rule: C28xxx numbers and CodeQL `@id`s. */
  readonly aliases: readonly string[];
  /**
   * The distinct checks of a rule that Microsoft's tools number separately (front matter `sub-kinds`). Each
   * finding of such a rule names its check (`Finding.subKind`), and a suppression naming one of a check's aliases
   * hides only that check's findings; the rule's id, name and `aliases` still hide all of them.
   */
  readonly subKinds: readonly SubKind[];
  /** A number 0.0-10.0 for code-scanning services (SARIF `security-severity`). */
  readonly securitySeverity: number;
  /** Whether the rule is on unless the config turns it on. */
  readonly enabledByDefault: boolean;
}

export interface SubKind {
  /** kebab-case, unique within the rule, e.g. `deprecated-allocator`; also accepted as `KS1201/deprecated-allocator`. */
  readonly id: string;
  /** Code Analysis numbers and CodeQL ids that stand for this check only. */
  readonly aliases: readonly string[];
}

/** The parsed sections of a rule doc (`rule.md`). */
export interface RuleDocs {
  /** The full Markdown body (without front matter). */
  readonly markdown: string;
  readonly why: string;
  readonly saferFix: string;
  readonly userModeAlternative?: string;
}

export interface TextEdit {
  readonly range: Range;
  readonly start: number;
  readonly end: number;
  readonly newText: string;
}

export type FixSafety = 'safe' | 'unsafe';

export interface Fix {
  readonly title: string;
  /** `safe` fixes keep behaviour for valid input and may be applied by fix-all; `unsafe` ones need a human. */
  readonly safety: FixSafety;
  readonly edits: readonly TextEdit[];
}

export interface PathStep {
  readonly file: string;
  readonly range: Range;
  /** Short label, e.g. "index read from request buffer". */
  readonly label: string;
}

export type SuppressionKind = 'inSource' | 'external';

export interface Suppression {
  readonly kind: SuppressionKind;
  readonly justification: string;
  /** Where the suppression is written (for in-source suppressions). */
  readonly location?: { readonly file: string; readonly range: Range };
}

export interface Finding {
  readonly ruleId: string;
  readonly ruleName: string;
  readonly severity: Severity;
  readonly message: string;
  /** Path as given to the linter (relative paths stay relative). */
  readonly file: string;
  readonly range: Range;
  readonly startOffset: number;
  readonly endOffset: number;
  /** Source-to-sink steps; empty for purely syntactic findings. */
  readonly path: readonly PathStep[];
  /**
   * Other places of the same mistake, reported once (SARIF `relatedLocations`, the editor's related information):
   * e.g. the other fields of one buffer that a function reads twice. Empty for most findings.
   */
  readonly related: readonly PathStep[];
  readonly fixes: readonly Fix[];
  /** The enclosing function, when there is one. */
  readonly functionName: string | undefined;
  /** Which of the rule's `subKinds` found it; undefined for rules that declare none. */
  readonly subKind: string | undefined;
  /** Stable across unrelated edits: rule, function, and the normalized text of the flagged code. */
  readonly fingerprint: string;
  suppression?: Suppression;
}

/** A place a check names beside the finding: a node, offsets, or a range in another file. */
export interface StepSpec {
  readonly node?: AstNode;
  readonly start?: number;
  readonly end?: number;
  readonly file?: string;
  readonly range?: Range;
  readonly label: string;
}

/** What a check hands to `ctx.report`. */
export interface ReportSpec {
  /** The node to underline (or `start`/`end` offsets). */
  readonly node?: AstNode;
  readonly start?: number;
  readonly end?: number;
  readonly message: string;
  readonly path?: readonly StepSpec[];
  /** Other places of the same mistake (see `Finding.related`). */
  readonly related?: readonly StepSpec[];
  readonly fixes?: readonly { readonly title: string; readonly safety: FixSafety; readonly edits: readonly { readonly start: number; readonly end: number; readonly newText: string }[] }[];
  /** Overrides the configured severity downwards (never upwards), e.g. for a less certain variant. */
  readonly severity?: Severity;
  /** One of the rule's declared `subKinds` (required when it declares any). */
  readonly subKind?: string;
}

/** Everything a check may look at. Kept free of LSP, file system and console. */
export interface RuleContext {
  readonly file: ParsedFile;
  readonly options: Readonly<Record<string, unknown>>;
  /** Analysis services (function model, data flow, project index). */
  readonly analysis: import('./analysis').FileAnalysis;
  text(node: AstNode): string;
  report(spec: ReportSpec): void;
}

export interface RuleCheck {
  check(ctx: RuleContext): void;
}

export interface Rule {
  readonly meta: RuleMeta;
  readonly docs: RuleDocs;
  readonly check: RuleCheck['check'];
}

/** Typed helper for a rule's `check.ts` default export. */
export function defineCheck(check: RuleCheck): RuleCheck {
  return check;
}
