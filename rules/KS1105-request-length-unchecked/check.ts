import { defineCheck } from '../../server/src/engine/rule';
import { nodeText } from '../../server/src/engine/ast';
import { unsizedBufferReads } from '../../server/src/engine/flow/buffer-reads';
import { isUserModeFile } from '../../server/src/engine/syntax';
import { kernelModeOnly } from '../../server/src/engine/user-memory';
import { internalRequest } from '../../server/src/engine/user-memory/pointers';

/** Buffers a request or a port message hands to the driver; the caller chooses their length. */
const REQUEST_TAGS = new Set(['system-buffer', 'wdf-input-buffer', 'wdf-output-buffer', 'port-message']);
/**
 * Where the request arrives and its lengths are at hand. Helpers are left alone: their callers usually check,
 * and when every caller does the buffer arrives size-checked anyway.
 */
const HANDLERS = new Set(['wdm-device-control', 'kmdf-io-device-control', 'filter-message-notify']);

export default defineCheck({
  check(ctx) {
    if (isUserModeFile(ctx.file)) return;
    const src = ctx.file.source;
    for (const { fn, flow } of ctx.analysis.taintedFunctions()) {
      if (!flow.role || !HANDLERS.has(flow.role)) continue;
      for (const read of unsizedBufferReads(fn, flow, (t) => t.tags.some((x) => REQUEST_TAGS.has(x)))) {
        // Internal device control requests come from kernel components that build them correctly.
        if (kernelModeOnly(ctx.file, read.node) || internalRequest(ctx.file, fn, read.node)) continue;
        const buffer = nodeText(src, read.base).replace(/\s+/g, ' ');
        const origin = read.taint.steps[0]?.label ?? 'request buffer';
        const port = read.taint.tags.includes('port-message');
        const wdf = read.taint.tags.some((x) => x.startsWith('wdf-'));
        const how = port
          ? "compare the callback's InputBufferLength with the size of the message structure, and treat the buffer as user memory (probe and capture it inside __try)"
          : wdf
            ? 'pass MinimumRequiredSize = sizeof(the structure) to the WdfRequestRetrieve*Buffer call (it then fails short requests with STATUS_BUFFER_TOO_SMALL)'
            : "compare Parameters.DeviceIoControl.InputBufferLength (OutputBufferLength for output) with sizeof(the structure) and complete short requests with STATUS_BUFFER_TOO_SMALL";
        ctx.report({
          node: read.node,
          message:
            `'${nodeText(src, read.node).replace(/\s+/g, ' ')}' accesses '${buffer}' (${origin}) before anything checks that the request is large enough: ` +
            `its caller chooses the length, so a short request makes this read or write run past the end of the buffer, into pool memory that belongs to someone else (a bug check, or a leak of kernel data). Before the first access, ${how}.`,
          path: [...read.taint.steps, { node: read.node, label: 'accessed with no length check' }],
        });
      }
    }
  },
});
