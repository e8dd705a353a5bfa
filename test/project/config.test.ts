/** Config loading: JSON and YAML, schema validation, unknown rules, positions in every error, discovery upwards. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DEFAULT_EXTERNAL, findProjectConfig, parseConfig, resolveProjectConfig, withRuleSeverities } from '../../server/src/project/config';
import { RULES } from '../../rules/index.generated';
import { makeTree, removeTree } from '../cli/cli-helpers';

const META = RULES.map((r) => r.meta);

function configError(text: string, file: string): ConfigError {
  try {
    parseConfig(text, file, META);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

test('a full JSON config maps to the engine config and file-selection settings', () => {
  const c = parseConfig(
    JSON.stringify({
      $schema: './schemas/kslint.schema.json',
      rules: { KS1301: 'error', 'method-neither-ioctl': { severity: 'note', options: { x: 1 } }, KS0002: 'off' },
      include: ['src/'],
      exclude: ['**/test/**'],
      external: ['vendor/'],
      headerLanguage: 'cpp',
      macros: { mask: ['MY_ANNOTATION'], statement: ['LOG_ENTRY'] },
      sources: [{ function: 'LoadContent', output: 1, kind: 'buffer' }],
      entryPoints: [{ function: 'OnMessage', bufferParams: [0], valueParams: [1] }],
      limits: { maxFileSize: 1000, fileTimeout: 2.5, workerMemory: 256 },
    }),
    '/proj/.kslintrc.json',
    META,
  );
  assert.equal(c.root, '/proj');
  assert.deepEqual(c.engine.rules, { KS1301: { severity: 'error' }, KS1101: { severity: 'note', options: { x: 1 } }, KS0002: { severity: 'off' } });
  assert.equal(c.engine.headerLanguage, 'cpp');
  assert.deepEqual(c.engine.macros, { mask: ['MY_ANNOTATION'], statement: ['LOG_ENTRY'] });
  assert.deepEqual(c.engine.sources, [{ function: 'LoadContent', output: 1, kind: 'buffer' }]);
  assert.deepEqual(c.engine.entryPoints, [{ function: 'OnMessage', bufferParams: [0], valueParams: [1] }]);
  assert.deepEqual(c.include, ['src/']);
  assert.deepEqual(c.external, [...DEFAULT_EXTERNAL, 'vendor/']);
  assert.deepEqual(c.limits, { maxFileBytes: 1000, fileTimeoutMs: 2500, workerMemoryMb: 256 });
  const off = parseConfig('{"defaultExternal": false, "external": ["x/"]}', '/p/kslint.config.json', META);
  assert.deepEqual(off.external, ['x/']);
  assert.deepEqual(off.limits, { maxFileBytes: 8 * 1024 * 1024, fileTimeoutMs: 120_000 }, 'no worker heap limit unless asked');
});

test('YAML configs give the same result as JSON ones', () => {
  const yaml = parseConfig('# project settings\nrules:\n  KS1301: error   # strict\nexclude:\n  - "**/gen/**"\n', '/p/.kslintrc.yaml', META);
  const json = parseConfig('{"rules": {"KS1301": "error"}, "exclude": ["**/gen/**"]}', '/p/.kslintrc.json', META);
  assert.deepEqual({ ...yaml, file: '' }, { ...json, file: '' });
  assert.deepEqual(parseConfig('', '/p/.kslintrc.yml', META).engine.rules, {});
});

test('syntax errors name the file, line and column', () => {
  const cases: [string, string, number, number, RegExp][] = [
    ['{\n  "rules": {\n    "KS1301": "error",\n  }\n}', '.kslintrc.json', 4, 3, /invalid JSON/],
    ['{\n  "rules": { "KS1301" "error" }\n}', '.kslintrc.json', 2, 23, /invalid JSON: colon expected/],
    ['{"rules": {}} // note', 'kslint.config.json', 1, 15, /comments are not allowed/],
    ['{"rules": {}, "rules": {}}', '.kslintrc.json', 1, 15, /duplicate key "rules"/],
    ['{"include": ["a",\n  "b]}', '.kslintrc.json', 2, 3, /unterminated string/],
    ['{"defaultExternal": tru}', '.kslintrc.json', 1, 21, /unexpected character "t"/],
    ['', '.kslintrc.json', 1, 1, /the file is empty/],
    ['rules:\n  KS1301: error\n   KS1001: off\n', '.kslintrc.yaml', 2, 11, /invalid YAML: Nested mappings/],
    ['rules:\n  KS1301: [error\n', '.kslintrc.yml', 3, 1, /invalid YAML/],
    ['rules: {}\nrules: {}\n', '.kslintrc.yaml', 2, 1, /invalid YAML: Map keys must be unique/],
  ];
  for (const [text, name, line, column, message] of cases) {
    const e = configError(text, `/p/${name}`);
    assert.match(e.problem, message, text);
    assert.deepEqual([e.file, e.line, e.column], [`/p/${name}`, line, column], `${text}: ${e.message}`);
    assert.ok(e.message.startsWith(`/p/${name}:${line}:${column}: `));
  }
});

test('schema errors point at the offending value or key, in plain words', () => {
  const cases: [string, string, number, number, string][] = [
    ['{\n  "rules": {\n    "KS1301": "warn"\n  }\n}', '.kslintrc.json', 3, 15, '"rules.KS1301" must be one of "off", "note", "warning", "error" (got "warn")'],
    ['{"rules": {"KS1301": {"severity": "error", "level": 3}}}', '.kslintrc.json', 1, 44, 'unknown setting "level" in "rules.KS1301"'],
    ['{"exclude": "src"}', '.kslintrc.json', 1, 13, '"exclude" must be an array (got "src")'],
    ['{"limits": {"maxFileSize": -1}}', '.kslintrc.json', 1, 28, '"limits.maxFileSize" must be >= 1'],
    ['{"sources": [{"function": "Load", "kind": "buffer"}]}', '.kslintrc.json', 1, 14, '"sources.0" lacks "output"'],
    ['{"sources": [{"function": "Load(x)", "output": 0, "kind": "buffer"}]}', '.kslintrc.json', 1, 27, '"sources.0.function" must be a C identifier (got "Load(x)")'],
    ['headerLanguage: c++\n', '.kslintrc.yaml', 1, 17, '"headerLanguage" must be one of "auto", "c", "cpp" (got "c++")'],
    ['rules:\n  KS1301: error\nmacroz: []\n', '.kslintrc.yaml', 3, 1, 'unknown setting "macroz" in the config'],
    ['rules:\n  "ks 13": error\n', '.kslintrc.yaml', 2, 3, '"ks 13" is not a rule id (KSnnnn) or rule name'],
    ['[1, 2]', '.kslintrc.json', 1, 1, 'the config must be an object (got [1,2])'],
  ];
  for (const [text, name, line, column, problem] of cases) {
    const e = configError(text, `/p/${name}`);
    assert.equal(e.problem, problem, text);
    assert.deepEqual([e.line, e.column], [line, column], `${text}: ${e.message}`);
  }
});

test('unknown rules, and one rule set twice, are errors at the key', () => {
  const e = configError('rules:\n  KS1301: error\n  KS9999: off\n', '/p/.kslintrc.yaml');
  assert.equal(e.message, '/p/.kslintrc.yaml:3:3: unknown rule "KS9999" (kslint --list-rules shows the rules)');
  const twice = configError('{"rules": {"KS1301": "off", "banned-string-apis": "error"}}', '/p/.kslintrc.json');
  assert.match(twice.message, /:1:29: rule KS1301 is configured twice/);
});

test('hostile keys stay data: __proto__ is rejected as a key, nothing reaches Object.prototype', () => {
  const e = configError('{"rules": {"__proto__": {"severity": "off"}}}', '/p/.kslintrc.json');
  assert.match(e.problem, /"__proto__" is not a rule id/);
  const y = configError('__proto__:\n  polluted: true\n', '/p/.kslintrc.yaml');
  assert.match(y.problem, /unknown setting "__proto__"/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const anchors = configError('a: &x [1]\nb: *x\n', '/p/.kslintrc.yaml');
  assert.match(anchors.problem, /anchors and aliases are not supported/);
});

test('the config is found by walking up; several candidates in one folder or different projects are errors', () => {
  const dir = makeTree({ 'a/.kslintrc.yaml': 'rules: {KS1301: error}\n', 'a/src/x.c': '', 'b/x.c': '', 'c/.kslintrc.json': '{}', 'c/kslint.config.json': '{}', 'c/x.c': '' });
  try {
    assert.equal(findProjectConfig(['src/x.c'], join(dir, 'a')), join(dir, 'a', '.kslintrc.yaml'));
    assert.equal(findProjectConfig(['.'], join(dir, 'a', 'src')), join(dir, 'a', '.kslintrc.yaml'));
    assert.equal(findProjectConfig(['b'], dir), undefined);
    assert.throws(() => findProjectConfig(['c/x.c'], dir), /several config files in one folder \(\.kslintrc\.json, kslint\.config\.json\)/);
    assert.throws(() => findProjectConfig(['a/src', 'c/x.c'], dir), /different projects|several config files/);
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', 'kslint.config.json'), '{}');
    assert.throws(() => findProjectConfig(['a/src/x.c', 'd'], dir), /the paths belong to different projects/);
    const resolved = resolveProjectConfig(['src'], join(dir, 'a'), META);
    assert.deepEqual(resolved.engine.rules, { KS1301: { severity: 'error' } });
    const none = resolveProjectConfig(['b'], dir, META);
    assert.equal(none.file, undefined);
    assert.equal(none.root, dir);
    assert.throws(() => resolveProjectConfig([], dir, META, 'missing.json'), /missing\.json: config file not found/);
    writeFileSync(join(dir, 'bad.json'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    assert.throws(() => resolveProjectConfig([], dir, META, 'bad.json'), /not UTF-8 text/);
  } finally {
    removeTree(dir);
  }
});

test('--rule overrides replace the severity and keep the options', () => {
  const c = parseConfig('{"rules": {"KS1301": {"severity": "error", "options": {"k": 1}}}}', '/p/.kslintrc.json', META);
  const o = withRuleSeverities(c, new Map([['KS1301', 'off'], ['KS1101', 'note']]));
  assert.deepEqual(o.engine.rules, { KS1301: { severity: 'off', options: { k: 1 } }, KS1101: { severity: 'note' } });
  assert.deepEqual(c.engine.rules.KS1301, { severity: 'error', options: { k: 1 } }, 'the original is not changed');
});
