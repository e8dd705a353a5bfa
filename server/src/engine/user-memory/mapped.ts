/**
 * Memory the caller can still write that is not a user-mode address: the system mapping of the output buffer of a
 * METHOD_IN_DIRECT or METHOD_OUT_DIRECT request, or of the buffer of a read or write request to a device with
 * DO_DIRECT_IO (its handler's role, `wdm-direct-read-write`). The I/O manager probes and locks the caller's pages and the
 * driver reads them through a kernel address, so no probe or `__try` is needed; but the pages stay mapped in the
 * caller's process, whose other threads can write them while the driver reads. Only a double fetch cares, so the
 * other rules' model (`userMemory`) leaves it out.
 */
import { AstNode, child, descendants, nodeText } from '../ast';
import type { FileAnalysis, FunctionInfo } from '../analysis';
import { codeGroups, directOnly, ioctlDefinitions, IoctlMethod, LOCKED_MAPPING_TAG, methodName, UNKNOWN_CODE } from '../ioctl';
import type { ParsedFile } from '../parse/parse';
import { callArgs, calleeName } from '../syntax';
import { collectAccesses, isNestedFunction, UserMemoryModel, userMemory } from './accesses';
import { fieldName, pathOf, stripCasts } from './expr';
import { collectAliases, ExtraSources, internalRequest, isIrpName, isMessageNotify, ownIrp, UserPointer } from './pointers';
import { SIZED_ALLOCATIONS, USER } from '../flow/sources';

const MAP_CALLS = new Set(['MmGetSystemAddressForMdlSafe', 'MmGetSystemAddressForMdl']);
const RETRIEVE_OUTPUT = 'WdfRequestRetrieveOutputBuffer';
const RETRIEVE_INPUT = 'WdfRequestRetrieveInputBuffer';
const RETRIEVE_OUTPUT_MDL = 'WdfRequestRetrieveOutputWdmMdl';
/** `NdisQueryMdl(Mdl, &Va, &Length, Priority)`: maps the MDL and stores the address through its second argument. */
const QUERY_MDL = 'NdisQueryMdl';

/** Whether a call gives the mapping of a request's output pages, when the request's code uses a direct method. */
function mayMap(name: string | undefined): boolean {
  return name === RETRIEVE_OUTPUT || name === QUERY_MDL || (!!name && MAP_CALLS.has(name));
}

/**
 * The IOCTL names around mapping calls and allocations (KS1203 asks the method of a request whose length sizes one)
 * that the file does not define itself: the project facts (`ioctlMethod`) its lint reads.
 */
export function ioctlRefs(file: ParsedFile): string[] {
  const local = ioctlDefinitions(file);
  const names = new Set<string>();
  for (const call of descendants(file.root, 'call_expression')) {
    const name = calleeName(file, call);
    if (!mayMap(name) && !SIZED_ALLOCATIONS.has(name ?? '')) continue;
    for (const g of codeGroups(file.source, call)) for (const n of g) if (n !== UNKNOWN_CODE && !local.has(n) && !methodName(n)) names.add(n);
  }
  return [...names].sort();
}

/** IOCTL methods by name: the file's own definitions first, then the project's. */
export function ioctlMethodLookup(analysis: FileAnalysis): (name: string) => IoctlMethod | undefined {
  const local = ioctlDefinitions(analysis.file);
  return (name) => local.get(name) ?? analysis.project.ioctlMethod(name);
}

function mapping(origin: AstNode, label: string): UserPointer {
  return { kind: 'locked-mapping', origin, label, probedBySystem: true };
}

/** The access path `&x` passes as an out-argument. */
function outTarget(file: ParsedFile, arg: AstNode | undefined): string | undefined {
  const a = arg && stripCasts(arg);
  const target = a?.type === 'pointer_expression' && a.children[0]?.type === '&' ? child(a, 'argument') : undefined;
  return target && pathOf(file, target);
}

/** `Irp->MdlAddress` of the request being handled, or a local filled by `WdfRequestRetrieveOutputWdmMdl`. */
function requestOutputMdl(file: ParsedFile, fn: FunctionInfo, arg: AstNode | undefined, outputMdls: ReadonlySet<string>): boolean {
  const a = arg && stripCasts(arg);
  if (!a) return false;
  if (a.type === 'identifier') return outputMdls.has(nodeText(file.source, a));
  const base = fieldName(file, a) === 'MdlAddress' ? child(a, 'argument') : undefined;
  const b = base && stripCasts(base);
  if (!b) return false;
  return b.type === 'identifier' ? isIrpName(file, fn, nodeText(file.source, b)) : /irp$/i.test(fieldName(file, b) ?? '');
}

/** An IRP the caller received, named by an argument (`Irp`, `Context->Irp`), not one the function builds itself. */
function receivedIrp(file: ParsedFile, fn: FunctionInfo, arg: AstNode): boolean {
  const a = stripCasts(arg);
  if (a.type !== 'identifier') return /irp$/i.test(fieldName(file, a) ?? '');
  const name = nodeText(file.source, a);
  return isIrpName(file, fn, name) && !ownIrp(file, fn, name);
}

/**
 * The value of a project function that returns the caller's request buffer (flow/returned-sources.ts):
 * `buf = map_user_buffer(Irp, p)` with a helper returning `Irp->UserBuffer` or the mapping of `Irp->MdlAddress`.
 * Memory the caller can still write when one form it returns is, as that form written at the call would be: the raw
 * user address of a request the function received, or the mapping of its MDL where a direct mapping counts
 * (`direct()`: under direct codes, or in a read or write handler of a direct-I/O device).
 */
function returnedBuffer(analysis: FileAnalysis, fn: FunctionInfo, call: AstNode, name: string, direct: () => boolean): UserPointer | undefined {
  const file = analysis.file;
  const m = analysis.macros(name);
  const args = callArgs(call);
  if (!m?.returns.length || m.arity !== args.length || internalRequest(file, fn, call)) return undefined;
  const forms: string[] = [];
  let writable = false;
  for (const r of m.returns) {
    const arg = r.param === null ? undefined : args[r.param];
    if (!arg || r.suffix === null) continue;
    const text = nodeText(file.source, stripCasts(arg)) + r.suffix.replace(/^\./, '->');
    if (r.map) forms.push(`the system mapping of ${text}`);
    else if (r.kinds & USER) forms.push(`${text}, the caller's raw user-mode address`);
    else continue;
    writable ||= (!r.map || direct()) && (r.suffix.startsWith('.Parameters.') || receivedIrp(file, fn, arg));
  }
  return writable ? { kind: 'returned-buffer', origin: call, label: `${name}(): ${forms.join(', or ')}`, probedBySystem: true } : undefined;
}

/** The mapping sources of a function: parameters callers pass one in, and mapping calls under direct codes only. */
function mappedSources(analysis: FileAnalysis, fn: FunctionInfo): ExtraSources | undefined {
  const file = analysis.file;
  const params = new Map<string, UserPointer>();
  for (const [i, seed] of analysis.project.paramTaint(fn.name, file.path) ?? []) {
    const p = fn.params[i];
    if (!p?.name || !seed.tags?.includes(LOCKED_MAPPING_TAG) || !(seed.kinds ?? [seed.kind]).includes('buffer')) continue;
    params.set(p.name, mapping(p.node, `${p.name}: the output buffer of a direct-I/O request, ${seed.origin}`));
  }
  const outs = new Map<AstNode, { key: string; ptr: UserPointer | undefined }>();
  const values = new Map<AstNode, UserPointer>();
  const calls = descendants(fn.body, 'call_expression').map((c) => ({ c, name: calleeName(file, c) }));
  const method = ioctlMethodLookup(analysis);
  // A read or write handler of a direct-I/O device: its request's MDL is the caller's pages, whatever the code.
  const readWrite = analysis.project.entryPoint(fn.name) === 'wdm-direct-read-write';
  for (const { c, name } of calls) {
    const ptr = name && !mayMap(name) ? returnedBuffer(analysis, fn, c, name, () => readWrite || directOnly(codeGroups(file.source, c), method)) : undefined;
    if (ptr) values.set(c, ptr);
  }
  if (calls.some((x) => mayMap(x.name))) {
    const outputMdls = new Set<string>();
    for (const { c, name } of calls) {
      const key = name === RETRIEVE_OUTPUT_MDL ? outTarget(file, callArgs(c)[1]) : undefined;
      if (key) outputMdls.add(key);
      // A buffer retrieved for another code is a kernel copy: the path no longer holds a mapping after it.
      // So is one mapped from another MDL (a network buffer's).
      const other = name === RETRIEVE_INPUT || name === RETRIEVE_OUTPUT ? outTarget(file, callArgs(c)[2]) : name === QUERY_MDL ? outTarget(file, callArgs(c)[1]) : undefined;
      if (other) outs.set(c, { key: other, ptr: undefined });
    }
    for (const { c, name } of calls) {
      if (!mayMap(name) || internalRequest(file, fn, c)) continue;
      if (readWrite ? name === RETRIEVE_OUTPUT : !directOnly(codeGroups(file.source, c), method)) continue;
      const args = callArgs(c);
      if (name === RETRIEVE_OUTPUT) {
        const key = outTarget(file, args[2]);
        if (key) outs.set(c, { key, ptr: mapping(c, `${key}: the output buffer of a direct-I/O request (${RETRIEVE_OUTPUT})`) });
      } else if (requestOutputMdl(file, fn, args[0], outputMdls)) {
        const what = readWrite ? 'the buffer of a read or write request to a DO_DIRECT_IO device' : 'the output buffer of a direct-I/O request';
        const ptr = mapping(c, `${name}(${nodeText(file.source, args[0])}): ${what}`);
        const key = name === QUERY_MDL ? outTarget(file, args[1]) : undefined;
        if (key) outs.set(c, { key, ptr });
        else if (name !== QUERY_MDL) values.set(c, ptr);
      }
    }
  }
  if (!params.size && ![...outs.values()].some((o) => o.ptr) && !values.size) return undefined;
  return { params, out: (n) => outs.get(n), value: (n) => values.get(n) };
}

const cache = new WeakMap<FileAnalysis, Map<FunctionInfo, UserMemoryModel>>();

/**
 * `userMemory` plus the system mappings of direct-I/O output buffers (see above): everything the caller's other
 * threads can write while the function reads it. Depends on project facts, so it is kept per analysis.
 */
export function writableMemory(analysis: FileAnalysis, fn: FunctionInfo): UserMemoryModel {
  if (isNestedFunction(fn)) return userMemory(analysis, fn);
  let byFn = cache.get(analysis);
  if (!byFn) cache.set(analysis, (byFn = new Map()));
  let model = byFn.get(fn);
  if (!model) {
    const extra = mappedSources(analysis, fn);
    if (!extra) model = userMemory(analysis, fn);
    else {
      const aliases = collectAliases(analysis.file, fn, isMessageNotify(analysis, fn), extra);
      model = { aliases, accesses: collectAccesses(analysis.file, fn, aliases) };
    }
    byFn.set(fn, model);
  }
  return model;
}
