/** Builds a `RunResult` from the engine's per-file results, as the CLI and the editor's export command do. */
import type { FileResult } from '../engine/lint';
import { compareFindings } from '../engine/lint';
import type { Finding } from '../engine/rule';
import type { FailOn, Invocation, RuleInfo, RunResult, SkippedFile, ToolError } from './run';

export interface AssembleInput {
  readonly tool: RunResult['tool'];
  readonly rules: readonly RuleInfo[];
  readonly files: readonly FileResult[];
  readonly skipped?: readonly SkippedFile[];
  readonly invocation: Invocation;
  readonly baseDir: string;
  readonly failOn: FailOn;
}

export function assembleRun(input: AssembleInput): RunResult {
  const findings: Finding[] = [];
  const toolErrors: ToolError[] = [];
  let lines = 0;
  let functions = 0;
  let analysed = 0;
  let skippedFns = 0;
  for (const file of input.files) {
    findings.push(...file.findings);
    for (const e of file.ruleErrors) toolErrors.push({ file: file.path, ruleId: e.ruleId, message: e.message });
    lines += file.stats.lines;
    functions += file.stats.functions;
    analysed += file.stats.analysed;
    skippedFns += file.stats.skipped;
  }
  findings.sort(compareFindings);
  return {
    tool: input.tool,
    rules: input.rules,
    findings,
    skipped: input.skipped ?? [],
    toolErrors,
    invocation: input.invocation,
    baseDir: input.baseDir,
    failOn: input.failOn,
    stats: { files: input.files.length, lines, functions, functionsAnalysed: analysed, functionsSkipped: skippedFns },
  };
}
