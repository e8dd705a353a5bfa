/**
 * Mutation fuzzing of the driver fixtures and a few generated drivers: no exception escapes lint, no case runs
 * past the budget, every finding lies inside the file, and the same input gives the same findings.
 * KSLINT_FUZZ_SEED and KSLINT_FUZZ_RUNS reproduce or extend a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { generateCorpus } from '../../bench/corpus/generate';
import { caseFor, FuzzJob, FuzzMessage } from './fuzz-worker';

const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures');
/** A single case (a few KB of C) linted twice takes milliseconds; this much means a hang. */
const CASE_BUDGET_MS = 10_000;

function inputs(): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const dir of readdirSync(fixtures).sort()) {
    if (!statSync(join(fixtures, dir)).isDirectory()) continue;
    for (const name of readdirSync(join(fixtures, dir)).sort()) {
      if (/\.(c|cpp|cc|h|hpp)$/.test(name)) out.push({ path: `test/fixtures/${dir}/${name}`, text: readFileSync(join(fixtures, dir, name), 'utf8') });
    }
  }
  // Generated drivers add WDM, KMDF, minifilter and C++ shapes while the fixture set is still small.
  for (const f of generateCorpus({ seed: 5, files: 12 })) if (f.text.length < 40_000) out.push(f);
  return out;
}

test('fuzzed driver sources never crash, hang or produce findings outside the file', async () => {
  const job: FuzzJob = {
    seed: Number(process.env.KSLINT_FUZZ_SEED ?? 20240719),
    runs: Number(process.env.KSLINT_FUZZ_RUNS ?? 3000),
    deadlineMs: 60_000,
    inputs: inputs(),
  };
  const worker = new Worker(join(__dirname, 'fuzz-worker.js'), { workerData: job });
  let current = -1;
  const outcome = await new Promise<FuzzMessage | { kind: 'hang'; index: number } | { kind: 'crash'; message: string }>((resolve) => {
    let timer = setTimeout(() => resolve({ kind: 'hang', index: current }), CASE_BUDGET_MS);
    worker.on('message', (m: FuzzMessage) => {
      if (m.kind === 'start') {
        current = m.index;
        clearTimeout(timer);
        timer = setTimeout(() => resolve({ kind: 'hang', index: current }), CASE_BUDGET_MS);
        return;
      }
      clearTimeout(timer);
      resolve(m);
    });
    worker.on('error', (err) => {
      clearTimeout(timer);
      resolve({ kind: 'crash', message: err.stack ?? String(err) });
    });
  });
  await worker.terminate();
  const reproduce = (index: number): string => {
    const c = caseFor(job, index);
    return `seed ${job.seed}, case ${index} (${c.backend}, mutant of ${c.path}):\n${JSON.stringify(c.text.slice(0, 3000))}`;
  };
  if (outcome.kind === 'hang') assert.fail(`no result within ${CASE_BUDGET_MS} ms: ${reproduce(outcome.index)}`);
  if (outcome.kind === 'crash') assert.fail(`worker crashed during ${reproduce(current)}\n${outcome.message}`);
  if (outcome.kind === 'fail') assert.fail(`${outcome.message}\n${reproduce(outcome.index)}`);
  assert.equal(outcome.kind, 'done');
  if (outcome.kind === 'done') {
    assert.ok(outcome.runs >= Math.min(job.runs, 200), `only ${outcome.runs} cases ran`);
    assert.ok(outcome.findings > 0, 'mutants of firing fixtures should still produce some findings');
  }
});
