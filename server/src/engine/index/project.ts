/**
 * Phase 2 of the project analysis: merges per-file summaries into the `ProjectIndex` (entry-point roles and
 * parameter seeds), propagating taint through call sites to a bounded fixpoint. The result depends only on the
 * set of summaries, never on their order: summaries are sorted first, the fixpoint is unique, and where several
 * call sites could explain a seed the smallest (file, position) wins.
 */
import { createHash } from 'node:crypto';
import type { EntryPointRole, ParamSeed, ProjectIndex } from '../analysis';
import { BUF, kindsFromList, kindsToList, USER, VAL } from '../flow/sources';
import type { Range } from '../source';
import type { Registration } from './entry-points';
import type { ArgSummary, CallSummary, FileSummary, FunctionSummary } from './summary';

interface SeedState {
  kinds: number;
  tags: Set<string>;
  length: boolean;
  sizeChecked: boolean;
  bounded: boolean;
}

interface Site {
  readonly file: string;
  readonly caller: FunctionSummary;
  readonly call: CallSummary;
  readonly argIndex: number;
  readonly arg: ArgSummary;
}

/** Roles win in this order when one function is registered several ways. */
const ROLE_PRIORITY: readonly EntryPointRole[] = ['configured', 'filter-message-notify', 'wdm-device-control', 'kmdf-io-device-control', 'kmdf-io-write', 'kmdf-io-read', 'kmdf-in-caller-context', 'filter-preop', 'filter-postop', 'wdm-dispatch', 'wfp-classify', 'notify-callback', 'driver-entry'];

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
const siteKey = (s: Site): string => `${s.file}\u0000${String(s.call.range.start.line).padStart(9, '0')}:${String(s.call.range.start.character).padStart(6, '0')}:${s.argIndex}`;
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
  const resolve = (callee: string, file: string): string[] => {
    const list = defs.get(callee);
    if (!list) return [];
    const local = list.filter((d) => d.file === file);
    return [...new Set((local.length ? local : list).map((d) => keyOf(d.file, callee)))];
  };

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
  for (const s of files) for (const fn of s.functions) for (const call of fn.calls) {
    call.args.forEach((arg, argIndex) => {
      if (arg) sites.push({ file: s.path, caller: fn, call, argIndex, arg });
    });
  }

  const contribution = (site: Site): SeedState | undefined => {
    const callerSeeds = seeds.get(keyOf(site.file, site.caller.name));
    const a = site.arg;
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
    return { kinds, tags, length, sizeChecked, bounded: a.bounded || allBounded };
  };

  // Kinds, tags and `length` only grow; `sizeChecked` and `bounded` only shrink: the iteration is monotone.
  for (let round = 0; round < 32; round++) {
    let changed = false;
    for (const site of sites) {
      const c = contribution(site);
      if (!c) continue;
      for (const target of resolve(site.call.callee, site.file)) {
        const m = seeds.get(target) ?? new Map<number, SeedState>();
        seeds.set(target, m);
        const cur = m.get(site.argIndex);
        if (!cur) {
          m.set(site.argIndex, { ...c, tags: new Set(c.tags) });
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
          changed = true;
        }
      }
    }
    if (!changed) break;
  }

  // The explaining call site of each seed: the smallest position among the sites that contribute.
  const best = new Map<string, Site>();
  for (const site of sites) {
    if (!contribution(site)) continue;
    for (const target of resolve(site.call.callee, site.file)) {
      const k = `${target}\u0000${site.argIndex}`;
      const cur = best.get(k);
      if (!cur || siteKey(site) < siteKey(cur)) best.set(k, site);
    }
  }
  const pathMemo = new Map<string, { file: string; range: Range; label: string }[]>();
  const pathOf = (k: string, depth: number): { file: string; range: Range; label: string }[] => {
    const memo = pathMemo.get(k);
    if (memo) return memo;
    const rp = rolePaths.get(k);
    if (rp) return [rp];
    const site = best.get(k);
    if (!site || depth > 6) return [];
    pathMemo.set(k, []);
    const a = site.arg;
    let prefix: { file: string; range: Range; label: string }[] = [];
    if (!a.kinds.length) {
      const callerSeeds = seeds.get(keyOf(site.file, site.caller.name));
      const p = a.params.find((x) => callerSeeds?.has(x.index));
      if (p) prefix = pathOf(`${keyOf(site.file, site.caller.name)}\u0000${p.index}`, depth + 1);
    }
    const local = a.steps.map((s) => ({ file: site.file, range: s.range, label: s.label }));
    const out = [...prefix, ...local, { file: site.file, range: a.range, label: `passed to ${site.call.callee}() by ${site.caller.name}` }].slice(-12);
    pathMemo.set(k, out);
    return out;
  };

  const result = new Map<string, Map<number, ParamSeed>>();
  for (const [target, m] of [...seeds].sort((a, b) => cmp(a[0], b[0]))) {
    const out = new Map<number, ParamSeed>();
    for (const [index, s] of [...m].sort((a, b) => a[0] - b[0])) {
      const k = `${target}\u0000${index}`;
      const site = best.get(k);
      const path = pathOf(k, 0);
      const kinds = kindsToList(s.kinds);
      const origin = site ? `'${site.arg.text}' passed by ${site.caller.name} (${basename(site.file)}:${site.call.range.start.line + 1})` : (path[0]?.label ?? 'entry-point parameter');
      out.set(index, { kind: kinds[0], kinds, origin, file: site?.file ?? path[0]?.file, line: site ? site.call.range.start.line : path[0]?.range.start.line, tags: [...s.tags].sort(), length: s.length, sizeChecked: s.sizeChecked, bounded: s.bounded, path });
    }
    result.set(target, out);
  }
  const byName = new Map<string, string[]>();
  for (const k of result.keys()) {
    const name = k.slice(k.indexOf('\u0000') + 1);
    byName.set(name, [...(byName.get(name) ?? []), k]);
  }
  const definedIn = new Set<string>();
  for (const s of files) for (const fn of s.functions) definedIn.add(keyOf(s.path, fn.name));

  return {
    paramTaint(functionName, file) {
      if (file !== undefined && definedIn.has(keyOf(file, functionName))) return result.get(keyOf(file, functionName));
      const keys = byName.get(functionName);
      return keys && keys.length ? result.get(keys[0]) : undefined;
    },
    entryPoint: (name) => roles.get(name)?.role,
  };
}

function seedText(seeds: ReadonlyMap<number, ParamSeed> | undefined): string {
  if (!seeds) return '';
  return JSON.stringify([...seeds].sort((a, b) => a[0] - b[0]));
}

/**
 * Every project-level fact `summary`'s file consumes: roles and parameter seeds of the functions it defines and
 * calls. Equal keys under two indexes mean identical lint results for the file.
 */
export function dependencyKey(index: ProjectIndex, summary: FileSummary): string {
  const names = [...new Set([...summary.functions.map((f) => f.name), ...summary.callees])].sort(cmp);
  const h = createHash('sha256');
  for (const n of names) h.update(`${n}\u0000${index.entryPoint(n) ?? ''}\u0000${seedText(index.paramTaint(n, summary.path))}\n`);
  return h.digest('hex');
}
