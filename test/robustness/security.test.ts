/**
 * Linting never executes anything from the linted tree or its configuration: hostile config values, `__proto__`
 * keys, file names with shell metacharacters and source text that looks like commands reach no process API and
 * change no global object.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import childProcess from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ENGINE_CONFIG, EngineConfig } from '../../server/src/engine/config';
import { assertSane, lintWith } from './sanity';

const PROCESS_APIS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

/** Replaces the child_process entry points with recorders for the duration of `fn`. */
async function recordingProcessCalls(fn: () => Promise<void>): Promise<string[]> {
  const calls: string[] = [];
  const cp = childProcess as unknown as Record<string, unknown>;
  const saved = PROCESS_APIS.map((name) => [name, cp[name]] as const);
  for (const name of PROCESS_APIS) {
    cp[name] = (...args: unknown[]) => {
      calls.push(`${name}(${JSON.stringify(args).slice(0, 200)})`);
      throw new Error('process creation is not allowed while linting');
    };
  }
  try {
    await fn();
  } finally {
    for (const [name, original] of saved) cp[name] = original;
  }
  return calls;
}

test('hostile config values, __proto__ keys, file names and source text run no command', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-pwn-'));
  const marker = join(dir, 'pwned');
  const cmd = `touch ${marker}`;
  const hostile = JSON.parse(
    JSON.stringify({
      rules: { __proto__: { severity: 'off' }, constructor: { severity: 'off' }, KS1301: { options: { [`$(${cmd})`]: `\`${cmd}\``, __proto__: { polluted: true } } } },
      macros: { mask: [`$(${cmd})`, '__proto__', 'constructor', 'toString'], statement: [`\`${cmd}\``, 'hasOwnProperty'] },
      headerLanguage: 'auto',
      sources: [{ function: `$(${cmd})`, output: 'return', kind: 'buffer' }, { function: '__proto__', output: 0, kind: 'value' }],
      entryPoints: [{ function: `;${cmd};`, bufferParams: [0] }],
    }).replace('"rules":{', '"rules":{"__proto__":{"severity":"off"},'),
  ) as EngineConfig;
  const names = [`$(${cmd}).c`, `\`${cmd}\`.cpp`, `a; ${cmd}; b.c`, `x' || ${cmd} || 'y.h`, `new\nline|${cmd}>out.c`, `${dir}/sp ace/ünï cødé/$HOME.c`];
  const source = [
    `#include "$(${cmd})"`,
    `#pragma comment(linker, "/export:${cmd}")`,
    `#define RUN system("${cmd}")`,
    `void f(char *d, char *s) { system("${cmd}"); RUN; strcpy(d, s); }`,
    '',
  ].join('\n');
  const before = Object.getOwnPropertyNames(Object.prototype).sort();
  const calls = await recordingProcessCalls(async () => {
    for (const name of names) {
      for (const config of [hostile, { ...DEFAULT_ENGINE_CONFIG, ...hostile }]) {
        const r = await lintWith('auto', name, source, config);
        assertSane(r, source, name);
        assert.equal(r.path, name, 'the path is carried through untouched');
        assert.ok(r.findings.some((f) => f.ruleId === 'KS1301' && f.file === name), 'rules keep working under a hostile config');
      }
    }
  });
  try {
    assert.deepEqual(calls, []);
    assert.equal(existsSync(marker), false, 'a command ran');
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before, 'Object.prototype was changed');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the analysis core and the rules contain no process, eval or dynamic-code entry points', () => {
  const out = join(__dirname, '..', '..');
  const files: string[] = [];
  const visit = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) visit(p);
      else if (name.endsWith('.js')) files.push(p);
    }
  };
  visit(join(out, 'server', 'src', 'engine'));
  visit(join(out, 'rules'));
  assert.ok(files.length > 5);
  const forbidden = /\brequire\(["'](node:)?(child_process|vm|cluster|http|https|net|dgram|dns|tls)["']\)|\beval\(|\bnew Function\(|\bimport\(/;
  for (const f of files) assert.doesNotMatch(readFileSync(f, 'utf8'), forbidden, f);
});
