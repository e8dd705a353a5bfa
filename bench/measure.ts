/** Runs a command with a fixed argument vector and measures its wall time and peak RSS. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface Measured {
  readonly wallMs: number;
  /** Peak resident set size of the process and its waited-for children, in KB; undefined when unknown. */
  readonly maxRssKb: number | undefined;
  /** User + system CPU time of the process and its children, in ms; undefined when unknown. On a shared machine
   * this moves less than wall time. */
  readonly cpuMs: number | undefined;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const GNU_TIME = '/usr/bin/time';

export function haveGnuTime(): boolean {
  if (!existsSync(GNU_TIME)) return false;
  const r = spawnSync(GNU_TIME, ['-f', '%M %U %S', 'true'], { encoding: 'utf8' });
  return r.status === 0 && /^\d+ [\d.]+ [\d.]+\s*$/.test(r.stderr);
}

/**
 * Never goes through a shell: `argv` reaches the program as it is. Output is kept in memory (capped), so the
 * command should be quiet or its output small.
 */
export function measure(program: string, argv: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<Measured> {
  const useTime = haveGnuTime();
  const dir = mkdtempSync(join(tmpdir(), 'kslint-measure-'));
  const timeFile = join(dir, 'time');
  const [cmd, args] = useTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, program, ...argv]] : [program, [...argv]];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    const cap = 64 * 1024 * 1024;
    child.stdout.on('data', (b: Buffer) => {
      if ((outBytes += b.length) < cap) out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if ((outBytes += b.length) < cap) err.push(b);
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.once('error', (e) => {
      rmSync(dir, { recursive: true, force: true });
      reject(e);
    });
    child.once('close', (status) => {
      const wallMs = performance.now() - t0;
      if (timer) clearTimeout(timer);
      let maxRssKb: number | undefined;
      let cpuMs: number | undefined;
      if (useTime && existsSync(timeFile)) {
        // The last line; earlier ones may say that the command exited with a non-zero status.
        const m = /(\d+) ([\d.]+) ([\d.]+)\s*$/.exec(readFileSync(timeFile, 'utf8'));
        if (m) {
          maxRssKb = Number(m[1]);
          cpuMs = (Number(m[2]) + Number(m[3])) * 1000;
        }
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ wallMs, maxRssKb, cpuMs, status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}
