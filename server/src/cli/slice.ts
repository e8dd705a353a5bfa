/**
 * Index slices: the part of the project index one file's lint reads, in a JSON-safe form that a worker receives
 * and the run snapshot keeps. Also how a slice follows an edit that only moved another file's call sites.
 */
import type { EntryPointRole, ParamSeed, ProjectIndex } from '../engine/analysis';
import { consumedNames, FileSummary } from '../engine/lint';
import type { Range } from '../engine/source';

/** A JSON-safe part of a `ProjectIndex`: what one file's lint reads from it. */
export interface IndexSlice {
  readonly file: string;
  readonly roles: readonly (readonly [string, EntryPointRole])[];
  readonly seeds: readonly (readonly [string, readonly (readonly [number, ParamSeed])[]])[];
}

/**
 * The project facts one file's lint consumes: roles and parameter seeds of the functions it defines
 * (the same facts its `dependencyKey` hashes). A worker lints with this slice instead of the whole index.
 */
export function sliceIndex(index: ProjectIndex, summary: FileSummary): IndexSlice {
  const names = consumedNames(summary);
  const roles: [string, EntryPointRole][] = [];
  const seeds: [string, [number, ParamSeed][]][] = [];
  for (const n of names) {
    const role = index.entryPoint(n);
    if (role) roles.push([n, role]);
    const s = index.paramTaint(n, summary.path);
    if (s) seeds.push([n, [...s]]);
  }
  return { file: summary.path, roles, seeds };
}

/** The slice as an index: answers exactly what the whole index answered for the slice's file. */
export function sliceToIndex(slice: IndexSlice): ProjectIndex {
  const roles = new Map(slice.roles);
  const seeds = new Map(slice.seeds.map(([name, s]) => [name, new Map(s)] as const));
  return { paramTaint: (name) => seeds.get(name), entryPoint: (name) => roles.get(name) };
}

/** Whether a seed of the slice was explained by a call site or registration in one of `files`. */
export function sliceCites(slice: IndexSlice, files: ReadonlySet<string>): boolean {
  for (const [, seeds] of slice.seeds) {
    for (const [, seed] of seeds) if ((seed.file !== undefined && files.has(seed.file)) || seed.path?.some((p) => files.has(p.file))) return true;
  }
  return false;
}

/** Where each position of a file's summary went in a later summary of the same shape (see `summaryShape`). */
export interface PositionMap {
  readonly ranges: ReadonlyMap<string, Range>;
  readonly lines: ReadonlyMap<number, number>;
}

const rangeKey = (r: Range): string => `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;

function isPosition(v: unknown): v is { line: number; character: number } {
  return typeof v === 'object' && v !== null && typeof (v as { line?: unknown }).line === 'number' && typeof (v as { character?: unknown }).character === 'number';
}

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
      if (isPosition(a)) {
        if (!isPosition(b)) return undefined;
        const at = (p: { line: number; character: number }): Range => ({ start: { line: p.line, character: p.character }, end: { line: p.line, character: p.character } });
        if (!range(at(a), at(b))) return undefined;
      }
      for (const [k, v] of Object.entries(a)) if (k !== 'line' && k !== 'character') stack.push([v, (b as Record<string, unknown>)[k]]);
    } else if (a !== b) return undefined;
  }
  return { ranges, lines };
}

const basename = (p: string): string => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

/**
 * `slice` as the whole index would now give it, after `file` changed only in positions (`map`): every citation of
 * the file moved to where its call site or registration went. Undefined if a cited position has no counterpart.
 */
export function remapSlice(slice: IndexSlice, file: string, map: PositionMap): IndexSlice | undefined {
  let lost = false;
  const moveRange = (r: Range): Range => {
    const to = map.ranges.get(rangeKey(r));
    if (!to) lost = true;
    return to ?? r;
  };
  const moveSeed = (seed: ParamSeed): ParamSeed => {
    let out = seed;
    if (seed.path?.some((p) => p.file === file)) out = { ...out, path: seed.path.map((p) => (p.file === file ? { ...p, range: moveRange(p.range) } : p)) };
    if (seed.file === file && seed.line !== undefined) {
      const line = map.lines.get(seed.line);
      if (line === undefined) lost = true;
      else {
        // A seed explained by a call site names it as "(file.c:LINE)" at the end of its origin.
        const old = `(${basename(file)}:${seed.line + 1})`;
        const origin = seed.origin.endsWith(old) ? `${seed.origin.slice(0, -old.length)}(${basename(file)}:${line + 1})` : seed.origin;
        out = { ...out, origin, line };
      }
    }
    return out;
  };
  const seeds = slice.seeds.map(([name, list]) => [name, list.map(([i, seed]) => [i, moveSeed(seed)] as const)] as const);
  return lost ? undefined : { ...slice, seeds };
}
