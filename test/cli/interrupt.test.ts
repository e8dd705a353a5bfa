/**
 * Interrupted runs leave no truncated report and exit with 130 (SIGINT) or 143 (SIGTERM); the same tree linted
 * with one or two workers gives byte-identical reports (times aside).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus } from '../../bench/corpus/generate';
import { makeTree, removeTree, runCli, TWO_WARNINGS } from './cli-helpers';

function bigTree(mb: number): string {
  const files: Record<string, string> = { 'copy.c': TWO_WARNINGS, 'report.json': 'previous report\n' };
  let size = 0;
  for (const f of generateCorpus({ seed: 3, bytes: mb * 1024 * 1024 })) {
    files[`gen/${f.path}`] = f.text;
    size += f.text.length;
  }
  assert.ok(size >= mb * 1024 * 1024);
  return makeTree(files);
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} during a run: exit ${code}, the previous report untouched, no temporary files`, async () => {
    const dir = bigTree(5);
    let poll: NodeJS.Timeout | undefined;
    try {
      // The first cache entry shows that the workers are linting (and the signal handlers are in place).
      const r = await runCli(['--format', 'json', '--output', 'report.json', '--jobs', '1', '--cache=.cache'], {
        cwd: dir,
        started: (kill) => {
          poll = setInterval(() => {
            if (!existsSync(join(dir, '.cache', '.gitignore'))) return;
            clearInterval(poll);
            kill(signal);
          }, 50);
        },
      });
      clearInterval(poll);
      assert.equal(r.code, code, `${r.signal ?? ''} ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`interrupted \\(${signal}\\); no report was written`));
      assert.equal(readFileSync(join(dir, 'report.json'), 'utf8'), 'previous report\n');
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    } finally {
      clearInterval(poll);
      removeTree(dir);
    }
  });
}

test('--jobs 1 and --jobs 2 write the same report', async () => {
  const dir = bigTree(0.3);
  try {
    const norm = (file: string): unknown => {
      const j = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      for (const k of ['startTime', 'endTime', 'commandLine', 'arguments']) delete j.invocation[k];
      return j;
    };
    const one = await runCli(['-f', 'json', '-o', 'one.json', '--jobs', '1', 'gen', 'copy.c'], { cwd: dir });
    const two = await runCli(['-f', 'json', '-o', 'two.json', '--jobs', '2', 'copy.c', 'gen'], { cwd: dir });
    assert.equal(one.code, two.code);
    const a = norm('one.json') as { findings: unknown[] };
    assert.ok(a.findings.length > 2);
    assert.deepEqual(norm('two.json'), a);
  } finally {
    removeTree(dir);
  }
});
