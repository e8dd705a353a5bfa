/**
 * Following an edit that only moved a file's call sites (its summary keeps its shape: see `summaryShape`). The
 * project index then holds the same facts, and only the explanations that cite the moved file change: they move
 * with the positions they cite. Both the command line (index slices in the run snapshot) and the editor (its
 * workspace index) follow such edits this way instead of building the index again.
 */
import type { ParamSeed, ProjectIndex } from '../analysis';
import type { Range } from '../source';
import type { FileSummary } from './summary';
import type { Finding, PathStep } from '../rule';
import { compareFindings, FileResult } from '../lint';

/** Where each position of a file's summary went in a later summary of the same shape (see `summaryShape`). */
export interface PositionMap {
  readonly ranges: ReadonlyMap<string, Range>;
  readonly lines: ReadonlyMap<number, number>;
}

const rangeKey = (r: Range): string => `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;

function isPosition(v: unknown): v is { line: number; character: number } {
  return typeof v === 'object' && v !== null && typeof (v as { line?: unknown }).line === 'number' && typeof (v as { character?: unknown }).character === 'number';
}

const emptyRangeAt = (p: { line: number; character: number }): Range => ({ start: { line: p.line, character: p.character }, end: { line: p.line, character: p.character } });

function isRange(v: unknown): v is Range {
  return typeof v === 'object' && v !== null && isPosition((v as { start?: unknown }).start) && isPosition((v as { end?: unknown }).end);
}

/**
 * Pairs up the positions of two summaries of one file whose shapes are equal (the same JSON but for positions):
 * call ranges, explanation ranges and steps, and registrations (which the index cites as empty ranges). Undefined
 * when they cannot be paired one to one: the shapes differ after all, or the edit split a line, so that one old
 * line went to two new ones (a seed cites its call site by line).
 */
export function positionMap(before: FileSummary, after: FileSummary): PositionMap | undefined {
  const ranges = new Map<string, Range>();
  const lines = new Map<number, number>();
  const line = (from: number, to: number): boolean => {
    const cur = lines.get(from);
    if (cur === undefined) lines.set(from, to);
    return cur === undefined || cur === to;
  };
  const range = (from: Range, to: Range): boolean => {
    const key = rangeKey(from);
    const cur = ranges.get(key);
    if (cur === undefined) ranges.set(key, to);
    else if (rangeKey(cur) !== rangeKey(to)) return false;
    return line(from.start.line, to.start.line) && line(from.end.line, to.end.line);
  };
  // Iterative, in step: a summary can be deep (explanation steps) but never cyclic.
  const stack: [unknown, unknown][] = [
    [before.functions, after.functions],
    [before.registrations, after.registrations],
    [before.explanations, after.explanations],
  ];
  while (stack.length > 0) {
    const [a, b] = stack.pop()!;
    if (Array.isArray(a)) {
      if (!Array.isArray(b) || a.length !== b.length) return undefined;
      for (let i = 0; i < a.length; i++) stack.push([a[i], b[i]]);
    } else if (isRange(a)) {
      if (!isRange(b) || !range(a, b)) return undefined;
    } else if (typeof a === 'object' && a !== null) {
      if (typeof b !== 'object' || b === null) return undefined;
      // A registration: the index cites it as an empty range at its position.
      if (isPosition(a) && !(isPosition(b) && range(emptyRangeAt(a), emptyRangeAt(b)))) return undefined;
      for (const [k, v] of Object.entries(a)) if (k !== 'line' && k !== 'character') stack.push([v, (b as Record<string, unknown>)[k]]);
    } else if (a !== b) return undefined;
  }
  return { ranges, lines };
}

/** `later` applied after `earlier` (both of one file): where each of `earlier`'s original positions is now. */
export function composeMaps(earlier: PositionMap, later: PositionMap): PositionMap | undefined {
  const ranges = new Map<string, Range>();
  const lines = new Map<number, number>();
  for (const [k, r] of earlier.ranges) {
    const to = later.ranges.get(rangeKey(r));
    if (!to) return undefined;
    ranges.set(k, to);
  }
  for (const [from, mid] of earlier.lines) {
    const to = later.lines.get(mid);
    if (to === undefined) return undefined;
    lines.set(from, to);
  }
  return { ranges, lines };
}

const basename = (p: string): string => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

/** Whether a seed was explained by a call site or registration in `file`. */
export function seedCites(seed: ParamSeed, file: string): boolean {
  return seed.file === file || !!seed.path?.some((p) => p.file === file);
}

/**
 * `seed` as the whole index would give it after `file` moved (`map`): its citations of the file moved to where
 * the call site or registration went. Undefined if a cited position has no counterpart.
 */
export function remapSeed(seed: ParamSeed, file: string, map: PositionMap): ParamSeed | undefined {
  let out = seed;
  if (seed.path?.some((p) => p.file === file)) {
    const path: { file: string; range: Range; label: string }[] = [];
    for (const p of seed.path) {
      const range = p.file === file ? map.ranges.get(rangeKey(p.range)) : p.range;
      if (!range) return undefined;
      path.push(p.file === file ? { ...p, range } : p);
    }
    out = { ...out, path };
  }
  if (seed.file === file && seed.line !== undefined) {
    const line = map.lines.get(seed.line);
    if (line === undefined) return undefined;
    // A seed explained by a call site names it as "(file.c:LINE)" at the end of its origin.
    const old = `(${basename(file)}:${seed.line + 1})`;
    const origin = seed.origin.endsWith(old) ? `${seed.origin.slice(0, -old.length)}(${basename(file)}:${line + 1})` : seed.origin;
    out = { ...out, origin, line };
  }
  return out;
}

/**
 * `index` as it would be built again after the files of `moves` moved (each map from the positions `index` was
 * built with to the current ones). Answers are remapped on first request and remembered, so that equal questions
 * get the same map (`dependencyKey` remembers texts per map). Every position an index cites comes from its
 * summaries, and a map pairs every position of the summary it was made from, so a citation always has a
 * counterpart; were one missing, the seed would keep its old position (a stale line in an explanation, no more).
 */
export function movedIndex(index: ProjectIndex, moves: ReadonlyMap<string, PositionMap>): ProjectIndex {
  const memo = new WeakMap<ReadonlyMap<number, ParamSeed>, ReadonlyMap<number, ParamSeed>>();
  return {
    paramTaint(name, file) {
      const seeds = index.paramTaint(name, file);
      if (!seeds) return seeds;
      let out = memo.get(seeds);
      if (!out) {
        const next = new Map<number, ParamSeed>();
        let changed = false;
        for (const [i, seed] of seeds) {
          let s = seed;
          for (const [moved, map] of moves) if (seedCites(s, moved)) s = remapSeed(s, moved, map) ?? s;
          changed ||= s !== seed;
          next.set(i, s);
        }
        memo.set(seeds, (out = changed ? next : seeds));
      }
      return out;
    },
    entryPoint: (name) => index.entryPoint(name),
    ioctlMethod: (name) => index.ioctlMethod(name),
    macro: (name) => index.macro(name),
    member: (chain) => index.member(chain),
  };
}

/**
 * A file's lint result as linting it again would give it after other files moved (`moves`), when the only
 * change to what its lint read is that each seed citing a moved file was remapped (`remapSeed`): a seed's
 * position feeds nothing but its explanation. Path steps in a moved file take their new ranges; an origin that
 * named a moved call site's line (`origins`: old text to new) is rewritten wherever a label or message quotes it.
 * Undefined, so that the caller lints again, when a cited range has no counterpart or the rewritten messages
 * would order the findings differently (their fingerprints count identical findings in order).
 */
export function followResult(result: FileResult, moves: ReadonlyMap<string, PositionMap>, origins: ReadonlyMap<string, string>): FileResult | undefined {
  const olds = [...origins.keys()].sort((a, b) => b.length - a.length);
  const rewrite = (text: string): string => (olds.length ? replaceAll(text, olds, origins) : text);
  const findings: Finding[] = [];
  const follow = (steps: readonly PathStep[]): readonly PathStep[] | undefined => {
    const out: PathStep[] = [];
    for (const step of steps) {
      const map = moves.get(step.file);
      const range = map ? map.ranges.get(rangeKey(step.range)) : step.range;
      if (!range) return undefined;
      const label = rewrite(step.label);
      out.push(range === step.range && label === step.label ? step : { ...step, range, label });
    }
    return out.every((p, i) => p === steps[i]) ? steps : out;
  };
  for (const f of result.findings) {
    const path = follow(f.path);
    const related = follow(f.related);
    if (!path || !related) return undefined;
    const message = rewrite(f.message);
    findings.push(message === f.message && path === f.path && related === f.related ? f : { ...f, message, path, related });
  }
  const sorted = [...findings].sort(compareFindings);
  if (sorted.some((f, i) => f !== findings[i])) return undefined;
  return { ...result, findings };
}

/** `text` with every occurrence of one of `olds` (longest first at each place) replaced by its counterpart. */
function replaceAll(text: string, olds: readonly string[], to: ReadonlyMap<string, string>): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; ) {
    const old = olds.find((o) => text.startsWith(o, i));
    if (!old) {
      i++;
      continue;
    }
    out += text.slice(from, i) + to.get(old)!;
    i += old.length;
    from = i;
  }
  return from === 0 ? text : out + text.slice(from);
}
