import { defineCheck } from '../../server/src/engine/rule';
import { descendants } from '../../server/src/engine/ast';
import { calleeName, callsIn, callArgs } from '../../server/src/engine/syntax';
import { stringFix } from './fix';

/** Banned routine -> the ntstrsafe replacement named in the message. */
const BANNED: Record<string, string> = {
  strcpy: 'RtlStringCbCopyA',
  strcat: 'RtlStringCbCatA',
  sprintf: 'RtlStringCbPrintfA',
  vsprintf: 'RtlStringCbVPrintfA',
  wcscpy: 'RtlStringCbCopyW',
  wcscat: 'RtlStringCbCatW',
  swprintf: 'RtlStringCbPrintfW',
  vswprintf: 'RtlStringCbVPrintfW',
  _snprintf: 'RtlStringCbPrintfA',
  _snwprintf: 'RtlStringCbPrintfW',
  _vsnprintf: 'RtlStringCbVPrintfA',
  _vsnwprintf: 'RtlStringCbVPrintfW',
  strncpy: 'RtlStringCbCopyNA',
  wcsncpy: 'RtlStringCbCopyNW',
  strncat: 'RtlStringCbCatNA',
  wcsncat: 'RtlStringCbCatNW',
  strtok: 'a length-aware tokenizer over a counted buffer',
  wcstok: 'a length-aware tokenizer over a counted buffer',
  lstrcpy: 'RtlStringCbCopyW',
  lstrcpyA: 'RtlStringCbCopyA',
  lstrcpyW: 'RtlStringCbCopyW',
  lstrcat: 'RtlStringCbCatW',
  lstrcatA: 'RtlStringCbCatA',
  lstrcatW: 'RtlStringCbCatW',
  gets: 'a bounded read',
};

const TRUNCATING = new Set(['strncpy', 'wcsncpy', 'strncat', 'wcsncat']);

export default defineCheck({
  check(ctx) {
    for (const inc of descendants(ctx.file.root, 'preproc_include')) {
      const target = inc.children.find((c) => c.field === 'path');
      if (target && /^[<"]strsafe\.h[>"]$/i.test(ctx.text(target))) {
        ctx.report({
          node: target,
          message: "'strsafe.h' is the user-mode safe-string library; kernel code must include 'ntstrsafe.h', whose routines are built for kernel mode.",
        });
      }
    }
    for (const call of callsIn(ctx.file.root)) {
      const name = calleeName(ctx.file, call);
      if (!name || !Object.prototype.hasOwnProperty.call(BANNED, name)) continue;
      const fn = call.children.find((c) => c.field === 'function') ?? call;
      const args = callArgs(call);
      const why = TRUNCATING.has(name) ? 'does not guarantee termination and is easily mis-sized' : 'writes without a destination size';
      ctx.report({
        node: fn,
        message: `'${name}' ${why}; an oversized string from a request, registry or content file overruns kernel memory and can bug-check the machine. Use ${BANNED[name]} (ntstrsafe.h) and check its NTSTATUS.`,
        severity: args.length === 0 ? 'note' : undefined,
        fixes: stringFix(ctx.file, call, name),
      });
    }
  },
});
