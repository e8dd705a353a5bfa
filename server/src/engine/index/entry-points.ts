/**
 * Driver entry-point discovery (RULES.md §3 "Entry-point discovery"): registrations written anywhere in a file
 * (`MajorFunction[IRP_MJ_DEVICE_CONTROL] = f`, `cfg.EvtIoDeviceControl = f`, `FltCreateCommunicationPort(...,
 * msgNotify, ...)`, `FLT_OPERATION_REGISTRATION` tables, notify-routine registrations) and configured entry points.
 */
import { AstNode, child, descendants, namedChildren, nodeText, SubtreeMemo } from '../ast';
import type { EntryPointRole } from '../analysis';
import type { EngineConfig } from '../config';
import { pathOf, stripCasts, subscriptIndex } from '../flow/paths';
import { callArguments, calleeName } from '../flow/taint';
import type { ParsedFile } from '../parse/parse';
import type { FunctionInfo } from './functions';

export interface Registration {
  /** Plain name of the registered function. */
  readonly function: string;
  readonly role: EntryPointRole;
  /** 0-based line and column of the registration. */
  readonly line: number;
  readonly character: number;
  /** Configured entry points only: parameters that receive untrusted buffers / values. */
  readonly bufferParams?: readonly number[];
  readonly valueParams?: readonly number[];
}

const DEVICE_CONTROL_MJ = new Set(['IRP_MJ_DEVICE_CONTROL', 'IRP_MJ_INTERNAL_DEVICE_CONTROL', 'IRP_MJ_FILE_SYSTEM_CONTROL']);
const READ_WRITE_MJ = new Set(['IRP_MJ_READ', 'IRP_MJ_WRITE']);
const IO_FLAGS = new Set(['DO_DIRECT_IO', 'DO_BUFFERED_IO']);

/**
 * The I/O type the file gives the device objects it sets up: `direct` when it sets DO_DIRECT_IO in some flags
 * (`d->Flags |= DO_DIRECT_IO`, `SET_FLAG(d->Flags, DO_DIRECT_IO)`) and DO_BUFFERED_IO in none, so that the read and
 * write requests it registers handlers for come with the caller's locked pages in `Irp->MdlAddress`. Tests of the
 * flags (`if (d->Flags & DO_DIRECT_IO)`) set nothing.
 */
function fileIoType(file: ParsedFile): 'direct' | 'other' {
  const set = new Set<string>();
  for (const id of descendants(file.root, 'identifier')) {
    const name = nodeText(file.source, id);
    if (!IO_FLAGS.has(name)) continue;
    for (let n: AstNode = id, p = id.parent; p && p.type !== 'expression_statement'; n = p, p = p.parent) {
      const into = p.type === 'assignment_expression' && n.field === 'right' ? child(p, 'left') : undefined;
      const call = p.type === 'argument_list' ? p.parent : undefined;
      if ((into && /(^|\.)Flags$/.test(pathOf(file.source, into) ?? '')) || (call && /^set_?flags?$/i.test(calleeName(file.source, call)))) {
        set.add(name);
        break;
      }
    }
  }
  return set.has('DO_DIRECT_IO') && !set.has('DO_BUFFERED_IO') ? 'direct' : 'other';
}

const FIELD_ROLES: Readonly<Record<string, EntryPointRole>> = {
  EvtIoDeviceControl: 'kmdf-io-device-control',
  EvtIoInternalDeviceControl: 'kmdf-io-device-control',
  EvtIoRead: 'kmdf-io-read',
  EvtIoWrite: 'kmdf-io-write',
  classifyFn: 'wfp-classify',
  MessageNotifyCallback: 'filter-message-notify',
  QueryRoutine: 'registry-query-routine',
};

/** Registration calls: callee -> argument index of the registered function and its role. */
const CALL_ROLES: ReadonlyMap<string, { arg: number; role: EntryPointRole }> = new Map([
  ['FltCreateCommunicationPort', { arg: 6, role: 'filter-message-notify' }],
  ['WdfDeviceInitSetIoInCallerContextCallback', { arg: 1, role: 'kmdf-in-caller-context' }],
  ['PsSetCreateProcessNotifyRoutine', { arg: 0, role: 'notify-callback' }],
  ['PsSetCreateProcessNotifyRoutineEx', { arg: 0, role: 'notify-callback' }],
  ['PsSetCreateProcessNotifyRoutineEx2', { arg: 1, role: 'notify-callback' }],
  ['PsSetCreateThreadNotifyRoutine', { arg: 0, role: 'notify-callback' }],
  ['PsSetCreateThreadNotifyRoutineEx', { arg: 1, role: 'notify-callback' }],
  ['PsSetLoadImageNotifyRoutine', { arg: 0, role: 'notify-callback' }],
  ['PsSetLoadImageNotifyRoutineEx', { arg: 0, role: 'notify-callback' }],
  ['CmRegisterCallback', { arg: 0, role: 'notify-callback' }],
  ['CmRegisterCallbackEx', { arg: 0, role: 'notify-callback' }],
]);

/** The function named by an expression (`f`, `&f`, `(PDRIVER_DISPATCH)f`, the end of `a = b = f`). */
function functionRef(file: ParsedFile, expr: AstNode | undefined): string | undefined {
  let e = expr && stripCasts(expr);
  for (let guard = 0; e && guard < 16 && e.type === 'assignment_expression'; guard++) e = child(e, 'right') && stripCasts(child(e, 'right')!);
  if (e && e.type === 'pointer_expression' && nodeText(file.source, e).startsWith('&')) e = child(e, 'argument') && stripCasts(child(e, 'argument')!);
  if (!e) return undefined;
  if (e.type === 'identifier') {
    const t = nodeText(file.source, e);
    return t === 'NULL' || t === 'nullptr' ? undefined : t;
  }
  if (e.type === 'qualified_identifier') return nodeText(file.source, e).split('::').pop()?.trim();
  return undefined;
}

/** The node types a registration is read from (see the cases below). */
const REGISTRATION_NODES: ReadonlySet<string> = new Set(['assignment_expression', 'initializer_pair', 'call_expression', 'declaration']);

/**
 * A registration found in one top-level declaration, before file-wide facts and positions are added: `readWrite`
 * marks an IRP_MJ_READ/WRITE dispatch, whose role depends on the file's I/O type.
 */
interface UnitRegistration {
  readonly fn: string;
  readonly role: EntryPointRole;
  readonly at: AstNode;
  readonly readWrite?: boolean;
}

/** Registrations per top-level declaration (syntax only, so kept across editor edits: see SubtreeMemo). */
const unitRegistrations = new SubtreeMemo<readonly UnitRegistration[]>();

export function findRegistrations(file: ParsedFile, functions: readonly FunctionInfo[], config: EngineConfig): Registration[] {
  const out: Registration[] = [];
  const src = file.source;
  const add = (fn: string | undefined, role: EntryPointRole, at: AstNode): void => {
    if (!fn) return;
    const pos = src.positionAt(at.start);
    out.push({ function: fn, role, line: pos.line, character: pos.character });
  };
  let ioType: 'direct' | 'other' | undefined;
  for (const unit of file.root.children) {
    for (const r of unitRegistrations.get(unit, '', () => registrationsIn(file, unit))) {
      add(r.fn, r.readWrite && (ioType ??= fileIoType(file)) === 'direct' ? 'wdm-direct-read-write' : r.role, r.at);
    }
  }
  for (const fn of functions) {
    if (fn.name === 'DriverEntry') add(fn.name, 'driver-entry', fn.node);
    for (const ep of config.entryPoints) {
      if (ep.function !== fn.name && ep.function !== fn.qualifiedName) continue;
      const pos = src.positionAt(fn.node.start);
      out.push({ function: fn.name, role: 'configured', line: pos.line, character: pos.character, bufferParams: ep.bufferParams ?? [], valueParams: ep.valueParams ?? [] });
    }
  }
  return out;
}

/** The registrations one top-level declaration makes (see UnitRegistration). */
function registrationsIn(file: ParsedFile, unit: AstNode): UnitRegistration[] {
  const out: UnitRegistration[] = [];
  const src = file.source;
  const add = (fn: string | undefined, role: EntryPointRole, at: AstNode, readWrite = false): void => {
    if (fn) out.push({ fn, role, at, readWrite });
  };
  for (const n of descendants(unit, REGISTRATION_NODES)) {
    switch (n.type) {
      case 'assignment_expression': {
        const left = child(n, 'left');
        const l = left && stripCasts(left);
        if (!l) break;
        if (l.type === 'subscript_expression') {
          const base = child(l, 'argument');
          const bp = base && pathOf(src, base);
          if (bp && (bp === 'MajorFunction' || bp.endsWith('.MajorFunction'))) {
            const idx = subscriptIndex(l);
            const mj = idx ? nodeText(src, stripCasts(idx)).trim() : '';
            add(functionRef(file, child(n, 'right')), DEVICE_CONTROL_MJ.has(mj) ? 'wdm-device-control' : 'wdm-dispatch', n, READ_WRITE_MJ.has(mj));
          }
          break;
        }
        const p = pathOf(src, l);
        const field = p?.split('.').pop();
        if (field && Object.prototype.hasOwnProperty.call(FIELD_ROLES, field)) add(functionRef(file, child(n, 'right')), FIELD_ROLES[field], n);
        break;
      }
      case 'initializer_pair': {
        const des = child(n, 'designator');
        const name = des ? nodeText(src, des).replace(/^\./, '').trim() : '';
        if (Object.prototype.hasOwnProperty.call(FIELD_ROLES, name)) add(functionRef(file, child(n, 'value')), FIELD_ROLES[name], n);
        break;
      }
      case 'call_expression': {
        const spec = CALL_ROLES.get(calleeName(src, n));
        if (spec) add(functionRef(file, callArguments(n)[spec.arg]), spec.role, n);
        break;
      }
      case 'declaration': {
        const type = child(n, 'type');
        // RTL_QUERY_REGISTRY_TABLE entries written in order: QueryRoutine first.
        if (type && /\bRTL_QUERY_REGISTRY_TABLE\b/.test(nodeText(src, type))) {
          for (const list of n.children.filter((c) => c.type === 'init_declarator').map((c) => child(c, 'value'))) {
            for (const entry of list ? namedChildren(list) : []) {
              if (entry.type === 'initializer_list') add(functionRef(file, namedChildren(entry).find((c) => c.type !== 'comment')), 'registry-query-routine', entry);
            }
          }
        }
        if (type && /FLT_OPERATION_REGISTRATION/.test(nodeText(src, type))) {
          for (const list of n.children.filter((c) => c.type === 'init_declarator').map((c) => child(c, 'value'))) {
            for (const entry of list ? namedChildren(list) : []) {
              if (entry.type !== 'initializer_list') continue;
              const items = namedChildren(entry).filter((c) => c.type !== 'comment');
              add(functionRef(file, items[2]), 'filter-preop', entry);
              add(functionRef(file, items[3]), 'filter-postop', entry);
            }
          }
        }
        break;
      }
      default:
        break;
    }
  }
  return out;
}
