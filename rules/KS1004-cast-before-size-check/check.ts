import { defineCheck } from '../../server/src/engine/rule';
import { nodeText } from '../../server/src/engine/ast';
import { unsizedBufferReads } from '../../server/src/engine/flow/buffer-reads';
import type { Taint } from '../../server/src/engine/flow/taint-answer';
import { isUserModeFile } from '../../server/src/engine/syntax';
import { onlyAnnotated } from '../../server/src/engine/untrusted';

/**
 * Content buffers: file reads, mapped views, data copied in from user mode, configured sources and
 * caller-supplied byte buffers (SAL). Request buffers are KS1105's; registry headers are written by the kernel.
 */
const CONTENT_TAGS = new Set(['file-data', 'mapped-file', 'user-copy', 'configured', 'annotated-buffer']);
const BYTE_TYPES = /\b(P?UCHAR|PBYTE|BYTE|char|CHAR|PCHAR|UINT8|uint8_t|u8)\b/;

export default defineCheck({
  check(ctx) {
    if (isUserModeFile(ctx.file)) return;
    const src = ctx.file.source;
    for (const { fn, flow } of ctx.analysis.taintedFunctions()) {
      // A SAL-annotated parameter is a byte buffer to parse only when it is declared as bytes; `_In_ PFCB Fcb`
      // is a typed object whose fields the code reads as declared.
      const byteParams = fn.params
        .filter((p) => p.name && BYTE_TYPES.test(p.typeText) && p.annotations.some((a) => /^_In_reads_bytes_(opt_)?$/.test(a.name) && !!a.args && /^[A-Za-z_]\w*$/.test(a.args.trim())))
        .map((p) => `parameter '${p.name}'`);
      const accept = (t: Taint): boolean =>
        t.tags.some((x) => CONTENT_TAGS.has(x) && x !== 'annotated-buffer') || (t.tags.includes('annotated-buffer') && byteParams.some((p) => t.steps[0]?.label.startsWith(p)));
      // Structure field reads only: byte-by-byte scanners guard each step with a non-zero length test instead.
      for (const read of unsizedBufferReads(fn, flow, accept, { elements: false, derefs: false })) {
        const buffer = nodeText(src, read.base).replace(/\s+/g, ' ');
        const access = nodeText(src, read.node).replace(/\s+/g, ' ');
        const sal = onlyAnnotated(read.taint);
        ctx.report({
          node: read.node,
          severity: sal ? 'note' : undefined,
          message:
            `'${access}' reads through '${buffer}' (${read.taint.steps[0]?.label ?? 'untrusted data'}) before its length is compared with the size of the structure read: ` +
            `${sal ? 'if the caller passes fewer bytes, ' : 'a short or truncated input makes '}this read run past the end of the data (a bug check when the next page is unmapped, garbage otherwise). ` +
            `First check 'Length >= sizeof(header)', then every 'Offset + Size' against the length (as 'Size <= Length - Offset'), and check magic, version and header size before any other field.`,
          path: [...read.taint.steps, { node: read.node, label: 'read with no size check' }],
        });
      }
    }
  },
});
