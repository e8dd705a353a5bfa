import { defineCheck } from '../../server/src/engine/rule';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import { nodeText, SubtreeMemo } from '../../server/src/engine/ast';
import { HeldAtExit, IrqlMismatch, irqlMismatches, lockAcquires, lockContractNames, LockKind, locksHeldAtExit, lockWrapper, releasingFunctions } from '../../server/src/engine/flow/locks';
import { calleeName, callsIn, isUserModeFile } from '../../server/src/engine/syntax';

/** What holding each kind of lock past the return does to the machine. */
const CONSEQUENCE: Readonly<Record<LockKind, string>> = {
  spin: 'A spin lock held at return leaves the processor at DISPATCH_LEVEL with the lock taken: the next acquire spins forever (a deadlock on a multiprocessor, a hang at raised IRQL), and code that later touches pageable memory bug-checks the machine (IRQL_NOT_LESS_OR_EQUAL).',
  queued: 'An in-stack queued spin lock held at return leaves the processor at DISPATCH_LEVEL with the lock taken and its queue entry on a stack frame that no longer exists: the next acquire deadlocks or corrupts the queue, and the raised IRQL bug-checks the machine (IRQL_NOT_LESS_OR_EQUAL).',
  'wdf-spin': 'A WDF spin lock held at return leaves the processor at DISPATCH_LEVEL with the lock taken: the next acquire deadlocks, and the raised IRQL bug-checks the machine (IRQL_NOT_LESS_OR_EQUAL).',
  mutex: 'A fast mutex held at return blocks every other thread that acquires it (the driver hangs), and the thread keeps running at APC_LEVEL.',
  resource: 'A resource held at return blocks every thread that waits for it (the driver, or the file system, hangs), and a thread that returns to user mode holding one bug-checks the machine.',
  pushlock: 'A push lock held at return blocks every thread that waits for it: the driver hangs.',
  'wdf-wait': 'A wait lock held at return blocks every thread that waits for it: the driver hangs.',
};

const SPIN: ReadonlySet<LockKind> = new Set(['spin', 'queued', 'wdf-spin']);

/** What each function's body gives (see FileAnalysis.bodyAnswers). */
const answers = new SubtreeMemo<{ readonly held: readonly HeldAtExit[]; readonly irql: readonly IrqlMismatch[] }>();

export default defineCheck({
  check(ctx) {
    const src = ctx.file.source;
    if (isUserModeFile(ctx.file)) return;
    const fns = ctx.analysis.functions;
    const contracts = lockContractNames(ctx.file);
    // Syntax first: only functions that acquire a lock without testing the result build a flow.
    const keep = (f: FunctionInfo): boolean => f.errorCount === 0 && !lockWrapper(f, contracts) && lockAcquires(src, f).length > 0;
    const candidates = fns.filter(keep);
    if (!candidates.length) return;
    const helpers = releasingFunctions(src, fns);
    // Besides its body, a function's answer depends only on which of its callees release some lock.
    const variant = (f: FunctionInfo): string => [...new Set(callsIn(f.body).map((c) => calleeName(ctx.file, c) ?? ''))].filter((n) => helpers.has(n)).sort().join(',');
    const found = ctx.analysis.bodyAnswers(answers, variant, (f) => candidates.includes(f), (fn, flow) => ({ held: locksHeldAtExit(flow, fn, helpers), irql: irqlMismatches(flow, fn) }));
    for (const { value } of found) {
      for (const h of value.held) {
        const call = nodeText(src, h.acquire).replace(/\s+/g, ' ');
        const line = src.positionAt(h.atEnd ? h.exit.end : h.exit.start).line + 1;
        const where = h.atEnd ? `reaches the end of the function at line ${line}` : `returns at line ${line}`;
        ctx.report({
          node: h.acquire,
          severity: SPIN.has(h.kind) ? undefined : 'warning',
          message: `'${call}' acquires a lock that is still held when the function ${where}: on a path from here to that exit, no call releases it or is given the lock (or the object holding it) to release. ${CONSEQUENCE[h.kind]} Release the lock on that path, ideally through one cleanup exit (or an RAII guard in C++); if returning with it held is intended, say so with _Acquires_lock_ (and _IRQL_raises_ for a spin lock).`,
          path: [
            { node: h.acquire, label: 'lock acquired' },
            h.atEnd ? { start: h.exit.end - 1, end: h.exit.end, label: 'function ends with the lock held' } : { node: h.exit, label: 'returns with the lock held' },
          ],
        });
      }
      for (const m of value.irql) {
        const line = src.positionAt(m.acquire.start).line + 1;
        ctx.report({
          node: m.release,
          severity: 'warning',
          message: `'${nodeText(src, m.release).replace(/\s+/g, ' ')}' restores the IRQL saved in '${m.restored}', but the acquire of this lock at line ${line} saved it in '${m.saved}'. Restoring another acquire's IRQL may lower the processor below DISPATCH_LEVEL while another spin lock is still held, or leave it raised after the last one is released: a deadlock or an IRQL_NOT_LESS_OR_EQUAL bug check. Pass each release the variable its own acquire saved.`,
          path: [{ node: m.acquire, label: `IRQL saved in '${m.saved}'` }, { node: m.release, label: `IRQL restored from '${m.restored}'` }],
        });
      }
    }
  },
});
