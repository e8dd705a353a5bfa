/**
 * Phase 2 of the project analysis: merges per-file summaries into the `ProjectIndex` (entry-point roles and
 * parameter seeds), propagating taint through call sites to a bounded fixpoint. The result depends only on the
 * set of summaries, never on their order: summaries are sorted first, the fixpoint is unique, and where several
 * call sites could explain a seed the smallest (file, position) wins.
 */
import { createHash } from 'node:crypto';
import type { EntryPointRole, ParamSeed, ProjectIndex } from '../analysis';
import { BUF, kindsFromList, kindsToList, USER, VAL } from '../flow/sources';
import { IoctlMethod, resolveCodeTags } from '../ioctl';
import { macroJson, mergeMacro } from '../flow/macro-table';
import { MacroSummary, readView } from '../flow/macro-values';
import { memberTable, memberView } from '../flow/member-types';
import type { Range } from '../source';
import type { Registration } from './entry-points';
import type { ArgExplanation, ArgSummary, CallSummary, FileSummary, FunctionSummary } from './summary';

interface SeedState {
  kinds: number;
  tags: Set<string>;
  length: boolean;
  sizeChecked: boolean;
  bounded: boolean;
}

interface Site {
  readonly summary: FileSummary;
  readonly file: string;
  readonly caller: FunctionSummary;
  readonly call: CallSummary;
  readonly argIndex: number;
  readonly arg: ArgSummary;
  /** The caller's seed key and the functions the call may reach. */
  readonly callerKey: string;
  readonly targets: readonly string[];
  /** The caller's seed version when the site was last merged (merging the same contribution again changes nothing). */
  seen: number;
  order?: string;
}

/**
 * Roles win in this order when one function is registered several ways. A direct-I/O read or write handler that
 * also handles other requests is a plain dispatch routine: its MDL is the caller's pages only for some of them.
 */
const ROLE_PRIORITY: readonly EntryPointRole[] = ['configured', 'filter-message-notify', 'wdm-device-control', 'kmdf-io-device-control', 'kmdf-io-write', 'kmdf-io-read', 'kmdf-in-caller-context', 'filter-preop', 'filter-postop', 'wdm-dispatch', 'wdm-direct-read-write', 'wfp-classify', 'notify-callback', 'driver-entry'];

type RoleSeed = { index: number; kinds: number; tag: string; length: boolean; label: string };

function roleSeeds(role: EntryPointRole, reg: Registration): RoleSeed[] {
  const len = (index: number, tag: string, label: string): RoleSeed => ({ index, kinds: VAL, tag, length: true, label });
  switch (role) {
    case 'kmdf-io-device-control':
      return [len(2, 'request-output-length', 'OutputBufferLength of the request'), len(3, 'request-input-length', 'InputBufferLength of the request')];
    case 'kmdf-io-read':
      return [len(2, 'request-output-length', 'Length of the read request')];
    case 'kmdf-io-write':
      return [len(2, 'request-input-length', 'Length of the write request')];
    case 'filter-message-notify':
      return [
        { index: 1, kinds: BUF, tag: 'port-message', length: false, label: 'message buffer sent by a user-mode client' },
        len(2, 'port-input-length', 'length of the user-mode message'),
        { index: 3, kinds: BUF, tag: 'port-output', length: false, label: 'reply buffer of a user-mode client' },
        len(4, 'port-output-length', 'length of the reply buffer'),
      ];
    case 'registry-query-routine':
      return [{ index: 2, kinds: BUF, tag: 'registry-data', length: false, label: 'value data (ValueData) that RtlQueryRegistryValues passes to a QueryRoutine' }];
    case 'configured':
      return [
        ...(reg.bufferParams ?? []).map((index) => ({ index, kinds: BUF, tag: 'configured', length: false, label: 'untrusted buffer (configured entry point)' })),
        ...(reg.valueParams ?? []).map((index) => ({ index, kinds: VAL, tag: 'configured', length: false, label: 'untrusted value (configured entry point)' })),
      ];
    default:
      return [];
  }
}

const keyOf = (file: string, name: string): string => `${file}\u0000${name}`;
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const siteKey = (s: Site): string => (s.order ??= `${s.file}\u0000${String(s.call.range.start.line).padStart(9, '0')}:${String(s.call.range.start.character).padStart(6, '0')}:${s.argIndex}`);
const explanationOf = (s: Site): ArgExplanation => s.summary.explanations[s.arg.explain] ?? { text: s.call.callee, range: s.call.range, steps: [] };
const basename = (p: string): string => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

/** Phase 2: deterministic for any order of `summaries`. */
export function buildProjectIndex(summaries: readonly FileSummary[]): ProjectIndex {
  const files = [...summaries].sort((a, b) => cmp(a.path, b.path));
  const defs = new Map<string, { file: string; fn: FunctionSummary }[]>();
  for (const s of files) for (const fn of s.functions) {
    const list = defs.get(fn.name) ?? [];
    list.push({ file: s.path, fn });
    defs.set(fn.name, list);
  }
  const resolved = new Map<string, Map<string, string[]>>();
  const resolve = (callee: string, file: string): string[] => {
    let inFile = resolved.get(file);
    if (!inFile) resolved.set(file, (inFile = new Map()));
    let out = inFile.get(callee);
    if (!out) {
      const list = defs.get(callee) ?? [];
      const local = list.filter((d) => d.file === file);
      out = [...new Set((local.length ? local : list).map((d) => keyOf(d.file, callee)))];
      inFile.set(callee, out);
    }
    return out;
  };

  const ioctls = ioctlMethods(files);
  const macros = macroTable(files);
  const members = memberTable(files.map((s) => s.types));
  const roles = new Map<string, { role: EntryPointRole; reg: Registration; file: string }>();
  for (const s of files) for (const reg of s.registrations) {
    const cur = roles.get(reg.function);
    if (!cur || ROLE_PRIORITY.indexOf(reg.role) < ROLE_PRIORITY.indexOf(cur.role)) roles.set(reg.function, { role: reg.role, reg, file: s.path });
  }

  const seeds = new Map<string, Map<number, SeedState>>();
  const rolePaths = new Map<string, { file: string; range: Range; label: string }>();
  for (const [name, r] of roles) {
    for (const target of resolve(name, r.file)) {
      const m = seeds.get(target) ?? new Map<number, SeedState>();
      for (const rs of roleSeeds(r.role, r.reg)) {
        m.set(rs.index, { kinds: rs.kinds, tags: new Set([rs.tag]), length: rs.length, sizeChecked: false, bounded: false });
        const pos = { line: r.reg.line, character: r.reg.character };
        rolePaths.set(`${target}\u0000${rs.index}`, { file: r.file, range: { start: pos, end: pos }, label: `${rs.label}: '${name}' is registered as a ${r.role} callback` });
      }
      if (m.size) seeds.set(target, m);
    }
  }

  const sites: Site[] = [];
  for (const s of files) for (const fn of s.functions) {
    if (!fn.calls.length) continue;
    const callerKey = keyOf(s.path, fn.name);
    for (const call of fn.calls) {
      const targets = resolve(call.callee, s.path);
      if (!targets.length) continue;
      call.args.forEach((arg, argIndex) => {
        if (arg) sites.push({ summary: s, file: s.path, caller: fn, call, argIndex, arg, callerKey, targets, seen: -1 });
      });
    }
  }
  // Bumped whenever a function's seeds change: a site whose caller's seeds did not change since it was last merged
  // would merge the same contribution again, which changes nothing, so it is skipped.
  const versions = new Map<string, number>();
  const bump = (key: string): void => {
    versions.set(key, (versions.get(key) ?? 0) + 1);
  };

  const contribution = (site: Site): SeedState | undefined => {
    const callerSeeds = seeds.get(site.callerKey);
    const a = site.arg;
    if (!a.kinds.length && !callerSeeds) return undefined;
    let kinds = kindsFromList(a.kinds);
    const tags = new Set(a.tags);
    let length = a.length;
    let sizeChecked = a.sizeChecked;
    let allBounded = !kinds || a.bounded;
    for (const p of a.params) {
      const s = callerSeeds?.get(p.index);
      if (!s) continue;
      for (const t of s.tags) tags.add(t);
      if (p.loads === 0) {
        kinds |= s.kinds;
        length ||= s.length;
        if (s.kinds & (BUF | USER)) sizeChecked ||= s.sizeChecked;
        if (!s.bounded) allBounded = false;
      } else {
        kinds |= VAL;
        allBounded = false;
      }
    }
    if (!kinds) return undefined;
    // As for a fact inside a function (`looseBounded`): the parameters left unchecked decide, when only they are.
    const looseBounded = !!a.loose && a.loose.every((p) => {
      const s = callerSeeds?.get(p.index);
      return !s || (p.loads === 0 && s.bounded);
    });
    return { kinds, tags, length, sizeChecked, bounded: a.bounded || allBounded || looseBounded };
  };

  // Kinds, tags and `length` only grow; `sizeChecked` and `bounded` only shrink: the iteration is monotone.
  for (let round = 0; round < 32; round++) {
    let changed = false;
    for (const site of sites) {
      const version = versions.get(site.callerKey) ?? 0;
      if (site.seen === version) continue;
      site.seen = version;
      const c = contribution(site);
      if (!c) continue;
      for (const target of site.targets) {
        const m = seeds.get(target) ?? new Map<number, SeedState>();
        seeds.set(target, m);
        const cur = m.get(site.argIndex);
        if (!cur) {
          m.set(site.argIndex, { ...c, tags: new Set(c.tags) });
          bump(target);
          changed = true;
          continue;
        }
        const next: SeedState = { kinds: cur.kinds | c.kinds, tags: cur.tags, length: cur.length || c.length, sizeChecked: cur.sizeChecked && c.sizeChecked, bounded: cur.bounded && c.bounded };
        let grew = false;
        for (const t of c.tags) if (!cur.tags.has(t)) {
          cur.tags.add(t);
          grew = true;
        }
        if (grew || next.kinds !== cur.kinds || next.length !== cur.length || next.sizeChecked !== cur.sizeChecked || next.bounded !== cur.bounded) {
          Object.assign(cur, { kinds: next.kinds, length: next.length, sizeChecked: next.sizeChecked, bounded: next.bounded });
          bump(target);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }

  // The explaining call site of each seed: the smallest position among the sites that contribute, preferring those
  // that pass the value as unchecked as the seed says it is (a caller that checked it explains nothing a rule reports).
  const best = new Map<string, { site: Site; fits: boolean }>();
  for (const site of sites) {
    const c = contribution(site);
    if (!c) continue;
    for (const target of site.targets) {
      const k = `${target}\u0000${site.argIndex}`;
      const s = seeds.get(target)?.get(site.argIndex);
      const fits = !s || ((s.sizeChecked || !c.sizeChecked) && (s.bounded || !c.bounded));
      const cur = best.get(k);
      if (!cur || (fits && !cur.fits) || (fits === cur.fits && siteKey(site) < siteKey(cur.site))) best.set(k, { site, fits });
    }
  }
  // Per seed, the other parameters to which every call passing an unchecked value here passes that same value.
  const equalTo = new Map<string, number[]>();
  for (const site of sites) {
    const c = contribution(site);
    if (!c || c.bounded) continue;
    for (const target of site.targets) {
      const k = `${target}\u0000${site.argIndex}`;
      const cur = equalTo.get(k);
      equalTo.set(k, cur ? cur.filter((j) => site.arg.sameAs.includes(j)) : [...site.arg.sameAs]);
    }
  }
  const pathMemo = new Map<string, { file: string; range: Range; label: string }[]>();
  const pathOf = (k: string, depth: number): { file: string; range: Range; label: string }[] => {
    const memo = pathMemo.get(k);
    if (memo) return memo;
    const rp = rolePaths.get(k);
    if (rp) return [rp];
    const site = best.get(k)?.site;
    if (!site || depth > 6) return [];
    pathMemo.set(k, []);
    const a = site.arg;
    let prefix: { file: string; range: Range; label: string }[] = [];
    const x = explanationOf(site);
    // The local steps start from one parameter (`from`); they explain the seed only if data reached that one.
    let fits = true;
    if (!a.kinds.length) {
      const callerSeeds = seeds.get(site.callerKey);
      const seeded = a.params.filter((q) => callerSeeds?.has(q.index));
      const p = seeded.find((q) => q.index === x.from) ?? seeded[0];
      if (p) prefix = pathOf(`${site.callerKey}\u0000${p.index}`, depth + 1);
      fits = x.from === undefined || p?.index === x.from;
    }
    const local = fits ? x.steps.map((s) => ({ file: site.file, range: s.range, label: s.label })) : [];
    const all = [...prefix, ...local, { file: site.file, range: x.range, label: `passed to ${site.call.callee}() by ${site.caller.name}` }];
    // A long path keeps its first step, where the data came from (rules name it), and the last steps.
    const out = all.length > 12 ? [all[0], ...all.slice(-11)] : all;
    pathMemo.set(k, out);
    return out;
  };

  // Seeds by file, then function name (lookups need no joined key).
  const result = new Map<string, Map<string, Map<number, ParamSeed>>>();
  const firstByName = new Map<string, Map<number, ParamSeed>>();
  for (const [target, m] of [...seeds].sort((a, b) => cmp(a[0], b[0]))) {
    const out = new Map<number, ParamSeed>();
    for (const [index, s] of [...m].sort((a, b) => a[0] - b[0])) {
      const k = `${target}\u0000${index}`;
      const site = best.get(k)?.site;
      const path = pathOf(k, 0);
      const kinds = kindsToList(s.kinds);
      const origin = site ? `'${explanationOf(site).text}' passed by ${site.caller.name} (${basename(site.file)}:${site.call.range.start.line + 1})` : (path[0]?.label ?? 'entry-point parameter');
      const equalWhenUnchecked = s.bounded || rolePaths.has(k) ? [] : (equalTo.get(k) ?? []);
      out.set(index, { kind: kinds[0], kinds, origin, file: site?.file ?? path[0]?.file, line: site ? site.call.range.start.line : path[0]?.range.start.line, tags: resolveCodeTags([...s.tags].sort(), ioctls), length: s.length, sizeChecked: s.sizeChecked, bounded: s.bounded, equalWhenUnchecked, path });
    }
    const sep = target.indexOf('\u0000');
    const file = target.slice(0, sep);
    const name = target.slice(sep + 1);
    let inFile = result.get(file);
    if (!inFile) result.set(file, (inFile = new Map()));
    inFile.set(name, out);
    // Targets are sorted, so the first one of a name is the smallest (file, name) key.
    if (!firstByName.has(name)) firstByName.set(name, out);
  }
  const definedIn = new Map<string, Set<string>>();
  for (const s of files) {
    let names = definedIn.get(s.path);
    if (!names) definedIn.set(s.path, (names = new Set()));
    for (const fn of s.functions) names.add(fn.name);
  }

  return {
    paramTaint(functionName, file) {
      if (file !== undefined && definedIn.get(file)?.has(functionName)) return result.get(file)?.get(functionName);
      return firstByName.get(functionName);
    },
    entryPoint: (name) => roles.get(name)?.role,
    ioctlMethod: ioctls,
    macro: (name) => macros.get(name),
    member: members,
  };
}

/**
 * Macros and single-return functions by name over every file (see flow/macro-table.ts): a name defined twice in
 * different ways, or also as a function that is not one `return`, is null.
 */
function macroTable(files: readonly FileSummary[]): Map<string, MacroSummary | null> {
  const out = new Map<string, MacroSummary | null>();
  for (const s of files) for (const [name, m] of s.macros) mergeMacro(out, name, m);
  for (const s of files) {
    const own = new Set(s.macros.map(([name]) => name));
    for (const fn of s.functions) if (!own.has(fn.name) && out.has(fn.name)) out.set(fn.name, null);
  }
  return out;
}

/** IOCTL methods by name over every file's definitions; a name defined with two methods has none. */
function ioctlMethods(files: readonly FileSummary[]): (name: string) => IoctlMethod | undefined {
  const methods = new Map<string, IoctlMethod | null>();
  for (const s of files) for (const [name, m] of s.ioctls) {
    const cur = methods.get(name);
    methods.set(name, cur === undefined || cur === m ? m : null);
  }
  return (name) => methods.get(name) ?? undefined;
}

const seedTexts = new WeakMap<ReadonlyMap<number, ParamSeed>, string>();

function seedText(seeds: ReadonlyMap<number, ParamSeed> | undefined): string {
  if (!seeds) return '';
  let text = seedTexts.get(seeds);
  if (text === undefined) {
    text = JSON.stringify([...seeds].sort((a, b) => a[0] - b[0]));
    seedTexts.set(seeds, text);
  }
  return text;
}

/**
 * The functions whose project-level facts a file's lint reads: the ones it defines. The analysis asks the index
 * only about them (`FunctionFlow` for its own function's seeds and role, the user-memory model for its role), never
 * about a callee: a call's effect on the caller comes from the caller's own code.
 */
export function consumedNames(summary: FileSummary): string[] {
  return [...new Set(summary.functions.map((f) => f.name))].sort(cmp);
}

/**
 * Every project-level fact `summary`'s file consumes: roles and parameter seeds of the functions it defines (see
 * `consumedNames`), the methods of the IOCTL codes it refers to (`ioctlRefs`) and the macro facts of the names its
 * functions call (`macroRefs`: a header's change reaches the files using its macros) and the member facts of the
 * chains formed by its functions that read them (`memberRefs`, see `memberUsers`). Equal keys under two indexes
 * mean identical lint results for the file.
 */
export function dependencyKey(index: ProjectIndex, summary: FileSummary): string {
  const names = consumedNames(summary);
  let text = '';
  for (const n of names) text += `${n}\u0000${index.entryPoint(n) ?? ''}\u0000${seedText(index.paramTaint(n, summary.path))}\n`;
  for (const n of summary.ioctlRefs) text += `ioctl\u0000${n}\u0000${index.ioctlMethod(n) ?? ''}\n`;
  const address = new Set(summary.addressRefs);
  for (const n of summary.macroRefs) text += `macro\u0000${n}\u0000${macroJson(readView(index.macro(n), address.has(n)))}\n`;
  const users = new Set(summary.memberUsers);
  // A function calling a project function whose value is a source is reached by untrusted data (function-inputs.ts).
  const returned = summary.macroRefs.some((n) => !!index.macro(n)?.returns.length);
  for (const [fn, chains] of summary.memberRefs) {
    if (!returned && !users.has(fn) && !index.paramTaint(fn, summary.path) && !index.entryPoint(fn)) continue;
    for (const c of chains) text += `member\u0000${c}\u0000${memberView(index.member(c))}\n`;
  }
  return createHash('sha256').update(text).digest('hex');
}
