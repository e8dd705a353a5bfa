/**
 * Index slices: the part of the project index one file's lint reads, in a JSON-safe form that a worker receives
 * and the run snapshot keeps. Also how a slice follows an edit that only moved another file's call sites.
 */
import type { EntryPointRole, ParamSeed, ProjectIndex } from '../engine/analysis';
import type { IoctlMethod } from '../engine/ioctl';
import { effective, MacroSummary } from '../engine/flow/macro-values';
import type { MemberFact } from '../engine/flow/member-types';
import { consumedNames, FileSummary } from '../engine/lint';
import { PositionMap, remapSeed, seedCites } from '../engine/index/moves';

/** A JSON-safe part of a `ProjectIndex`: what one file's lint reads from it. */
export interface IndexSlice {
  readonly file: string;
  readonly roles: readonly (readonly [string, EntryPointRole])[];
  readonly seeds: readonly (readonly [string, readonly (readonly [number, ParamSeed])[]])[];
  readonly ioctls: readonly (readonly [string, IoctlMethod])[];
  /** Macro facts of the names the file calls that the project defines (null: nothing the analysis reads, see `effective`). */
  readonly macros: readonly (readonly [string, MacroSummary | null])[];
  /** Member facts of the chains the file's functions form that the project knows (null: its declarations disagree). */
  readonly members: readonly (readonly [string, MemberFact | null])[];
}

/**
 * The project facts one file's lint consumes: roles and parameter seeds of the functions it defines, and the
 * methods of the IOCTL codes it refers to, the macro facts of the names it calls, the member facts of the chains it
 * forms (the facts its `dependencyKey` hashes, and the members of functions it does not count as readers). A worker
 * lints with this slice instead of the whole index.
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
  const ioctls: [string, IoctlMethod][] = [];
  for (const n of summary.ioctlRefs) {
    const m = index.ioctlMethod(n);
    if (m) ioctls.push([n, m]);
  }
  const macros: [string, MacroSummary | null][] = [];
  for (const n of summary.macroRefs) {
    const m = index.macro(n);
    if (m !== undefined) macros.push([n, effective(m) ?? null]);
  }
  const members: [string, MemberFact | null][] = [];
  for (const [, chains] of summary.memberRefs) for (const c of chains) {
    const m = index.member(c);
    if (m !== undefined) members.push([c, m]);
  }
  return { file: summary.path, roles, seeds, ioctls, macros, members };
}

/** The slice as an index: answers exactly what the whole index answered for the slice's file. */
export function sliceToIndex(slice: IndexSlice): ProjectIndex {
  const roles = new Map(slice.roles);
  const seeds = new Map(slice.seeds.map(([name, s]) => [name, new Map(s)] as const));
  const ioctls = new Map(slice.ioctls);
  const macros = new Map(slice.macros);
  const members = new Map(slice.members);
  return { paramTaint: (name) => seeds.get(name), entryPoint: (name) => roles.get(name), ioctlMethod: (name) => ioctls.get(name), macro: (name) => macros.get(name), member: (chain) => members.get(chain) };
}

/** Whether a seed of the slice was explained by a call site or registration in one of `files`. */
export function sliceCites(slice: IndexSlice, files: ReadonlySet<string>): boolean {
  for (const [, seeds] of slice.seeds) for (const [, seed] of seeds) for (const f of files) if (seedCites(seed, f)) return true;
  return false;
}

/**
 * `slice` as the whole index would now give it, after `file` changed only in positions (`map`): every citation of
 * the file moved to where its call site or registration went. Undefined if a cited position has no counterpart.
 */
export function remapSlice(slice: IndexSlice, file: string, map: PositionMap): IndexSlice | undefined {
  const seeds: (readonly [string, (readonly [number, ParamSeed])[]])[] = [];
  for (const [name, list] of slice.seeds) {
    const moved: (readonly [number, ParamSeed])[] = [];
    for (const [i, seed] of list) {
      const s = seedCites(seed, file) ? remapSeed(seed, file, map) : seed;
      if (!s) return undefined;
      moved.push([i, s]);
    }
    seeds.push([name, moved]);
  }
  return { ...slice, seeds };
}

/**
 * The origin texts that changed from `before` to `after`, a slice and its remapped copy (`remapSlice`), old text
 * to new. Undefined when rewriting them in a result could say something else than linting again would: one old
 * text with two new ones, two old texts with one new one, or an old or new text that an unchanged seed's origin
 * also reads (rules compare origins). The rewriting is one pass, so a new text that is another's old one is safe.
 */
export function originChanges(before: IndexSlice, after: IndexSlice): Map<string, string> | undefined {
  const changes = new Map<string, string>();
  const kept = new Set<string>();
  if (before.seeds.length !== after.seeds.length) return undefined;
  for (let i = 0; i < before.seeds.length; i++) {
    const [, a] = before.seeds[i];
    const [, b] = after.seeds[i];
    if (a.length !== b.length) return undefined;
    for (let j = 0; j < a.length; j++) {
      const from = a[j][1].origin;
      const to = b[j][1].origin;
      if (from === to) kept.add(from);
      else if ((changes.get(from) ?? to) !== to) return undefined;
      else changes.set(from, to);
    }
  }
  const targets = new Set(changes.values());
  if (targets.size !== changes.size) return undefined;
  for (const [from, to] of changes) if (kept.has(from) || kept.has(to)) return undefined;
  return changes;
}
