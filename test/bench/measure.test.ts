/** The benchmark's process runner: fixed argument vectors (no shell), wall time, CPU time and peak RSS. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveGnuTime, measure } from '../../bench/measure';

test('arguments reach the program verbatim, never through a shell', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-measure-test-'));
  const marker = join(dir, 'ran');
  try {
    const args = [`$(touch ${marker})`, `; touch ${marker}`, `\`touch ${marker}\``, "it's | fine > x"];
    const m = await measure(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...args]);
    assert.equal(m.status, 0);
    assert.deepEqual(JSON.parse(m.stdout), args);
    assert.equal(existsSync(marker), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wall time, CPU time and peak RSS are measured', async () => {
  const m = await measure(process.execPath, ['-e', 'const b = Buffer.alloc(64 * 1024 * 1024, 1); let s = 0; for (let i = 0; i < b.length; i += 64) s += b[i]; process.exitCode = s > 0 ? 3 : 4']);
  assert.equal(m.status, 3);
  assert.ok(m.wallMs > 0);
  if (haveGnuTime()) {
    assert.ok(m.maxRssKb !== undefined && m.maxRssKb > 64 * 1024, `peak RSS ${m.maxRssKb} KB`);
    assert.ok(m.cpuMs !== undefined && m.cpuMs >= 0);
  } else {
    assert.equal(m.maxRssKb, undefined);
  }
});
