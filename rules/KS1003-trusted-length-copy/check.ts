import { defineCheck } from '../../server/src/engine/rule';
import { descendants, nodeText } from '../../server/src/engine/ast';
import { allocatedWith, derivedPaths } from '../../server/src/engine/flow/arrays';
import { leavesOf, stripCasts } from '../../server/src/engine/flow/paths';
import { COPY_CALLS } from '../../server/src/engine/flow/sources';
import { callArguments, calleeName } from '../../server/src/engine/flow/taint';
import { isUserModeFile } from '../../server/src/engine/syntax';
import { onlyAnnotated, uncheckedDataLength } from '../../server/src/engine/untrusted';
import { requestLengthCopy } from './request-length';

/**
 * Copy lengths read from untrusted data (`tlv->Len`, `rec->Size - 4`) with no upper bound on any path to the copy.
 * Lengths of the request itself (InputBufferLength and its WDF equivalents) are KS1105's: they describe the
 * buffer, where a length field describes what the buffer claims to hold.
 */
export default defineCheck({
  check(ctx) {
    const src = ctx.file.source;
    if (isUserModeFile(ctx.file)) return;
    for (const { fn, flow } of ctx.analysis.taintedFunctions()) {
      for (const call of descendants(fn.body, 'call_expression')) {
        const name = calleeName(src, call);
        const spec = name ? COPY_CALLS.get(name) : undefined;
        if (!spec) continue;
        const args = callArguments(call);
        const len = args[spec.len];
        const dst = args[spec.dst];
        if (!len || !dst) continue;
        const lenText = nodeText(src, stripCasts(len)).replace(/\s+/g, ' ');
        const dstText = nodeText(src, stripCasts(dst)).replace(/\s+/g, ' ');
        const t = uncheckedDataLength(flow, len);
        if (!t) {
          const finding = name && requestLengthCopy(ctx.file, fn, flow, name, dst, args[spec.src], len);
          if (finding) ctx.report(finding);
          continue;
        }
        const origin = t.steps[0]?.label ?? 'untrusted data';
        const sal = onlyAnnotated(t);
        // A destination allocated with this very length holds it; the source may still be shorter than it claims.
        const sized = allocatedWith(ctx.file, fn, dst, derivedPaths(fn.body, src, leavesOf(src, len).map((l) => l.path)));
        const danger = sized
          ? `'${dstText}' was allocated with this length, but nothing shows that the source holds ${lenText} bytes, so the copy may read past the end of the input`
          : `nothing bounds it by the destination's capacity or by the bytes left in the source, so a large value ${sal ? 'may overrun' : 'overruns'} '${dstText}' (pool or stack corruption) or reads past the end of the input, and bug-checks the machine`;
        ctx.report({
          node: len,
          subKind: 'length-field',
          severity: sal || sized ? 'note' : undefined,
          message:
            `The length of this ${name} call, '${lenText}', ${sal ? 'may come' : 'comes'} from untrusted data (${origin}); ${danger}. ` +
            `Check it first against both sides, in the subtraction form that cannot wrap: 'if (${lenText} > sizeof(destination) || ${lenText} > (SIZE_T)(end - cursor)) return STATUS_INVALID_PARAMETER;'.`,
          path: [...t.steps, { node: len, label: `used as the length of ${name}` }],
        });
      }
    }
  },
});
