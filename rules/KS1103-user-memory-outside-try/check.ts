import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import type { AstNode } from '../../server/src/engine/ast';
import { calleeName } from '../../server/src/engine/syntax';
import { insideTryBlock, kernelModeOnly, userMemory, UserAccess } from '../../server/src/engine/user-memory';

const FAULT = 'another thread of the caller can unmap or re-protect the pages at any moment (a successful probe does not pin them), and the exception then bug-checks the machine';

/** The statement an access belongs to: one finding per statement is enough to point at the problem. */
function statementOf(node: AstNode): AstNode {
  let n = node;
  while (n.parent && !/_statement$|^declaration$/.test(n.type)) n = n.parent;
  return n;
}

function message(ctx: RuleContext, a: UserAccess): string {
  const code = ctx.text(a.node).replace(/\s+/g, ' ');
  const name = a.node.type === 'call_expression' ? calleeName(ctx.file, a.node) : undefined;
  switch (a.kind) {
    case 'probe':
      return `'${name}' raises an exception for a bad or misaligned user address; outside __try/__except that exception bug-checks the machine. Call it inside __try and fail the request with GetExceptionCode() in __except.`;
    case 'accessor':
      return `'${name}' raises an exception when the user address is bad; outside __try/__except that exception bug-checks the machine. Call user-mode accessors inside __try and fail the request in __except.`;
    case 'copy-read':
    case 'copy-write':
      return `'${name}' ${a.kind === 'copy-read' ? 'reads' : 'writes'} user-mode memory (${a.pointer.label}) outside __try/__except: ${FAULT}. Make the copy inside __try/__except and fail the request in __except.`;
    default:
      return `'${code}' ${a.kind === 'write' ? 'writes' : 'reads'} user-mode memory (${a.pointer.label}) outside __try/__except: ${FAULT}. Wrap every access in __try/__except, or capture the buffer once inside __try and use only the copy.`;
  }
}

export default defineCheck({
  check(ctx) {
    for (const fn of ctx.analysis.functions) {
      const reported = new Set<AstNode>();
      for (const a of userMemory(ctx.analysis, fn).accesses) {
        if (insideTryBlock(ctx.file, a.node) || kernelModeOnly(ctx.file, a.node)) continue;
        const stmt = statementOf(a.node);
        if (reported.has(stmt)) continue;
        reported.add(stmt);
        ctx.report({
          node: a.node,
          message: message(ctx, a),
          path: [
            { node: a.pointer.origin, label: a.pointer.label },
            { node: a.node, label: a.kind === 'probe' || a.kind === 'accessor' ? 'call that can raise, outside __try' : 'user-memory access outside __try' },
          ],
        });
      }
    }
  },
});
