/** Helpers for flow tests: parse a snippet and find expressions by their text. */
import assert from 'node:assert/strict';
import { FileAnalysis, ProjectIndex, EMPTY_PROJECT } from '../../server/src/engine/analysis';
import { AstNode, walk } from '../../server/src/engine/ast';
import { DEFAULT_ENGINE_CONFIG, EngineConfig } from '../../server/src/engine/config';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { parseFile, ParsedFile } from '../../server/src/engine/parse/parse';
import { getParsers } from '../helpers';
import { dependencyKey, FileSummary, lintTexts } from '../../server/src/engine/lint';
import { IndexSlice, sliceIndex, sliceToIndex } from '../../server/src/cli/slice';
import { RULES } from '../../rules/index.generated';

export async function analyse(text: string, path = 't.c', project: ProjectIndex = EMPTY_PROJECT, config: Partial<EngineConfig> = {}): Promise<{ file: ParsedFile; analysis: FileAnalysis }> {
  const file = parseFile(await getParsers(), path, text);
  return { file, analysis: new FileAnalysis(file, project, { ...DEFAULT_ENGINE_CONFIG, ...config }) };
}

/** The `occurrence`-th node (0-based, source order) whose text is exactly `text`, preferring the outermost. */
export function find(file: ParsedFile, text: string, occurrence = 0, within: AstNode = file.root): AstNode {
  const hits: AstNode[] = [];
  walk(within, (n) => {
    if (n.named && file.source.text.slice(n.start, n.end) === text) {
      hits.push(n);
      return false;
    }
    return true;
  });
  const n = hits[occurrence];
  if (!n) throw new Error(`'${text}' #${occurrence} not found`);
  return n;
}

export function flowOf(analysis: FileAnalysis, name: string): FunctionFlow {
  const fn = analysis.functions.find((f) => f.name === name);
  if (!fn) throw new Error(`no function ${name}`);
  const flow = analysis.flow(fn);
  if (!flow) throw new Error(`no flow for ${name}`);
  return flow;
}

/** A worker's slice of `index` (through JSON, as it travels) answers for each file as the whole index does. */
export async function assertSlicesAnswerAsIndex(inputs: readonly { path: string; text: string }[], summaries: readonly FileSummary[], index: ProjectIndex): Promise<void> {
  const parsers = await getParsers();
  for (const [i, s] of summaries.entries()) {
    const slice = sliceToIndex(JSON.parse(JSON.stringify(sliceIndex(index, s))) as IndexSlice);
    assert.equal(dependencyKey(slice, s), dependencyKey(index, s));
    const whole = lintTexts(parsers, [inputs[i]], RULES, DEFAULT_ENGINE_CONFIG, index);
    assert.equal(JSON.stringify(lintTexts(parsers, [inputs[i]], RULES, DEFAULT_ENGINE_CONFIG, slice)[0].findings), JSON.stringify(whole[0].findings));
  }
}
