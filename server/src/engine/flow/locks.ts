/**
 * Locks a function acquires and paths on which it returns still holding them: the question behind KS1501.
 *
 * The claim is deliberately narrow. A lock is followed only where the function both acquires it with a blocking
 * call whose value it ignores and releases the same lock expression itself somewhere; a path counts only when it
 * reaches a `return` (or the end of the body) with no call on it that could have released the lock: the matching
 * release, any call passed the lock or the object holding it, a helper named for releasing or unlocking, or a
 * function of the same file that releases some lock. Paths into exception handlers, through a no-return call, a
 * statement macro that may leave, or a branch that contradicts a condition the acquire was made under, are not
 * followed.
 */
import { AstNode, child, descendants, nodeText, TextSource } from '../ast';
import type { FunctionInfo } from '../index/functions';
import type { CfgNode } from './cfg';
import type { FunctionFlow } from './function-flow';
import { handlerEntries, mayLeave } from './must-reach';
import { isNoReturnCall } from './noreturn';
import { pathOf, stripCasts } from './paths';
import { insideLambda } from './released';
import { contradictsFailedStatus, FailedStatuses, failedStatusesAfter, failedStatusKey, NO_FAILED_STATUS } from './failed-status';
import { assumeFacts, effectFacts, factsAt, PathFacts, pathFactsKey, trackedConditions } from './path-facts';
import { reachesWithout } from './reach';
import { callArguments, calleeName } from './taint';

/** Spin locks raise IRQL; the others block other threads (and fast mutexes and resources disable APCs). */
export type LockKind = 'spin' | 'queued' | 'mutex' | 'resource' | 'pushlock' | 'wdf-spin' | 'wdf-wait';

interface Acquire {
  readonly kind: LockKind;
  /** The argument naming what is released later: the lock, or for an in-stack queued lock its handle. */
  readonly arg: number;
  /** `KeAcquireSpinLock`'s out-parameter for the previous IRQL. */
  readonly saves?: number;
  /** `ExAcquireResource*Lite(r, Wait)`: with Wait FALSE the call may fail, so it is a try-acquire. */
  readonly wait?: number;
  /** `WdfWaitLockAcquire(l, Timeout)`: with a timeout the call may fail, so only a NULL timeout always acquires. */
  readonly timeout?: number;
  /** `OldIrql = ExAcquireSpinLockExclusive(&L)`: the value is the previous IRQL, so storing it is no test. */
  readonly returnsIrql?: boolean;
}

const k = (kind: LockKind, arg = 0, extra: Partial<Acquire> = {}): Acquire => ({ kind, arg, ...extra });

export const ACQUIRES: ReadonlyMap<string, Acquire> = new Map([
  ['KeAcquireSpinLock', k('spin', 0, { saves: 1 })], ['KeAcquireSpinLockAtDpcLevel', k('spin')],
  ['KeAcquireInStackQueuedSpinLock', k('queued', 1)], ['KeAcquireInStackQueuedSpinLockAtDpcLevel', k('queued', 1)],
  ['ExAcquireFastMutex', k('mutex')], ['ExAcquireFastMutexUnsafe', k('mutex')],
  ['ExAcquireResourceExclusiveLite', k('resource', 0, { wait: 1 })], ['ExAcquireResourceSharedLite', k('resource', 0, { wait: 1 })],
  ['FltAcquireResourceExclusive', k('resource')], ['FltAcquireResourceShared', k('resource')],
  ['ExAcquirePushLockExclusive', k('pushlock')], ['ExAcquirePushLockShared', k('pushlock')],
  ['ExAcquirePushLockExclusiveEx', k('pushlock')], ['ExAcquirePushLockSharedEx', k('pushlock')],
  ['FltAcquirePushLockExclusive', k('pushlock')], ['FltAcquirePushLockShared', k('pushlock')],
  ['FltAcquirePushLockExclusiveEx', k('pushlock')], ['FltAcquirePushLockSharedEx', k('pushlock')],
  ['KeAcquireSpinLockRaiseToDpc', k('spin', 0, { returnsIrql: true })], ['ExAcquireSpinLockExclusive', k('spin', 0, { returnsIrql: true })],
  ['ExAcquireSpinLockShared', k('spin', 0, { returnsIrql: true })], ['ExAcquireSpinLockExclusiveAtDpcLevel', k('spin')],
  ['ExAcquireSpinLockSharedAtDpcLevel', k('spin')], ['NdisAcquireSpinLock', k('spin')], ['NdisDprAcquireSpinLock', k('spin')],
  ['NdisAcquireRWLockRead', k('spin')], ['NdisAcquireRWLockWrite', k('spin')],
  ['KeAcquireGuardedMutex', k('mutex')], ['KeAcquireGuardedMutexUnsafe', k('mutex')],
  ['ExAcquireSharedStarveExclusive', k('resource', 0, { wait: 1 })], ['ExAcquireSharedWaitForExclusive', k('resource', 0, { wait: 1 })],
  ['WdfSpinLockAcquire', k('wdf-spin')], ['WdfWaitLockAcquire', k('wdf-wait', 0, { timeout: 1 })],
]);

/** Release routines by the kind they release; the lock (or handle) is always the first argument. */
export const RELEASES: ReadonlyMap<string, LockKind> = new Map([
  ['KeReleaseSpinLock', 'spin'], ['KeReleaseSpinLockFromDpcLevel', 'spin'], ['ExReleaseSpinLockExclusive', 'spin'],
  ['ExReleaseSpinLockShared', 'spin'], ['ExReleaseSpinLockExclusiveFromDpcLevel', 'spin'], ['ExReleaseSpinLockSharedFromDpcLevel', 'spin'],
  ['NdisReleaseSpinLock', 'spin'], ['NdisDprReleaseSpinLock', 'spin'], ['NdisReleaseRWLock', 'spin'],
  ['KeReleaseGuardedMutex', 'mutex'], ['KeReleaseGuardedMutexUnsafe', 'mutex'],
  ['KeReleaseInStackQueuedSpinLock', 'queued'], ['KeReleaseInStackQueuedSpinLockFromDpcLevel', 'queued'],
  ['ExReleaseFastMutex', 'mutex'], ['ExReleaseFastMutexUnsafe', 'mutex'],
  ['ExReleaseResourceLite', 'resource'], ['ExReleaseResourceForThreadLite', 'resource'], ['FltReleaseResource', 'resource'],
  ['ExReleaseResourceAndLeaveCriticalRegion', 'resource'],
  ['ExReleasePushLock', 'pushlock'], ['ExReleasePushLockExclusive', 'pushlock'], ['ExReleasePushLockShared', 'pushlock'],
  ['ExReleasePushLockExclusiveEx', 'pushlock'], ['ExReleasePushLockSharedEx', 'pushlock'], ['FltReleasePushLock', 'pushlock'],
  ['FltReleasePushLockEx', 'pushlock'], ['WdfSpinLockRelease', 'wdf-spin'], ['WdfWaitLockRelease', 'wdf-wait'],
] as [string, LockKind][]);

/** Helpers whose name says they release or unlock something. */
const RELEASING_NAME = /release|unlock/i;
/** SAL annotations that make returning with a lock held (or entering with it held) part of the contract. */
const LOCK_CONTRACT = /^_(Acquires|Releases)_\w*lock_$|^_Requires_\w*lock_held_$|^_IRQL_raises_$|^_IRQL_saves_$/;
/** A function named as a lock wrapper (`AcquireTableLock`, `lock_volume`): it may return holding the lock on purpose. */
const WRAPPER_NAME = /Acquire|Lock|(^|_)(acquire|lock)/;

/** The lock (or handle) a call names, as an access path without `&`: `&Ext->Lock` and `Ext->Lock` are both `Ext.Lock`. */
export function lockKey(src: TextSource, arg: AstNode | undefined): string | undefined {
  if (!arg) return undefined;
  let a = stripCasts(arg);
  if (a.type === 'pointer_expression' && nodeText(src, a).startsWith('&')) a = stripCasts(child(a, 'argument') ?? a);
  return pathOf(src, a);
}

/** What a call does to the lock `key`, looked at one call at a time. */
type Event = 'release' | 'stop' | undefined;

export interface HeldAtExit {
  readonly acquire: AstNode;
  readonly kind: LockKind;
  readonly key: string;
  /** The `return` statement (or the body's closing brace) reached with the lock held. */
  readonly exit: AstNode;
  readonly atEnd: boolean;
}

/** Per function: which calls may release which lock. */
class LockScan {
  constructor(private readonly flow: FunctionFlow, private readonly releasingHelpers: ReadonlySet<string>) {}

  private get src(): TextSource {
    return this.flow.file.source;
  }

  event(call: AstNode, key: string): Event {
    const src = this.src;
    const name = calleeName(src, call);
    const args = callArguments(call);
    if (isNoReturnCall(src, call) || mayLeave(call, name)) return 'stop';
    if (ACQUIRES.has(name)) return lockKey(src, args[ACQUIRES.get(name)!.arg]) === key ? 'stop' : undefined;
    if (RELEASES.has(name)) return lockKey(src, args[0]) === key ? 'release' : undefined;
    if (RELEASING_NAME.test(name) || this.releasingHelpers.has(name)) return 'release';
    // Any call given the lock or the object holding it may release it.
    const owner = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : key;
    return args.some((a) => { const p = lockKey(src, a); return p === key || p === owner; }) ? 'release' : undefined;
  }

  /** The first event of the part of `root` that node `owner` evaluates after offset `after`. */
  firstEvent(root: AstNode, key: string, after: number, owner: number): Event {
    const cfg = this.flow.cfg;
    let found: Event;
    const visit = (n: AstNode): void => {
      if (found || n.end <= after) return;
      if (n !== root && cfg.owns(n) && cfg.ownerOf(n)?.id !== owner) return;
      if (n.type === 'throw_statement' || (n.type === 'identifier' && mayLeave(n, nodeText(this.src, n)))) {
        found = 'stop';
        return;
      }
      for (const c of n.children) visit(c);
      if (!found && n.type === 'call_expression' && n.start >= after) found = this.event(n, key);
    };
    visit(root);
    return found;
  }
}

/** Calls of the body that acquire a lock unconditionally (the value unused, not a try-acquire). */
export function lockAcquires(src: TextSource, fn: FunctionInfo): { call: AstNode; spec: Acquire; key: string }[] {
  const out: { call: AstNode; spec: Acquire; key: string }[] = [];
  for (const call of descendants(fn.body, 'call_expression')) {
    const spec = ACQUIRES.get(calleeName(src, call));
    if (!spec || insideLambda(call, fn.body)) continue;
    let up = call;
    while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
    const wait = spec.wait === undefined ? undefined : callArguments(call)[spec.wait];
    const timeout = spec.timeout === undefined ? undefined : callArguments(call)[spec.timeout];
    // `OldIrql = ExAcquireSpinLockExclusive(&L);` (or a declaration's value) stores the IRQL: it is no test.
    const p = up.parent;
    const storesIrql = !!spec.returnsIrql && (p?.type === 'init_declarator' || (p?.type === 'assignment_expression' && up.field === 'right' && p.parent?.type === 'expression_statement'));
    if ((p?.type !== 'expression_statement' && !storesIrql) || (wait && /^(FALSE|false|0)$/.test(nodeText(src, wait)))) continue;
    if (timeout && !/^(NULL|nullptr|0)$/.test(nodeText(src, stripCasts(timeout)))) continue;
    const key = lockKey(src, callArguments(call)[spec.arg]);
    if (key) out.push({ call, spec, key });
  }
  return out;
}

/**
 * Names of the functions whose declarations in the file carry a lock contract (`_Acquires_lock_`, `_IRQL_raises_`,
 * `_Requires_lock_held_`, ...): each such annotation belongs to the next function declarator.
 */
export function lockContractNames(file: { readonly source: TextSource; readonly root: AstNode; readonly annotations: readonly { name: string; end: number }[] }): Set<string> {
  const out = new Set<string>();
  const anns = file.annotations.filter((a) => LOCK_CONTRACT.test(a.name));
  if (!anns.length) return out;
  const decls = descendants(file.root, 'function_declarator');
  for (const a of anns) {
    const d = decls.find((x) => x.start >= a.end);
    const name = d && child(d, 'declarator');
    if (name) out.add(nodeText(file.source, name).replace(/^.*::/, ''));
  }
  return out;
}

/** The function's contract or name says it returns holding a lock, or enters holding one. */
export function lockWrapper(fn: FunctionInfo, contracts: ReadonlySet<string>): boolean {
  return WRAPPER_NAME.test(fn.name) || contracts.has(fn.name);
}

/** Names of the functions of `fns` that call a release routine (or a helper named for releasing). */
export function releasingFunctions(src: TextSource, fns: readonly FunctionInfo[]): Set<string> {
  const out = new Set<string>();
  for (const f of fns) {
    if (descendants(f.body, 'call_expression').some((c) => { const n = calleeName(src, c); return RELEASES.has(n) || RELEASING_NAME.test(n); })) out.add(f.name);
  }
  return out;
}

/** The nearest `return` statement holding `n`, if any. */
function returnOf(n: AstNode | undefined, body: AstNode): AstNode | undefined {
  for (let up = n; up && up !== body; up = up.parent) if (up.type === 'return_statement' || up.type === 'co_return_statement') return up;
  return undefined;
}

/** Every unconditional acquire of `fn` after which some path returns with the lock still held (see the module comment). */
export function locksHeldAtExit(flow: FunctionFlow, fn: FunctionInfo, releasingHelpers: ReadonlySet<string>): HeldAtExit[] {
  const src = flow.file.source;
  const cfg = flow.cfg;
  const scan = new LockScan(flow, releasingHelpers);
  const acquires = lockAcquires(src, fn);
  const releases = descendants(fn.body, 'call_expression').filter((c) => RELEASES.has(calleeName(src, c)));
  const finallies = descendants(fn.body, 'seh_finally_clause');
  const tracked = trackedConditions(flow);
  const out: HeldAtExit[] = [];
  for (const a of acquires) {
    const start = cfg.ownerOf(a.call);
    if (!start || !flow.reachable(a.call)) continue;
    // A lock the function never releases itself is handed to its caller or released elsewhere on purpose.
    const own = releases.filter((r) => lockKey(src, callArguments(r)[0]) === a.key);
    if (!own.length) continue;
    // A `__finally` runs on every way out of its `__try`.
    if (finallies.some((f) => descendants(f, 'call_expression').some((c) => scan.event(c, a.key) === 'release'))) continue;
    if (heldOnEntry(flow, a.key, acquires, own)) continue;
    const exit = firstHeldExit(flow, fn, scan, a.call, a.key, start, tracked);
    if (exit) out.push({ acquire: a.call, kind: a.spec.kind, key: a.key, exit: exit.node, atEnd: exit.atEnd });
  }
  return out;
}

/** Beyond this many search states a function is left alone: a claim about every path needs the search to finish. */
const MAX_STATES = 20000;

/**
 * The earliest exit that some path from the acquire reaches with no event for the lock, carrying along each path the
 * conditions it tested and the statuses it set to a failure, so that a branch contradicting them is not taken.
 */
function firstHeldExit(flow: FunctionFlow, fn: FunctionInfo, scan: LockScan, call: AstNode, key: string, start: CfgNode, tracked: ReadonlySet<string>): { node: AstNode; atEnd: boolean } | undefined {
  const src = flow.file.source;
  const cfg = flow.cfg;
  const handlers = handlerEntries(flow);
  const initial = factsAt(flow, start, tracked);
  const seen = new Set<string>();
  const stack: { node: CfgNode; after: number; facts: PathFacts; failed: FailedStatuses }[] = [{ node: start, after: call.end, facts: initial, failed: NO_FAILED_STATUS }];
  let exit: { node: AstNode; atEnd: boolean } | undefined;
  let states = 0;
  while (stack.length) {
    if (++states > MAX_STATES) return undefined;
    const top = stack.pop()!;
    const { node, after } = top;
    if (contradictsFailedStatus(src, node, top.failed)) continue;
    let facts = assumeFacts(src, node, top.facts, tracked);
    if (!facts) continue;
    if (node.ast && (node.kind === 'stmt' || node.kind === 'cond') && scan.firstEvent(node.ast, key, after, node.id)) continue;
    if (node.succs.includes(cfg.exit)) {
      const ret = returnOf(node.ast, fn.body);
      const here = ret ? { node: ret, atEnd: false } : { node: fn.body, atEnd: true };
      if (!exit || (here.atEnd ? fn.body.end : here.node.start) < (exit.atEnd ? fn.body.end : exit.node.start)) exit = here;
    }
    facts = effectFacts(cfg, src, node, after, facts, tracked);
    const failed = failedStatusesAfter(cfg, src, node, after, top.failed);
    const state = `${pathFactsKey(facts)}|${failedStatusKey(failed)}`;
    for (const s of node.succs) {
      if (handlers.has(s) || s === cfg.exit || seen.has(`${s}|${state}`)) continue;
      seen.add(`${s}|${state}`);
      stack.push({ node: cfg.nodes[s], after: -1, facts, failed });
    }
  }
  return exit;
}

/**
 * Some release of the lock is reached from the function's entry before any acquire of it: the caller holds it,
 * and a function that drops and retakes it (to wait, or to call out) returns holding it as it entered.
 */
function heldOnEntry(flow: FunctionFlow, key: string, acquires: readonly { call: AstNode; key: string }[], own: readonly AstNode[]): boolean {
  const cfg = flow.cfg;
  const acquireNodes = new Set(acquires.filter((x) => x.key === key).map((x) => cfg.ownerOf(x.call)?.id));
  const entry = cfg.nodes[cfg.entry];
  return own.some((r) => {
    const node = cfg.ownerOf(r);
    return !!node && (node.id === cfg.entry || reachesWithout(cfg, entry, node, (n) => acquireNodes.has(n.id)));
  });
}

/** Where `KeAcquireSpinLock` saves the IRQL, as the path a release would read: `&Old` is `Old`, `pIrql` is `*pIrql`. */
function savedIrql(src: TextSource, arg: AstNode | undefined): string | undefined {
  if (!arg) return undefined;
  const a = stripCasts(arg);
  if (a.type === 'pointer_expression' && nodeText(src, a).startsWith('&')) return lockKey(src, a);
  const p = pathOf(src, a);
  return p === undefined ? undefined : `${p}[]`;
}

export interface IrqlMismatch {
  readonly release: AstNode;
  readonly acquire: AstNode;
  /** The variable the release restores, and the one the acquire saved into. */
  readonly restored: string;
  readonly saved: string;
}

/**
 * `KeAcquireSpinLock(&L, &Old)` followed, with no other acquire or release of `L` between, by
 * `KeReleaseSpinLock(&L, Other)`: the release restores an IRQL the acquire did not save. Only locals that the
 * function gives no value by assignment count, so a copy of the saved value is not mistaken for another one.
 */
export function irqlMismatches(flow: FunctionFlow, fn: FunctionInfo): IrqlMismatch[] {
  const src = flow.file.source;
  const cfg = flow.cfg;
  const calls = descendants(fn.body, 'call_expression');
  const params = new Set(fn.params.map((p) => p.name));
  const assigned = new Set(descendants(fn.body, 'assignment_expression').map((x) => { const l = child(x, 'left'); return l ? pathOf(src, l) : undefined; }));
  const touches = (c: AstNode, key: string): boolean => {
    const name = calleeName(src, c);
    const spec = ACQUIRES.get(name);
    return spec ? lockKey(src, callArguments(c)[spec.arg]) === key : RELEASES.has(name) && lockKey(src, callArguments(c)[0]) === key;
  };
  const out: IrqlMismatch[] = [];
  for (const r of calls) {
    if (calleeName(src, r) !== 'KeReleaseSpinLock') continue;
    const [lock, irql] = callArguments(r);
    const key = lockKey(src, lock);
    const restored = irql && stripCasts(irql).type !== 'number_literal' ? pathOf(src, irql) : undefined;
    const rnode = cfg.ownerOf(r);
    if (!key || !restored || !rnode || params.has(restored) || assigned.has(restored) || /^[A-Z_0-9]+$/.test(restored)) continue;
    const between = new Set(calls.filter((c) => c !== r && touches(c, key)).map((c) => cfg.ownerOf(c)?.id));
    for (const a of calls) {
      if (calleeName(src, a) !== 'KeAcquireSpinLock' || lockKey(src, callArguments(a)[0]) !== key) continue;
      const saved = savedIrql(src, callArguments(a)[1]);
      const anode = cfg.ownerOf(a);
      if (!saved || saved === restored || !anode || anode === rnode) continue;
      if (!reachesWithout(cfg, anode, rnode, (n) => between.has(n.id))) continue;
      out.push({ release: r, acquire: a, restored, saved });
      break;
    }
  }
  return out;
}
