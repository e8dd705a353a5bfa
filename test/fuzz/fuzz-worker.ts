/**
 * Runs fuzz cases in a worker thread so that the test can stop a case that hangs. Reports progress after every
 * case; on the first failure reports the case and stops.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isDeepStrictEqual } from 'node:util';
import { performance } from 'node:perf_hooks';
import { assertSane, lintWith } from '../robustness/sanity';
import { mutant } from './mutate';

export interface FuzzJob {
  readonly seed: number;
  readonly runs: number;
  readonly deadlineMs: number;
  readonly inputs: readonly { readonly path: string; readonly text: string }[];
}

export type FuzzMessage = { kind: 'start'; index: number } | { kind: 'done'; runs: number; findings: number } | { kind: 'fail'; index: number; path: string; message: string };

export function caseFor(job: FuzzJob, index: number): { path: string; text: string; backend: 'native' | 'wasm' } {
  const input = job.inputs[index % job.inputs.length];
  return { path: input.path, text: mutant(input.text, job.seed, index), backend: index % 5 === 4 ? 'wasm' : 'native' };
}

async function run(job: FuzzJob): Promise<void> {
  const port = parentPort!;
  const t0 = performance.now();
  let findings = 0;
  let index = 0;
  for (; index < job.runs && performance.now() - t0 < job.deadlineMs; index++) {
    port.postMessage({ kind: 'start', index } satisfies FuzzMessage);
    const c = caseFor(job, index);
    try {
      const first = await lintWith(c.backend, c.path, c.text);
      assertSane(first, c.text, `${c.path} mutant ${index}`);
      const again = await lintWith(c.backend, c.path, c.text);
      if (!isDeepStrictEqual(first.findings, again.findings)) throw new Error('two runs on the same input gave different findings');
      findings += first.findings.length;
    } catch (err) {
      port.postMessage({ kind: 'fail', index, path: c.path, message: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies FuzzMessage);
      return;
    }
  }
  port.postMessage({ kind: 'done', runs: index, findings } satisfies FuzzMessage);
}

if (parentPort && workerData) void run(workerData as FuzzJob);
