/**
 * Analyses derived from one another (the editor's lint, summary and re-lint of one parse, again and again while
 * the text is unchanged) share the solved flows but must not keep each other alive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EMPTY_PROJECT, FileAnalysis } from '../../server/src/engine/analysis';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { buildProjectIndex, summarizeFile } from '../../server/src/engine/lint';
import { parseFile } from '../../server/src/engine/parse/parse';
import { Analyzer } from '../../server/src/lsp/analyzer';
import type { OpenDocument } from '../../server/src/lsp/documents';
import { ProjectState } from '../../server/src/lsp/project-state';
import { RULES } from '../../rules/index.generated';
import { getParsers } from '../helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const DRIVER = `NTSTATUS Dispatch(PDEVICE_OBJECT Device, PIRP Irp)
{
    PUCHAR buf = (PUCHAR)Irp->AssociatedIrp.SystemBuffer;
    ULONG i = *(PULONG)buf;
    return Helper(buf, i);
}
NTSTATUS Helper(PUCHAR data, ULONG n) { return data[n]; }
`;

test('an analysis derived with withProject does not retain the analyses it was derived from', async () => {
  const parsed = parseFile(await getParsers(), 'derive.c', DRIVER);
  try {
    let latest = new FileAnalysis(parsed, EMPTY_PROJECT, DEFAULT_ENGINE_CONFIG);
    const index = buildProjectIndex([summarizeFile(parsed, DEFAULT_ENGINE_CONFIG, latest)]);
    const firstFlow = latest.flow(latest.functions[0]);
    const earlier: WeakRef<FileAnalysis>[] = [];
    for (let i = 0; i < 20; i++) {
      earlier.push(new WeakRef(latest));
      latest = latest.withProject(i % 2 ? EMPTY_PROJECT : index);
      for (const fn of latest.functions) latest.flow(fn);
    }
    // The solved flows are shared: the CFG built first is the one every derived analysis uses.
    assert.equal(latest.flow(latest.functions[0])!.cfg, firstFlow!.cfg);
    await new Promise((r) => setImmediate(r));
    gc();
    assert.equal(earlier.filter((w) => w.deref() !== undefined).length, 0, 'earlier analyses were collected');
  } finally {
    parsed.tree.delete?.();
  }
});

test("the editor's re-parses do not keep the parses and analyses before them alive", async () => {
  const analyzer = new Analyzer(await getParsers(), RULES, new ProjectState());
  // Helper first: an edit inside Dispatch leaves Helper's nodes unmoved, so its flow is taken over each time.
  const text = (i: number): string => `NTSTATUS Helper(PUCHAR data, ULONG n) { return data[n]; }\n${DRIVER.replace('return Helper', `${' '.repeat(i % 3)}return Helper`)}`;
  let version = 0;
  const doc = { path: 'edit.c', version: 0, text: { getText: () => text(version) } } as unknown as OpenDocument;
  const earlier: WeakRef<object>[] = [];
  for (version = 0; version < 30; version++) {
    const { parsed } = analyzer.parse(doc, DEFAULT_ENGINE_CONFIG);
    analyzer.lint(parsed, DEFAULT_ENGINE_CONFIG);
    analyzer.summarize(doc, parsed, DEFAULT_ENGINE_CONFIG);
    analyzer.lint(parsed, DEFAULT_ENGINE_CONFIG);
    earlier.push(new WeakRef(parsed));
  }
  await new Promise((r) => setImmediate(r));
  gc();
  // The current parse, and the one whose flows the current analysis may still take over.
  assert.ok(earlier.filter((w) => w.deref() !== undefined).length <= 2, `${earlier.filter((w) => w.deref() !== undefined).length} of 30 parses still alive`);
  doc.parsed?.tree.delete?.();
});
