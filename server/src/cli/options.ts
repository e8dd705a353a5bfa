/**
 * Every command-line option of `kslint`, in one place (commander). Add new options here; `main.ts` reads the
 * parsed `CliOptions`. Usage errors become `UsageError` (exit code 2), never a process exit from inside commander.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { SeverityOrOff } from '../engine/rule';
import type { FailOn } from '../report/run';

export interface CliOptions {
  readonly paths: string[];
  /** `--format` values as given (`sarif`, or `sarif=out.sarif,html=out.html`); paired with `output` by report/emit. */
  readonly format: string[];
  readonly output: string[];
  readonly baseline?: string;
  readonly writeBaseline?: string;
  readonly changedSince?: string;
  readonly config?: string;
  /** `--rule` overrides as given (`KS1001=off`), validated against the rule index later. */
  readonly rule: { readonly name: string; readonly severity: SeverityOrOff }[];
  readonly failOn: FailOn;
  readonly jobs?: number;
  readonly listRules: boolean;
  readonly explain?: string;
  /** `--stats` (text) or `--stats=json` (one JSON object); undefined without the option. */
  readonly stats?: 'text' | 'json';
  /** `--cache` alone: true (default folder); `--cache DIR`: the folder. */
  readonly cache?: string | true;
  readonly color: boolean;
  readonly quiet: boolean;
  /** `--fix`: apply the safe fixes of the reported findings to the files. */
  readonly fix: boolean;
  /** `--diff`: print the safe fixes `--fix` would apply as a unified diff, writing nothing. */
  readonly diff: boolean;
}

export class UsageError extends Error {}

/** Thrown for `--help` and `--version`: the text was printed, the exit code is 0. */
export class InfoShown extends Error {}

const SEVERITY_VALUES = ['off', 'note', 'warning', 'error'];

function parseRule(value: string, previous: CliOptions['rule'] | undefined): CliOptions['rule'] {
  const m = /^\s*([A-Za-z0-9-]+)\s*[=:]\s*([a-z]+)\s*$/.exec(value);
  if (!m || !SEVERITY_VALUES.includes(m[2])) throw new InvalidArgumentError(`expected RULE=off|note|warning|error (e.g. KS1001=off), got "${value}"`);
  return [...(previous ?? []), { name: m[1], severity: m[2] as SeverityOrOff }];
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function parseJobs(value: string): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < 1 || Number(value) > 256) throw new InvalidArgumentError(`expected a whole number from 1 to 256, got "${value}"`);
  return Number(value);
}

export interface ProgramText {
  readonly version: string;
  readonly formats: readonly string[];
  readonly writeOut: (s: string) => void;
  readonly writeErr: (s: string) => void;
}

export function buildProgram(text: ProgramText): Command {
  const program = new Command('kslint')
    .description('Kernel Safety Lint: finds unsafe kernel-mode patterns in C/C++ driver source.')
    .argument('[paths...]', 'files, folders or glob patterns to lint (default: the current folder)')
    .option('-f, --format <name>', `report format: ${text.formats.join(', ')}; repeatable, or FORMAT=FILE,FORMAT=FILE (default: text)`, collect)
    .option('-o, --output <file>', 'write the report of the matching --format to a file (atomically) instead of standard output; repeatable', collect)
    .option('--baseline <file>', 'report findings recorded in this baseline (or previous SARIF log) as baselined: they do not fail the run')
    .option('--write-baseline <file>', "record this run's findings as the baseline")
    .option('--changed-since <ref>', 'report only findings on lines changed since this git revision (the whole project is still analysed)')
    .option('-c, --config <file>', 'use this config file instead of searching upwards for .kslintrc.* / kslint.config.json')
    .option('-r, --rule <rule=severity>', 'set a rule severity: off|note|warning|error (repeatable; id or name)', parseRule)
    .addOption(new Option('--fail-on <level>', 'exit with 1 when a finding at or above this severity is reported').choices(['error', 'warning', 'note', 'none']).default('error'))
    .option('-j, --jobs <n>', 'worker threads (default: the number of CPUs)', parseJobs)
    .option('--list-rules', 'list the rules with their effective severity and exit')
    .option('--explain <rule>', 'print the documentation of a rule (id, name or alias) and exit')
    .option('--stats [format]', 'print run statistics to standard error: files, lines, functions, findings per rule, times, memory; --stats=json prints them as one JSON object on the last line')
    .option('--cache [dir]', 'reuse results of unchanged files; the folder is given as --cache=DIR (default: .kslint-cache in the project root)')
    .option('--fix', 'apply the safe fixes of the reported findings to the files (atomically; a file changed since it was read is left alone), lint again and report what remains')
    .addOption(new Option('--diff', 'print the safe fixes --fix would apply as a unified diff on standard output (for git apply) and change no file; the report goes to -o files only').conflicts('fix'))
    .option('--no-color', 'never colour the output (colour is used on terminals only; NO_COLOR is honoured too)')
    .option('-q, --quiet', 'print only the report: no summary, notes or progress')
    .version(text.version, '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .addHelpText(
      'after',
      '\nExit codes: 0 no findings at or above --fail-on, 1 findings, 2 usage, configuration or tool error,\n130/143 interrupted (SIGINT/SIGTERM). Docs: kslint --explain KS1001; config: schemas/kslint.schema.json.',
    )
    .configureOutput({ writeOut: text.writeOut, writeErr: text.writeErr, outputError: () => undefined })
    .exitOverride()
    .allowExcessArguments(false);
  return program;
}

function statsFormat(value: string | true | undefined): CliOptions['stats'] {
  if (value === undefined) return undefined;
  if (value === true || value === '' || value === 'text') return 'text';
  if (value === 'json') return 'json';
  throw new UsageError(`option '--stats [format]' argument '${value}' is invalid. Allowed choices are text, json.`);
}

/** Parses `argv` (without the node and script entries). */
export function parseArgs(argv: readonly string[], text: ProgramText): CliOptions {
  const program = buildProgram(text);
  // `--cache` takes its folder only as `--cache=DIR`: `kslint --cache src` must lint src, not cache into it.
  // Likewise `--stats` its format.
  const args = argv.map((a) => (a === '--cache' ? '--cache=' : a === '--stats' ? '--stats=' : a));
  try {
    program.parse(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') throw new InfoShown();
      throw new UsageError(err.message.replace(/^error: /, ''));
    }
    throw err;
  }
  const o = program.opts<{
    format: string[] | undefined;
    output: string[] | undefined;
    baseline?: string;
    writeBaseline?: string;
    changedSince?: string;
    config?: string;
    rule: CliOptions['rule'] | undefined;
    failOn: FailOn;
    jobs?: number;
    listRules?: boolean;
    explain?: string;
    stats?: string | true;
    cache?: string | true;
    color: boolean;
    quiet?: boolean;
    fix?: boolean;
    diff?: boolean;
  }>();
  return {
    paths: program.args,
    format: o.format ?? [],
    output: o.output ?? [],
    baseline: o.baseline,
    writeBaseline: o.writeBaseline,
    changedSince: o.changedSince,
    config: o.config,
    rule: o.rule ?? [],
    failOn: o.failOn,
    jobs: o.jobs,
    listRules: !!o.listRules,
    explain: o.explain,
    stats: statsFormat(o.stats),
    cache: o.cache === '' || o.cache === true ? true : o.cache,
    color: o.color,
    quiet: !!o.quiet,
    fix: !!o.fix,
    diff: !!o.diff,
  };
}
