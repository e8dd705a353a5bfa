/**
 * The suppression-comment injection grammar and the manifest that contributes it. The grammar's patterns are
 * plain regular expressions that mean the same in Oniguruma and JavaScript, so they are exercised directly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const contribution = manifest.contributes.grammars[0];
const grammar = JSON.parse(readFileSync(join(root, contribution.path), 'utf8'));
const repo = grammar.repository;

/** Scope -> matched texts, applying the directive's begin and inner patterns to one comment's text. */
function tokens(comment: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (scope: string, text: string): void => void (out[scope] ??= []).push(text);
  const begin = new RegExp(repo.directive.begin).exec(comment);
  if (!begin) return out;
  add(repo.directive.beginCaptures['1'].name, begin[1]);
  let rest = comment.slice(begin.index + begin[0].length).replace(/\*\/.*$/, '');
  const just = new RegExp(repo.justification.match).exec(rest);
  if (just) {
    add(repo.justification.captures['2'].name, just[2]);
    rest = rest.slice(0, just.index);
  }
  for (const m of rest.matchAll(new RegExp(repo['rule-id'].match, 'g'))) add(repo['rule-id'].name, m[0]);
  return out;
}

test('the grammar is injected into C and C++ comments and its file is packaged', () => {
  assert.deepEqual(contribution.injectTo, ['source.c', 'source.cpp']);
  assert.equal(contribution.scopeName, grammar.scopeName);
  assert.match(grammar.injectionSelector, /L:comment\.line\.double-slash/);
  assert.match(grammar.injectionSelector, /L:comment\.block/);
  assert.match(readFileSync(join(root, '.vscodeignore'), 'utf8'), /^!syntaxes\/\*\.json$/m);
  assert.ok(manifest.contributes.jsonValidation[0].fileMatch.includes('.kslintrc.json'));
  for (const c of manifest.contributes.commands) assert.match(c.command, /^kslint\./);
  // Every contributed command is registered by a client feature (and nothing registers an undeclared one).
  const features = join(root, 'client', 'src', 'features');
  const registered = new Set<string>();
  for (const f of readdirSync(features)) for (const m of readFileSync(join(features, f), 'utf8').matchAll(/registerCommand\('([^']+)'/g)) registered.add(m[1]);
  assert.deepEqual([...registered].sort(), manifest.contributes.commands.map((c: { command: string }) => c.command).sort());
  assert.ok(existsSync(join(root, manifest.main.replace(/^\.\//, ''))) || !existsSync(join(root, 'dist')), 'main points at the bundle');
});

test('directive, rule ids (ids, names, Code Analysis numbers, CodeQL ids) and justification get their scopes', () => {
  assert.deepEqual(tokens(' kslint-disable-next-line KS1001, banned-string-apis C28719 cpp/unsafe-strcat -- length checked by the caller'), {
    'keyword.control.directive.suppression.kslint': ['kslint-disable-next-line'],
    'string.unquoted.justification.kslint': ['length checked by the caller'],
    'constant.other.rule-id.kslint': ['KS1001', 'banned-string-apis', 'C28719', 'cpp/unsafe-strcat'],
  });
  assert.deepEqual(tokens(' kslint-disable-file KS1301 -- vendored code */ int x;'), {
    'keyword.control.directive.suppression.kslint': ['kslint-disable-file'],
    'string.unquoted.justification.kslint': ['vendored code '],
    'constant.other.rule-id.kslint': ['KS1301'],
  });
  assert.deepEqual(tokens(' kslint-disable-line KS1202'), { 'keyword.control.directive.suppression.kslint': ['kslint-disable-line'], 'constant.other.rule-id.kslint': ['KS1202'] });
  assert.deepEqual(tokens(' see the kslint-disable-nextline docs, or xkslint-disable-line'), {}, 'near-misses are plain comment text');
});
