/**
 * The editor's project index follows edits that only move call sites (a line typed above a call) without being
 * built again, and answers exactly what an index built from the current summaries answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProjectState } from '../../server/src/lsp/project-state';
import { summarizeFile } from '../../server/src/engine/lint';
import { parseFile } from '../../server/src/engine/parse/parse';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { generateCorpus } from '../../bench/corpus/generate';
import { MESSAGE, MOVES, PORT } from '../cli/cli-helpers';
import { getParsers, random } from '../helpers';

test('moved call sites and registrations are followed by the editor index, and equal an index built afresh', async () => {
  const parsers = await getParsers();
  const texts = new Map<string, string>(Object.entries({ ...MOVES, 'filter/port.c': PORT, 'filter/message.c': MESSAGE }));
  for (const f of generateCorpus({ seed: 3, files: 8 })) if (/\.(c|cpp)$/.test(f.path)) texts.set(`gen/${f.path}`, f.text);
  const summarize = (path: string) => summarizeFile(parseFile(parsers, path, texts.get(path)!), DEFAULT_ENGINE_CONFIG);
  const paths = [...texts.keys()].sort();
  const state = new ProjectState();
  for (const p of paths) state.setDisk(p, summarize(p));
  state.getIndex();

  /** Every file's dependency key (which hashes every seed, explanations included) equals a fresh index's. */
  const check = (label: string): void => {
    const fresh = new ProjectState();
    for (const p of paths) fresh.setDisk(p, state.summary(p));
    for (const p of paths) assert.equal(state.keyFor(p), fresh.keyFor(p), `${label}: ${p}`);
  };
  const rnd = random(17);
  const moving = ['dispatch.c', 'local.c', 'filter/port.c', ...paths.filter((p) => p.startsWith('gen/'))];
  let moves = 0;
  for (let step = 0; step < 60; step++) {
    const path = moving[Math.floor(rnd() * moving.length)];
    const text = texts.get(path)!;
    const lines = text.split('\n');
    const at = Math.floor(rnd() * lines.length);
    // Blank lines and comments typed anywhere between lines: positions move, facts do not.
    lines.splice(at, 0, rnd() < 0.5 ? '' : '// note');
    texts.set(path, lines.join('\n'));
    const builds = state.builds;
    state.setOpen(path, summarize(path));
    check(`step ${step}, ${path} line ${at}`);
    if (state.builds === builds) moves++;
  }
  assert.ok(moves >= 50, `${moves} of 60 edits followed without building the index again`);

  // A line split inside a cited call pairs one old line with two new ones; a renamed callee changes the facts.
  // Both build the index again, and still answer as a fresh one.
  for (const [label, change] of [
    ['split', (t: string) => t.replace('ForwardItem((PUCHAR)', 'ForwardItem(\n        (PUCHAR)')],
    ['rename', (t: string) => t.replace('ForwardItem(', 'OtherItem(')],
  ] as const) {
    texts.set('dispatch.c', change(texts.get('dispatch.c')!));
    const builds = state.builds;
    state.setOpen('dispatch.c', summarize('dispatch.c'));
    check(label);
    assert.equal(state.builds, builds + 1, label);
  }
});

test('while held (the workspace index being built), the index in use stays; on release it answers as a fresh one', async () => {
  const parsers = await getParsers();
  const texts: Record<string, string> = { ...MOVES };
  const summarize = (path: string) => summarizeFile(parseFile(parsers, path, texts[path]), DEFAULT_ENGINE_CONFIG);
  const state = new ProjectState();
  state.setDisk('forward.c', summarize('forward.c'));
  const alone = state.keyFor('forward.c');
  const release = state.hold();
  // dispatch.c arrives: it passes the request buffer to forward.c's ForwardItem, which changes forward.c's facts.
  state.setDisk('dispatch.c', summarize('dispatch.c'));
  state.setDisk('local.c', summarize('local.c'));
  assert.equal(state.keyFor('forward.c'), alone, 'the index built before the hold is still in use');
  assert.equal(state.builds, 1);
  release();
  release();
  const fresh = new ProjectState();
  for (const p of ['dispatch.c', 'forward.c', 'local.c']) fresh.setDisk(p, summarize(p));
  assert.notEqual(state.keyFor('forward.c'), alone);
  assert.equal(state.keyFor('forward.c'), fresh.keyFor('forward.c'));
  assert.equal(state.builds, 2, 'built once more after the release');
});
