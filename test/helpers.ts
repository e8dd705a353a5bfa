/** Shared test helpers: one parser per process, lint a text, read `// expect:` annotations. */
import { loadBackend, BackendKind } from '../server/src/engine/parse/backend';
import { Parsers } from '../server/src/engine/parse/parse';
import { lintTexts, FileResult } from '../server/src/engine/lint';
import { DEFAULT_ENGINE_CONFIG, EngineConfig } from '../server/src/engine/config';
import { RULES } from '../rules/index.generated';
import type { ProjectIndex } from '../server/src/engine/analysis';
import type { Rule } from '../server/src/engine/rule';

const parsersByKind = new Map<string, Promise<Parsers>>();

export function getParsers(prefer: BackendKind | 'auto' = 'auto'): Promise<Parsers> {
  let p = parsersByKind.get(prefer);
  if (!p) {
    p = loadBackend({ prefer }).then((b) => new Parsers(b));
    parsersByKind.set(prefer, p);
  }
  return p;
}

export async function lintText(path: string, text: string, config: Partial<EngineConfig> = {}, rules: readonly Rule[] = RULES, project?: ProjectIndex): Promise<FileResult> {
  const parsers = await getParsers();
  return lintTexts(parsers, [{ path, text }], rules, { ...DEFAULT_ENGINE_CONFIG, ...config }, project)[0];
}

/** `// expect: KS1001, KS1401` annotations (or those of another `tag`, e.g. `// also:`) as a sorted list of `line:RULE` (1-based lines). */
export function expectations(text: string, tag = 'expect'): string[] {
  const out: string[] = [];
  const line = new RegExp(`//\\s*${tag}:\\s*([A-Z0-9 ,]+)`);
  const block = new RegExp(`/\\*\\s*${tag}:\\s*([A-Z0-9 ,]+)\\*/`);
  text.split(/\r\n|\r|\n/).forEach((l, i) => {
    const m = line.exec(l) ?? block.exec(l);
    if (m) for (const id of m[1].split(/[ ,]+/).filter(Boolean)) out.push(`${i + 1}:${id}`);
  });
  return out.sort();
}

/** The related locations of unsuppressed findings in their own file as `line:RULE`, comparable with `expectations(text, 'also')`. */
export function actualRelated(result: FileResult): string[] {
  return result.findings.filter((f) => !f.suppression).flatMap((f) => f.related.filter((s) => s.file === result.path).map((s) => `${s.range.start.line + 1}:${f.ruleId}`)).sort();
}

/** Unsuppressed findings as a sorted list of `line:RULE` (1-based lines), comparable with `expectations`. */
export function actual(result: FileResult): string[] {
  return result.findings.filter((f) => !f.suppression).map((f) => `${f.range.start.line + 1}:${f.ruleId}`).sort();
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
