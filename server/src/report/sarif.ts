/**
 * SARIF 2.1.0 for code-scanning services. Locations are relative to `%SRCROOT%` (the base folder), regions
 * 1-based with UTF-16 columns; suppressed and baselined results stay in the log, marked, so that services do
 * not read them as fixed and reopen them later.
 */
import type { Finding, Rule } from '../engine/rule';
import type { Range } from '../engine/source';
import { region } from './json';
import { baseDirUri, baselineState, folderUri, excerpt, fileUri, flaggedText, ruleHelpUri, ruleIndex } from './common';
import type { BaselineEntry, ReportContext, ReportWriter, RunResult } from './run';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const FINGERPRINT_KEY = 'kslint/v1';
const SRCROOT = '%SRCROOT%';

type Json = Record<string, unknown>;

/** SARIF's conventional rule `name` is PascalCase: `banned-string-apis` -> `BannedStringApis`. */
export function pascalName(slug: string): string {
  return slug.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

function ruleDescriptor(run: RunResult, rule: Pick<Rule, 'meta' | 'docs'>): Json {
  const { meta, docs } = rule;
  const text = [meta.summary, `Why it matters: ${docs.why}`, `Safer in-kernel fix: ${docs.saferFix}`, docs.userModeAlternative ? `User-mode alternative: ${docs.userModeAlternative}` : '']
    .filter(Boolean)
    .join('\n\n');
  const helpUri = ruleHelpUri(run, meta);
  return {
    id: meta.id,
    name: pascalName(meta.name),
    shortDescription: { text: meta.summary },
    fullDescription: { text: docs.why || meta.summary },
    help: { text, markdown: docs.markdown },
    ...(helpUri ? { helpUri } : {}),
    defaultConfiguration: { level: meta.severity, enabled: meta.enabledByDefault },
    properties: {
      tags: ['security', 'kernel', ...meta.cwe.map((n) => `external/cwe/cwe-${n}`)],
      precision: meta.precision,
      'security-severity': meta.securitySeverity.toFixed(1),
      category: meta.category,
      anchors: [...meta.anchors],
      ...(meta.subKinds.length ? { subKinds: meta.subKinds.map((k) => ({ id: k.id, aliases: [...k.aliases] })) } : {}),
    },
  };
}

class Artifacts {
  readonly list: Json[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly run: RunResult) {}

  /** `view` resolves the path: baseline entries are relative to the base folder, findings to the working directory. */
  location(file: string, view: RunResult = this.run): Json {
    const { uri, relative } = fileUri(view, file);
    let i = this.index.get(uri);
    if (i === undefined) {
      i = this.list.length;
      this.index.set(uri, i);
      const lang = /\.c$/i.test(file) ? 'c' : /\.h$/i.test(file) ? undefined : 'cplusplus';
      this.list.push({ location: { uri, ...(relative ? { uriBaseId: SRCROOT } : {}) }, roles: ['analysisTarget'], ...(lang ? { sourceLanguage: lang } : {}) });
    }
    return { uri, ...(relative ? { uriBaseId: SRCROOT } : {}), index: i };
  }
}

function sarifRegion(range: Range): Json {
  const r = region(range);
  return { startLine: r.startLine, startColumn: r.startColumn, endLine: r.endLine, endColumn: r.endColumn };
}

function physicalLocation(art: Artifacts, ctx: ReportContext, f: Finding): Json {
  const reg: Json = sarifRegion(f.range);
  const snippet = flaggedText(ctx, f);
  if (snippet !== undefined) reg.snippet = { text: snippet };
  const lines = excerpt(ctx, f, 2, 1000);
  const out: Json = { artifactLocation: art.location(f.file), region: reg };
  // A context region must strictly contain the region: only add one when it has lines beyond the finding's.
  if (lines.length && (lines[0].line <= f.range.start.line || lines[lines.length - 1].line > f.range.end.line + 1)) {
    out.contextRegion = { startLine: lines[0].line, endLine: lines[lines.length - 1].line, snippet: { text: lines.map((l) => l.text).join('\n') + '\n' } };
  }
  return out;
}

function result(run: RunResult, ctx: ReportContext, art: Artifacts, rules: Map<string, number>, f: Finding): Json {
  const out: Json = {
    ruleId: f.ruleId,
    ...(rules.has(f.ruleId) ? { ruleIndex: rules.get(f.ruleId) } : {}),
    level: f.severity,
    message: { text: f.message },
    locations: [
      {
        physicalLocation: physicalLocation(art, ctx, f),
        ...(f.functionName ? { logicalLocations: [{ fullyQualifiedName: f.functionName, kind: 'function' }] } : {}),
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
    // The check within the rule, for rules whose checks Code Analysis numbers separately (KS1201's C28751, C30030).
    ...(f.subKind ? { properties: { subKind: f.subKind } } : {}),
  };
  if (f.path.length) {
    out.codeFlows = [
      {
        message: { text: `Path from untrusted source to ${f.ruleName}.` },
        threadFlows: [
          {
            locations: f.path.map((step, i) => ({
              location: { physicalLocation: { artifactLocation: art.location(step.file), region: sarifRegion(step.range) }, message: { text: step.label } },
              executionOrder: i + 1,
              importance: i === 0 || i === f.path.length - 1 ? 'essential' : 'important',
            })),
          },
        ],
      },
    ];
  }
  if (f.related.length) {
    out.relatedLocations = f.related.map((step, i) => ({ id: i + 1, physicalLocation: { artifactLocation: art.location(step.file), region: sarifRegion(step.range) }, message: { text: step.label } }));
  }
  if (f.fixes.length) {
    out.fixes = f.fixes.map((fix) => ({
      description: { text: fix.safety === 'safe' ? fix.title : `${fix.title} (review required: changes behaviour)` },
      artifactChanges: [
        {
          artifactLocation: art.location(f.file),
          replacements: fix.edits.map((e) => ({ deletedRegion: sarifRegion(e.range), insertedContent: { text: e.newText } })),
        },
      ],
    }));
  }
  const suppressions: Json[] = [];
  if (f.suppression) {
    const loc = f.suppression.location;
    suppressions.push({
      kind: f.suppression.kind,
      status: 'accepted',
      justification: f.suppression.justification,
      ...(loc ? { location: { physicalLocation: { artifactLocation: art.location(loc.file), region: sarifRegion(loc.range) } } } : {}),
    });
  }
  const state = baselineState(run, f);
  if (state === 'unchanged' && f.suppression?.kind !== 'external') {
    suppressions.push({ kind: 'external', status: 'accepted', justification: `Accepted in baseline ${run.baseline?.source ?? ''}`.trim() });
  }
  if (suppressions.length) out.suppressions = suppressions;
  if (state) out.baselineState = state;
  return out;
}

/** A baseline entry that no longer occurs: `baselineState: absent`, kind `pass` so that nothing counts it. */
function fixedResult(art: Artifacts, rules: Map<string, number>, e: BaselineEntry, fromBase: RunResult): Json {
  return {
    ruleId: e.ruleId,
    ...(rules.has(e.ruleId) ? { ruleIndex: rules.get(e.ruleId) } : {}),
    kind: 'pass',
    level: 'none',
    message: { text: `Fixed since the baseline: ${e.message}` },
    locations: [{ physicalLocation: { artifactLocation: art.location(e.file, fromBase), region: { startLine: Math.max(1, e.line) } } }],
    partialFingerprints: { [FINGERPRINT_KEY]: e.fingerprint },
    baselineState: 'absent',
  };
}

export function sarifLog(run: RunResult, ctx: ReportContext): Json {
  const art = new Artifacts(run);
  const rules = ruleIndex(run);
  const results = run.findings.map((f) => result(run, ctx, art, rules, f));
  // Baseline entries carry base-relative paths; resolve them against the base folder, not the working directory.
  const fromBase = { ...run, invocation: { ...run.invocation, workingDirectory: run.baseDir } };
  for (const e of run.baseline?.fixed ?? []) results.push(fixedResult(art, rules, e, fromBase));
  const inv = run.invocation;
  const notifications: Json[] = [
    ...run.skipped.map((s) => ({ level: 'warning', message: { text: `Not analysed: ${s.reason}.`.replace(/\.\.$/, '.') }, locations: [{ physicalLocation: { artifactLocation: art.location(s.file) } }] })),
    ...run.toolErrors.map((e) => ({
      level: 'error',
      message: { text: `${e.ruleId ? `Rule ${e.ruleId} failed` : 'Analysis failed'}: ${e.message}`.replace(/([^.])$/, '$1.') },
      locations: [{ physicalLocation: { artifactLocation: art.location(e.file) } }],
      ...(e.ruleId && rules.has(e.ruleId) ? { associatedRule: { id: e.ruleId, index: rules.get(e.ruleId) } } : {}),
    })),
  ];
  const driver: Json = {
    name: run.tool.name,
    fullName: 'Kernel Safety Lint',
    version: run.tool.version,
    semanticVersion: run.tool.version,
    ...(run.tool.informationUri ? { informationUri: run.tool.informationUri } : {}),
    rules: run.rules.map((r) => ruleDescriptor(run, r)),
  };
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        invocations: [
          {
            commandLine: inv.commandLine,
            arguments: [...inv.arguments],
            startTimeUtc: inv.startTime,
            endTimeUtc: inv.endTime,
            executionSuccessful: inv.success,
            ...(inv.exitCode !== undefined ? { exitCode: inv.exitCode } : {}),
            workingDirectory: { uri: folderUri(inv.workingDirectory) },
            ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
          },
        ],
        originalUriBaseIds: { [SRCROOT]: { uri: baseDirUri(run) } },
        artifacts: art.list,
        results,
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}

export const writeSarif: ReportWriter = (run, ctx) => JSON.stringify(sarifLog(run, ctx), null, 2) + '\n';
