/**
 * The JSON report: a documented, versioned format (schemas/kslint-report.schema.json). Positions are 1-based;
 * columns count UTF-16 code units. Bump `JSON_SCHEMA_VERSION` on any incompatible change.
 */
import type { PathStep } from '../engine/rule';
import type { Range } from '../engine/source';
import { baselineState, displayPath, findingStatus, isFailing, ruleHelpUri, summarize } from './common';
import type { ReportWriter, RunResult } from './run';

export const JSON_SCHEMA_VERSION = '1.1.0';

export interface JsonRegion {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

export function region(range: Range): JsonRegion {
  return { startLine: range.start.line + 1, startColumn: range.start.character + 1, endLine: range.end.line + 1, endColumn: range.end.character + 1 };
}

export function jsonReport(run: RunResult): unknown {
  const used = new Set(run.findings.map((f) => f.ruleId));
  const step = (s: PathStep) => ({ file: displayPath(run, s.file), ...region(s.range), label: s.label });
  return {
    kind: 'kslint-report',
    schemaVersion: JSON_SCHEMA_VERSION,
    tool: { name: run.tool.name, version: run.tool.version },
    invocation: {
      commandLine: run.invocation.commandLine,
      arguments: [...run.invocation.arguments],
      startTime: run.invocation.startTime,
      endTime: run.invocation.endTime,
      success: run.invocation.success,
      ...(run.invocation.exitCode !== undefined ? { exitCode: run.invocation.exitCode } : {}),
      workingDirectory: run.invocation.workingDirectory,
    },
    baseDir: run.baseDir,
    failOn: run.failOn,
    summary: summarize(run),
    ...(run.stats ? { stats: run.stats } : {}),
    ...(run.baseline ? { baseline: { source: run.baseline.source, fixed: run.baseline.fixed } } : {}),
    ...(run.changedSince ? { changedSince: run.changedSince } : {}),
    rules: run.rules
      .filter((r) => used.has(r.meta.id))
      .map(({ meta }) => ({
        id: meta.id,
        name: meta.name,
        summary: meta.summary,
        severity: meta.severity,
        category: meta.category,
        cwe: [...meta.cwe],
        precision: meta.precision,
        securitySeverity: meta.securitySeverity,
        ...(ruleHelpUri(run, meta) ? { helpUri: ruleHelpUri(run, meta) } : {}),
      })),
    findings: run.findings.map((f) => {
      const state = baselineState(run, f);
      return {
        ruleId: f.ruleId,
        ruleName: f.ruleName,
        severity: f.severity,
        message: f.message,
        file: displayPath(run, f.file),
        location: region(f.range),
        ...(f.functionName ? { functionName: f.functionName } : {}),
        fingerprint: f.fingerprint,
        status: findingStatus(run, f),
        failing: isFailing(run, f),
        ...(state ? { baselineState: state } : {}),
        ...(f.suppression
          ? {
              suppression: {
                kind: f.suppression.kind,
                justification: f.suppression.justification,
                ...(f.suppression.location ? { location: { file: displayPath(run, f.suppression.location.file), ...region(f.suppression.location.range) } } : {}),
              },
            }
          : {}),
        path: f.path.map(step),
        // Only where there are some: other findings keep the 1.0 shape.
        ...(f.related.length ? { related: f.related.map(step) } : {}),
        fixes: f.fixes.map((x) => ({ title: x.title, safety: x.safety, edits: x.edits.map((e) => ({ ...region(e.range), newText: e.newText })) })),
      };
    }),
    skipped: run.skipped.map((s) => ({ file: displayPath(run, s.file), reason: s.reason })),
    toolErrors: run.toolErrors.map((e) => ({ file: displayPath(run, e.file), ...(e.ruleId ? { ruleId: e.ruleId } : {}), message: e.message })),
  };
}

export const writeJson: ReportWriter = (run) => JSON.stringify(jsonReport(run), null, 2) + '\n';
