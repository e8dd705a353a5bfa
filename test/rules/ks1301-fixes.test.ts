/** KS1301 quick fixes: ntstrsafe rewrites only where sizeof(destination) is the destination's size. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../helpers';
import { applyFixes } from '../helpers-fixes';

const PRELUDE = 'typedef struct _CTX { char Name[32]; char *Heap; } CTX, *PCTX;\nchar g_path[260];\n';

async function fixed(body: string, params = 'PCTX ctx, const char *src, char *ptr, char arr[16]'): Promise<string | undefined> {
  const text = `${PRELUDE}VOID F(${params})\n{\n    char local[64];\n    WCHAR wide[16];\n    ${body}\n}\n`;
  const f = (await lintText('s.c', text)).findings.find((x) => x.ruleId === 'KS1301');
  assert.ok(f, `no KS1301 finding for ${body}`);
  if (!f.fixes.length) return undefined;
  assert.equal(f.fixes[0].safety, 'unsafe');
  const out = applyFixes(text, [f]);
  assert.deepEqual((await lintText('s.c', out)).findings.filter((x) => x.ruleId === 'KS1301'), [], out);
  return out.split('\n')[6].trim();
}

test('copies, concatenations and formats into arrays become ntstrsafe calls with sizeof', async () => {
  assert.equal(await fixed('strcpy(local, src);'), 'RtlStringCbCopyA(local, sizeof(local), src);');
  assert.equal(await fixed('strcat(ctx->Name, ".sys");'), 'RtlStringCbCatA(ctx->Name, sizeof(ctx->Name), ".sys");');
  assert.equal(await fixed('wcscpy(wide, L"dev");'), 'RtlStringCbCopyW(wide, sizeof(wide), L"dev");');
  assert.equal(await fixed('sprintf(g_path, "%s\\\\%u", src, 7);'), 'RtlStringCbPrintfA(g_path, sizeof(g_path), "%s\\\\%u", src, 7);');
  assert.equal(await fixed('swprintf(wide, L"dev%u", 3);'), 'RtlStringCbPrintfW(wide, sizeof(wide), L"dev%u", 3);');
});

test('no rewrite when sizeof would measure a pointer, or the result is used, or the form is unknown', async () => {
  for (const body of [
    'strcpy(ptr, src);',
    'strcpy(arr, src);',
    'strcpy(ctx->Heap, src);',
    'strcpy(unknown, src);',
    'ptr = strcpy(local, src);',
    'swprintf(wide, 16, L"dev%u", 3);',
    'strncpy(local, src, 10);',
  ]) {
    assert.equal(await fixed(body), undefined, body);
  }
});
