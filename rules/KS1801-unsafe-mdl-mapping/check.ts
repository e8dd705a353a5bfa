import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, unwrap } from '../../server/src/engine/ast';
import { callArgs, calleeName, callsIn, flagNames, isConstantName } from '../../server/src/engine/syntax';
import { targetBuild, WINDOWS_BUILDS } from '../../server/src/engine/target-os';
import { insideTryBlock } from '../../server/src/engine/user-memory';

const PROBES = new Set(['MmProbeAndLockPages', 'MmProbeAndLockProcessPages', 'MmProbeAndLockSelectedPages']);
const NX = 'MdlMappingNoExecute';
const NX_WHY = 'without MdlMappingNoExecute the mapping is executable: anything written into the buffer (often by the caller) becomes memory the CPU will run';
/** Priority values and mapping flags; other names (variables, parameters) make the priority unknown. */
const isPriority = (n: string): boolean => /PagePriority$|^MdlMapping/.test(n) || isConstantName(n);

type Fix = { title: string; safety: 'safe' | 'unsafe'; edits: { start: number; end: number; newText: string }[] };

/** Appends `| MdlMappingNoExecute` to a priority argument that lacks it; undefined when the value is unknown. */
function noExecuteFix(ctx: RuleContext, prio: AstNode | undefined, win8: boolean): Fix[] | undefined {
  const flags = prio && flagNames(ctx.file, prio, isPriority);
  // Before Windows 8 the flag does not exist: nothing to suggest for such targets.
  if (!prio || !flags || flags.has(NX) || !win8) return undefined;
  return [{ title: `Add | ${NX}`, safety: 'safe', edits: [{ start: prio.end, end: prio.end, newText: ` | ${NX}` }] }];
}

/** Renames a call and appends arguments before its closing parenthesis. */
function rewrite(ctx: RuleContext, call: AstNode, name: string, extra: string, title: string): Fix[] {
  const fn = child(call, 'function');
  const args = callArgs(call);
  if (!fn || !args.length) return [];
  return [{ title, safety: 'unsafe', edits: [{ start: fn.start, end: fn.end, newText: name }, { start: args[args.length - 1].end, end: args[args.length - 1].end, newText: extra }] }];
}

export default defineCheck({
  check(ctx) {
    const build = targetBuild(ctx.options.minimumTargetOs);
    const win8 = build === undefined || build >= WINDOWS_BUILDS.win8;
    const prio = `NormalPagePriority${win8 ? ` | ${NX}` : ''}`;
    for (const call of callsIn(ctx.file.root)) {
      const name = calleeName(ctx.file, call);
      const fn = child(call, 'function') ?? call;
      const args = callArgs(call);
      if (name === 'MmGetSystemAddressForMdl') {
        ctx.report({
          node: fn,
          message: `'MmGetSystemAddressForMdl' bug-checks the machine when the pages cannot be mapped (it has no way to fail), so running low on system PTEs, which a caller can provoke, crashes the system. Use MmGetSystemAddressForMdlSafe(mdl, ${prio}) and fail the request with STATUS_INSUFFICIENT_RESOURCES when it returns NULL.`,
          fixes: rewrite(ctx, call, 'MmGetSystemAddressForMdlSafe', `, ${prio}`, 'Use MmGetSystemAddressForMdlSafe (then check the result for NULL)'),
        });
      } else if (name === 'MmMapLockedPages') {
        const mode = args[1] && unwrap(args[1]);
        const kernel = !!mode && ctx.text(mode) === 'KernelMode';
        ctx.report({
          node: fn,
          message: kernel
            ? `'MmMapLockedPages' is obsolete and bug-checks the machine when a kernel-mode mapping fails. Use MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, ${prio}) and handle a NULL result.`
            : `'MmMapLockedPages' is obsolete: it cannot say how the pages are cached or whether the mapping may fail, and a failed user-mode mapping raises an exception. Use MmMapLockedPagesSpecifyCache inside __try/__except; prefer not to map kernel pages into a user process at all.`,
          fixes: kernel ? rewrite(ctx, call, 'MmMapLockedPagesSpecifyCache', `, MmCached, NULL, FALSE, ${prio}`, 'Use MmMapLockedPagesSpecifyCache (then check the result for NULL)') : [],
        });
      } else if (name && PROBES.has(name) && !insideTryBlock(ctx.file, call)) {
        ctx.report({
          node: fn,
          message: `'${name}' raises an exception when the buffer is invalid, cannot be accessed as asked, or the pages cannot be locked; outside __try/__except that exception bug-checks the machine, and a caller can trigger it with a bad address. Call it inside __try, and in __except free the MDL and fail the request with GetExceptionCode().`,
        });
      } else if (name === 'MmGetSystemAddressForMdlSafe' || name === 'MmMapLockedPagesSpecifyCache') {
        const safe = name === 'MmGetSystemAddressForMdlSafe';
        const mode = args[1] && unwrap(args[1]);
        if (!safe && (!mode || ctx.text(mode) !== 'KernelMode')) continue;
        const bugcheck = safe ? undefined : args[4] && unwrap(args[4]);
        if (bugcheck && /^(TRUE|true|1)$/.test(ctx.text(bugcheck))) {
          ctx.report({ node: bugcheck, message: `BugCheckOnFailure is TRUE: when the system runs short of PTEs, which a caller can provoke, the mapping bug-checks the machine instead of returning NULL. Pass FALSE and fail the request when the result is NULL.` });
        }
        const prioArg = args[safe ? 1 : 5];
        const fixes = noExecuteFix(ctx, prioArg, win8);
        if (fixes) ctx.report({ node: prioArg, severity: 'note', message: `The mapping priority lacks ${NX}: ${NX_WHY}. Add | ${NX} (Windows 8 and later) unless code really runs from this buffer.`, fixes });
      }
    }
  },
});
