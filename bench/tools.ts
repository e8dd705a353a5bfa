/**
 * The tools kslint is compared with: flawfinder (a lexical scanner) and cppcheck. Installing them from Debian's
 * packages is the benchmark's job; both run with fixed argument vectors, never through a shell.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measure, Measured } from './measure';

export type ToolName = 'flawfinder' | 'cppcheck';

export function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return join(dir, program);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** Installs missing tools with apt-get when that is possible (root on Debian); says what it did. */
export function ensureTools(log: (line: string) => void): void {
  const missing = ['flawfinder', 'cppcheck', 'time'].filter((p) => !which(p));
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !which('apt-get')) {
    log(`not installed: ${missing.join(', ')} (install them with apt-get to compare)`);
    return;
  }
  log(`installing ${missing.join(', ')} from Debian's packages...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'ignore', env });
  if (r.status !== 0) log(`apt-get install failed (exit ${r.status}); comparing with what is installed`);
}

export function toolVersion(tool: ToolName): string | undefined {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : undefined;
}

export interface ToolRun extends Measured {
  readonly findings: number;
  /** Files left out because the tool cannot read them (flawfinder aborts the whole run on one non-UTF-8 file). */
  readonly excluded: number;
}

function isUtf8(path: string): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path));
    return true;
  } catch {
    return false;
  }
}

/**
 * flawfinder has no parallel mode, so `jobs` only applies to cppcheck. Both get the same file list as kslint
 * (C/C++ sources and headers).
 */
export async function runTool(tool: ToolName, files: readonly string[], jobs: number, scratch: string): Promise<ToolRun> {
  const list = join(scratch, `${tool}-files.txt`);
  writeFileSync(list, files.join('\n') + '\n');
  let m: Measured;
  if (tool === 'flawfinder') {
    const readable = files.filter(isUtf8);
    // flawfinder reads file names from its arguments only; a list this long still fits the argument limit.
    m = await measure('flawfinder', ['--quiet', '--dataonly', '--singleline', '--minlevel=1', '--', ...readable]);
    const findings = m.stdout.split('\n').filter((l) => /:\d+:\d*:?\s+\[\d\]/.test(l)).length;
    return { ...m, findings, excluded: files.length - readable.length };
  }
  m = await measure('cppcheck', ['-j', String(jobs), '--quiet', '--enable=warning', '--template={file}:{line}:{severity}:{id}', `--file-list=${list}`]);
  const findings = m.stderr.split('\n').filter((l) => /:\d+:(error|warning|style|performance|portability):/.test(l)).length;
  return { ...m, findings, excluded: 0 };
}
