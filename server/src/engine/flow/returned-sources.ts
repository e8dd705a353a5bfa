/**
 * What a project function (or function-like macro) returns that the data flow calls untrusted: the caller's
 * request buffer named below a parameter (`return Irp->UserBuffer;`), the system mapping of a parameter's MDL
 * (`return MmGetSystemAddressForMdlSafe(Irp->MdlAddress, p);`), or data the body read (registry or file data
 * queried into a buffer it returns). Summarized where the function is defined, from the taint of each `return`
 * value, and read back at a call: the call's value is that source, bound to the caller's argument.
 *
 * A source on some return paths counts, as a source on one branch of an `if` counts at the join: the taint analysis
 * is a may analysis. A helper that returns the caller's buffer in one of two forms (`map_user_buffer`: the user
 * address when the request has no MDL, else the MDL's mapping) returns a source on every path.
 */
import { AstNode, descendants, namedChildren, TextSource } from '../ast';
import type { FunctionInfo } from '../index/functions';
import { codeGroups, codeGroupsTag, CASES_PREFIX } from '../ioctl';
import { Fact, isTainted, sourceFact, stepsOf, union } from './facts';
import { pathOf, pathRoot, stripCasts } from './paths';
import { BUF, CALL_SOURCES, USER } from './sources';
import { calleeName } from './taint';

export interface ReturnedSource {
  /** Taint kinds (BUF | USER | VAL bits) and source tags, as the body's source gave them. */
  readonly kinds: number;
  readonly tags: readonly string[];
  /** The body's source label (`caller's user-mode buffer (UserBuffer)`). */
  readonly label: string;
  /**
   * The parameter whose request the source belongs to, and the access path below it (`.UserBuffer`; for `map`,
   * the MDL's path, `.MdlAddress`): at a call, the source is the argument's. Null for data the body itself read.
   */
  readonly param: number | null;
  readonly suffix: string | null;
  /** The value is the system mapping of the MDL at `param` + `suffix`, not the field itself. */
  readonly map: boolean;
  /** The body checked the buffer's size before returning it (a request length, a registry value's `DataLength`). */
  readonly sizeChecked: boolean;
}

/**
 * The source one evaluated value is, if it is a buffer or user address from one of the body's own sources (not a
 * parameter's). Values read through one (`return req->Index;`) are left out: what the body checked of them (a range,
 * a type's width) would not go with them.
 */
export function returnedSource(src: TextSource, f: Fact | undefined, params: readonly string[], paramNodes: readonly AstNode[] = [], sizeChecked = false): ReturnedSource | undefined {
  const kinds = isTainted(f) ? f.kinds & (BUF | USER) : 0;
  if (!f || !kinds) return undefined;
  const first = stepsOf(f.chain)[0];
  const node = first?.node;
  // SAL input buffers and `__user` parameters are the caller's own values, whatever the caller passed.
  if (!node || paramNodes.includes(node)) return undefined;
  const tags = f.tags.filter((t) => !t.startsWith(CASES_PREFIX));
  let param: number | null = null;
  let suffix: string | null = null;
  let map = false;
  let at: AstNode | undefined = node;
  if (node.type === 'call_expression' && CALL_SOURCES.get(calleeName(src, node))?.ret?.when === 'mdl') {
    at = namedChildren(descendants(node, 'argument_list')[0] ?? node).find((c) => c.type !== 'comment');
    map = true;
  }
  const p = at && pathOf(src, stripCasts(at));
  const root = p === undefined ? -1 : params.indexOf(pathRoot(p));
  // The mapping of an MDL the caller passes (`Map(PMDL Mdl)`) is a source only where the caller's MDL is one: that
  // depends on the argument, not on the body.
  if (map && root >= 0 && !p!.endsWith('.MdlAddress')) return undefined;
  if (root >= 0 && p!.length > params[root].length) {
    param = root;
    suffix = p!.slice(params[root].length);
  } else map = false;
  return { kinds, tags, label: first.label, param, suffix, map, sizeChecked: sizeChecked || f.sizeChecked };
}

const sourceKey = (s: ReturnedSource): string => JSON.stringify(s);

/** Sorted and without repeats: a summary's JSON is compared across files and runs. */
export function sortedSources(list: readonly (ReturnedSource | undefined)[]): ReturnedSource[] {
  const byKey = new Map<string, ReturnedSource>();
  for (const s of list) if (s) byKey.set(sourceKey(s), s);
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

/** The `return <expr>;` values of a body (not of functions or lambdas nested in it). */
export function returnValues(fn: FunctionInfo): AstNode[] {
  const out: AstNode[] = [];
  for (const r of descendants(fn.body, 'return_statement')) {
    let nested = false;
    for (let p = r.parent; p && p !== fn.body && !nested; p = p.parent) nested = p.type === 'lambda_expression' || p.type === 'function_definition';
    const value = namedChildren(r).find((c) => c.type !== 'comment');
    if (!nested && value) out.push(value);
  }
  return out;
}

/**
 * The value of a call of a function returning `sources`: each source as the caller's (a request field of the
 * argument, or the MDL mapping under the IOCTL codes the call runs under), with one step at the call.
 */
export function returnedValue(src: TextSource, name: string, sources: readonly ReturnedSource[], call: AstNode, args: readonly AstNode[]): Fact | undefined {
  let u: Fact | undefined;
  for (const s of sources) {
    // A parameter the caller does not pass as an access path (an expression, a call) still names a request.
    if (s.param !== null && !args[s.param]) continue;
    const codes = s.map ? codeGroupsTag(codeGroups(src, call)) : undefined;
    const tags = codes ? [...s.tags, codes].sort() : s.tags;
    u = union(u, sourceFact(s.kinds, tags[0] ?? '', `${s.label}, returned by ${name}()`, call, { tags, sizeChecked: s.sizeChecked }));
  }
  return u;
}
