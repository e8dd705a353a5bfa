/**
 * `kslint [paths...]`: parse options, load the project config, find the files, run the lint pipeline, write the
 * report and return the exit code (0 clean, 1 findings at or above --fail-on, 2 usage/config/tool error,
 * 130/143 interrupted). bin/kslint.js calls `run`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RULES } from '../../../rules/index.generated';
import type { SeverityOrOff } from '../engine/rule';
import { assembleRun } from '../report/assemble';
import { findingStatus } from '../report/common';
import { BaselineError } from '../report/baseline';
import { ChangedLinesError } from '../report/changed-lines';
import { findingsExitCode, focusRun, FocusOptions, parseReportRequests, ReportOptionError, ReportRequest, writeReports } from '../report/emit';
import { FORMATS } from '../report/index';
import type { ReportContext, RunResult } from '../report/run';
import { ConfigError, ProjectConfig, resolveProjectConfig, withRuleSeverities } from '../project/config';
import { discoverFiles, DiscoveryError, Discovery, relativeInside } from '../project/discover';
import { readSourceFile } from '../project/read-source';
import { ResultCache } from './cache';
import { diffSafeFixes, fixPasses, FixTally, reportFixes } from './fix';
import { explainRule, listRules, resolveRuleName } from './rules-info';
import { CliOptions, InfoShown, parseArgs, UsageError } from './options';
import { Pipeline, PipelineFailed, PipelineInterrupted } from './pipeline';
import type { PipelineResult } from './pipeline-result';
import { Progress } from './progress';
import { formatStats, StatsInput, statsJson } from './stats';
import { summaryLine, writeText } from './text';
import { toolFingerprint, toolVersion } from './tool-info';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env });

export const EXIT = { clean: 0, findings: 1, error: 2, sigint: 130, sigterm: 143 } as const;

function colorWanted(stream: CliIo['stdout'], opts: { color: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (!opts.color || 'NO_COLOR' in env) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY;
}

/** Reads sources for report excerpts with the same decoding as the linter (BOMs, UTF-16). */
function sourceReader(run: RunResult, maxBytes: number): ReportContext {
  const cache = new Map<string, string | undefined>();
  return {
    readSource(file) {
      if (!cache.has(file)) {
        const r = readSourceFile(resolve(run.invocation.workingDirectory, file), { maxBytes });
        cache.set(file, r.ok ? r.text : undefined);
      }
      return cache.get(file);
    },
  };
}

function ruleOverrides(opts: CliOptions): Map<string, SeverityOrOff> {
  const out = new Map<string, SeverityOrOff>();
  for (const r of opts.rule) {
    const id = resolveRuleName(r.name);
    if (!id) throw new UsageError(`--rule ${r.name}=${r.severity}: unknown rule "${r.name}" (kslint --list-rules shows the rules)`);
    out.set(id, r.severity);
  }
  return out;
}

type SignalName = 'SIGINT' | 'SIGTERM';

interface SignalState {
  received?: SignalName;
  /** Stops the work under way (set once there is some). */
  stop?: () => void;
}

const signalExit = (sig: SignalName | undefined): number => (sig === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint);

/**
 * Runs the command. SIGINT/SIGTERM stop the workers and end the run with 130/143 without writing a report (a
 * report is only ever renamed into place whole); a second signal exits at once.
 */
export async function run(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const signals: SignalState = {};
  const onSignal = (sig: SignalName) => () => {
    if (signals.received) process.exit(signalExit(sig));
    signals.received = sig;
    signals.stop?.();
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT);
  process.on('SIGTERM', handlers.SIGTERM);
  // Should the run ever stop with nothing left to wait for (a promise that never settles), the process must not
  // end with status 0 as if the tree were clean.
  const unfinished = (): void => {
    io.stderr.write('kslint: internal error: the run stopped before it finished; no report was written\n');
    process.exitCode = EXIT.error;
  };
  process.once('exit', unfinished);
  try {
    const code = await runCommand(argv, io, signals);
    if (signals.received && code !== signalExit(signals.received)) {
      io.stderr.write(`kslint: interrupted (${signals.received}) after the run had finished\n`);
      return signalExit(signals.received);
    }
    return code;
  } finally {
    process.off('SIGINT', handlers.SIGINT);
    process.off('SIGTERM', handlers.SIGTERM);
    process.off('exit', unfinished);
  }
}

async function runCommand(argv: readonly string[], io: CliIo, signals: SignalState): Promise<number> {
  const started = new Date();
  const t0 = performance.now();
  const err = (s: string): void => void io.stderr.write(s);
  const formats = ['text', ...Object.keys(FORMATS)];
  let opts: CliOptions;
  try {
    opts = parseArgs(argv, { version: toolVersion(), formats, writeOut: (s) => io.stdout.write(s), writeErr: err });
  } catch (e) {
    if (e instanceof InfoShown) return EXIT.clean;
    if (e instanceof UsageError) {
      err(`kslint: ${e.message}\nTry 'kslint --help'.\n`);
      return EXIT.error;
    }
    throw e;
  }
  const outColor = colorWanted(io.stdout, opts, io.env);
  let requests: ReportRequest[];
  try {
    requests = parseReportRequests(opts.format, opts.output).map((r) => ({ ...r, output: r.output && resolve(io.cwd, r.output) }));
    if (opts.diff) {
      // Standard output carries the diff: a report asked for there has nowhere to go, the default one is dropped.
      if (opts.format.length && requests.some((r) => !r.output)) throw new UsageError('--diff prints the diff on standard output: give each report a file with -o');
      requests = requests.filter((r) => r.output);
    }
    if (opts.baseline !== undefined && !existsSync(resolve(io.cwd, opts.baseline))) throw new UsageError(`--baseline ${opts.baseline}: file not found`);
  } catch (e) {
    if (e instanceof ReportOptionError || e instanceof UsageError) {
      err(`kslint: ${e.message}\n`);
      return EXIT.error;
    }
    throw e;
  }

  let config: ProjectConfig;
  try {
    if (opts.explain !== undefined) {
      const text = explainRule(opts.explain);
      if (!text) throw new UsageError(`--explain: unknown rule "${opts.explain}" (kslint --list-rules shows the rules)`);
      io.stdout.write(text);
      return EXIT.clean;
    }
    config = withRuleSeverities(resolveProjectConfig(opts.paths, io.cwd, RULES.map((r) => r.meta), opts.config), ruleOverrides(opts));
    if (opts.listRules) {
      io.stdout.write(listRules(config.engine, outColor));
      return EXIT.clean;
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError) {
      err(`kslint: ${e.message}\n`);
      return EXIT.error;
    }
    throw e;
  }

  let discovery: Discovery;
  try {
    discovery = discoverFiles(opts.paths, { cwd: io.cwd, config });
  } catch (e) {
    if (e instanceof DiscoveryError) {
      err(`kslint: ${e.message}\n`);
      return EXIT.error;
    }
    throw e;
  }
  const tDiscovered = performance.now();

  const focus: FocusOptions = { baseline: opts.baseline && resolve(io.cwd, opts.baseline), writeBaseline: opts.writeBaseline && resolve(io.cwd, opts.writeBaseline), changedSince: opts.changedSince };
  const jobs = Math.max(1, Math.min(opts.jobs ?? availableParallelism(), Math.max(1, discovery.files.length)));
  const cacheDir = opts.cache === undefined ? undefined : resolve(opts.cache === true ? resolve(config.root, '.kslint-cache') : resolve(io.cwd, opts.cache));
  // `--fix` lints again after writing fixes: without a cache of the user's, a temporary one keeps that to the
  // files that changed (and those that depend on them).
  const fixCacheDir = opts.fix && !cacheDir ? temporaryFolder('kslint-fix-') : undefined;
  const storeDir = cacheDir ?? fixCacheDir;
  const store = storeDir ? new ResultCache(storeDir) : undefined;
  const progress = new Progress(io.stderr, !opts.quiet && !!io.stderr.isTTY && !('CI' in io.env && io.env.CI));
  const pipeline = new Pipeline({
    engine: config.engine,
    limits: config.limits,
    jobs,
    cache: store && { store, toolKey: toolFingerprint() },
    onProgress: (phase, done, total) => progress.update(phase === 1 ? 'linting' : 'cross-file pass', done, total),
  });

  signals.stop = () => void pipeline.destroy();
  if (signals.received) return signalExit(signals.received);
  try {
    return await lintAndReport();
  } finally {
    if (fixCacheDir) rmSync(fixCacheDir, { recursive: true, force: true });
  }

  async function lintAndReport(): Promise<number> {
    let result: PipelineResult;
    let fixes: FixTally | undefined;
    try {
      const files = discovery.files.map((file) => ({ abs: resolve(io.cwd, file), file }));
      result = await pipeline.run(files);
      if (opts.diff) {
        const shown = diffSafeFixes({ findings: await reported(result), contentHashes: result.contentHashes, cwd: io.cwd, maxBytes: config.limits.maxFileBytes });
        io.stdout.write(shown.patch);
        fixes = shown.tally;
      }
      if (opts.fix) {
        ({ result, tally: fixes } = await fixPasses(result, {
          reported,
          // A signal stops the passes: files already fixed stay fixed (each was replaced whole), no report is written.
          lintAgain: () => (signals.received ? Promise.reject(new PipelineInterrupted('interrupted')) : pipeline.run(files)),
          cwd: io.cwd,
          maxBytes: config.limits.maxFileBytes,
        }));
      }
    } catch (e) {
      progress.clear();
      if (e instanceof PipelineFailed) {
        err(`kslint: ${e.message}; no report was written\n`);
        return EXIT.error;
      }
      if (e instanceof BaselineError || e instanceof ChangedLinesError) {
        err(`kslint: ${e.message}\n`);
        return EXIT.error;
      }
      if (e instanceof PipelineInterrupted || signals.received) {
        err(`kslint: interrupted (${signals.received ?? 'SIGINT'}); no report was written\n`);
        return signalExit(signals.received);
      }
      err(`kslint: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      return EXIT.error;
    } finally {
      await pipeline.destroy();
    }
    progress.clear();
    if (signals.received) {
      err(`kslint: interrupted (${signals.received}); no report was written\n`);
      return signalExit(signals.received);
    }
    const tLinted = performance.now();
    const code = await report(result, tLinted);
    if (!fixes) return code;
    const failed = reportFixes(fixes, { quiet: opts.quiet, write: err, shown: opts.diff });
    return failed && code !== EXIT.error ? EXIT.error : code;
  }

  /** The findings a run reports, which are those `--fix` and `--diff` fix: not suppressed or baselined, nor outside --changed-since. */
  async function reported(result: PipelineResult) {
    const run = await focusRun(assembleRun({ ...runBase(result), invocation: invocation(0) }), { ...focus, writeBaseline: undefined });
    return run.findings.filter((f) => findingStatus(run, f) === 'active');
  }

  function runBase(result: PipelineResult) {
    return {
      tool: { name: 'kslint', version: toolVersion() },
      rules: RULES,
      files: result.results,
      skipped: [...discovery.skipped, ...result.skipped].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
      baseDir: config.root,
      failOn: opts.failOn,
    };
  }

  function invocation(exitCode: number) {
    return {
      commandLine: ['kslint', ...argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' '),
      arguments: [...argv],
      startTime: started.toISOString(),
      endTime: new Date().toISOString(),
      success: true,
      exitCode,
      workingDirectory: io.cwd,
    };
  }

  async function report(result: PipelineResult, tLinted: number): Promise<number> {
    let run: RunResult;
    try {
      // The exit code is known only once baseline and changed lines are applied; the report records it.
      const draft = await focusRun(assembleRun({ ...runBase(result), invocation: invocation(0) }), focus);
      run = { ...draft, invocation: invocation(findingsExitCode(draft)) };
    } catch (e) {
      if (e instanceof BaselineError || e instanceof ChangedLinesError) {
        err(`kslint: ${e.message}\n`);
        return EXIT.error;
      }
      throw e;
    }
    const exitCode = findingsExitCode(run);
    const textTo = requests.find((r) => r.format === 'text');
    const ctx = sourceReader(run, config.limits.maxFileBytes);
    try {
      writeReports(run, requests, ctx, {
        stdout: (text) => void io.stdout.write(text),
        text: (r) => writeText(r, { color: textTo?.output ? false : outColor, grouped: !textTo?.output && !!io.stdout.isTTY, noSummary: opts.quiet }),
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      err(`kslint: cannot write the report${code ? ` (${code})` : ''}: ${(e as Error).message}\n`);
      return EXIT.error;
    }
    const tWritten = performance.now();
    const files = requests.filter((r) => r.output).map((r) => displayOutput(io.cwd, r.output!));
    if (!opts.quiet && !(textTo && !textTo.output)) err(`${summaryLine(run)}${files.length ? ` -> ${files.join(', ')}` : ''}\n`);
    if (!opts.quiet && result.replaced.length) err(`kslint: note: ${result.replaced.length} file(s) are not valid UTF-8 and were read with replacement characters (e.g. ${result.replaced[0]})\n`);
    if (opts.stats) {
      const input: StatsInput = {
        run,
        discovery,
        pipeline: result,
        jobs,
        cache: cacheDir ? store : undefined,
        times: { discovery: tDiscovered - t0, lint: tLinted - tDiscovered, output: tWritten - tLinted, total: tWritten - t0 },
      };
      err(opts.stats === 'json' ? `${JSON.stringify(statsJson(input))}\n` : formatStats(input));
    }
    return exitCode;
  }
}

/** A new folder under the system's temporary folder, or undefined where none can be made (the work goes on without). */
function temporaryFolder(prefix: string): string | undefined {
  try {
    return mkdtempSync(join(tmpdir(), prefix));
  } catch {
    return undefined;
  }
}

function displayOutput(cwd: string, out: string): string {
  return relativeInside(cwd, resolve(cwd, out)) ?? resolve(cwd, out);
}
