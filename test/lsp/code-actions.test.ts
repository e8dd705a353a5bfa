/** Code actions, fix-all and hover over real JSON-RPC. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeAction, Diagnostic, Hover, TextDocumentEdit, TextEdit } from 'vscode-languageserver/node';
import { LspClient, fileUri, FULL_CAPABILITIES } from './lsp-client';

const dir = mkdtempSync(join(tmpdir(), 'kslint-lsp-actions-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ALLOC = [
  'NTSTATUS CreateContext(PDEVICE_CONTEXT Device, SIZE_T Size)', // 0
  '{', // 1
  "    PSCAN_CONTEXT ctx = ExAllocatePool2(POOL_FLAG_NON_PAGED, Size, 'nacS');", // 2
  '    ctx->Device = Device;', // 3
  '    strcpy(ctx->Name, "scan");', // 4
  '    Device->Context = ctx;', // 5
  '    return STATUS_SUCCESS;', // 6
  '}', // 7
  'NTSTATUS Second(PDEVICE_CONTEXT Device)', // 8
  '{', // 9
  "    PSCAN_CONTEXT other = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'nacS');", // 10
  '    other->Device = Device;', // 11
  '    return STATUS_SUCCESS;', // 12
  '}', // 13
  '',
].join('\n');

const codes = (ds: Diagnostic[]): string[] => ds.map((d) => `${d.range.start.line}:${String(d.code)}`).sort();

function editsOf(action: CodeAction): TextEdit[] {
  const changes = action.edit?.documentChanges as TextDocumentEdit[] | undefined;
  assert.ok(changes?.length, `action "${action.title}" has document changes`);
  return changes.flatMap((c) => c.edits as TextEdit[]);
}

async function actionsFor(client: LspClient, uri: string, d: Diagnostic): Promise<CodeAction[]> {
  return (await client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
}

test('a safe fix is a preferred quick fix whose edit removes the finding', async () => {
  const client = await LspClient.start({ rootPath: dir });
  try {
    const uri = fileUri(join(dir, 'alloc.c'));
    await client.open(uri, ALLOC);
    const ds = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(codes(ds), ['11:KS1202', '3:KS1202', '4:KS1301']);
    const d = ds.find((x) => x.code === 'KS1202' && x.range.start.line === 3)!;
    assert.ok(d.data, 'fixes travel in data');
    const actions = await actionsFor(client, uri, d);
    const fix = actions.find((a) => a.isPreferred);
    assert.ok(fix, `a preferred fix among ${actions.map((a) => a.title).join(' | ')}`);
    assert.equal(fix.kind, 'quickfix');
    assert.match(fix.title, /STATUS_INSUFFICIENT_RESOURCES/);
    const v = await client.applyEdits(uri, editsOf(fix));
    const text = client.text(uri);
    assert.match(text, /STATUS_INSUFFICIENT_RESOURCES/, "the NULL check was inserted");
    const after = await client.diagnosticsFor(uri, v);
    const lineOf = (needle: string): number => text.split('\n').findIndex((l) => l.includes(needle));
    assert.deepEqual(codes(after), [`${lineOf('other->Device')}:KS1202`, `${lineOf('strcpy')}:KS1301`].sort(), text);
  } finally {
    await client.stop();
  }
});

test('fixes computed for an older version are not offered', async () => {
  const client = await LspClient.start({ rootPath: dir });
  try {
    const uri = fileUri(join(dir, 'stale.c'));
    await client.open(uri, ALLOC);
    const d = (await client.diagnosticsFor(uri, 1)).find((x) => x.code === 'KS1202')!;
    await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n' }]);
    await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n' }]);
    const actions = await actionsFor(client, uri, d);
    assert.ok(!actions.some((a) => a.isPreferred), 'no fix from version 1 on version 3');
    assert.ok(actions.some((a) => a.title.startsWith('Suppress KS1202')), 'suppression is still offered');
  } finally {
    await client.stop();
  }
});

test('suppress on this line: a plain edit with a placeholder reason for clients without snippets', async () => {
  const client = await LspClient.start({ rootPath: dir });
  try {
    const uri = fileUri(join(dir, 'suppress.c'));
    await client.open(uri, ALLOC);
    const d = (await client.diagnosticsFor(uri, 1)).find((x) => x.code === 'KS1301')!;
    const suppress = (await actionsFor(client, uri, d)).find((a) => a.title.startsWith('Suppress KS1301'));
    assert.ok(suppress);
    const edits = editsOf(suppress);
    assert.deepEqual(edits, [{ range: { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } }, newText: '    // kslint-disable-next-line KS1301 -- TODO: justification\n' }]);
    const v = await client.applyEdits(uri, edits);
    assert.equal(client.text(uri).split('\n')[4], '    // kslint-disable-next-line KS1301 -- TODO: justification');
    await client.diagnosticsFor(uri, v);
  } finally {
    await client.stop();
  }
});

test('suppress on this line names the check for a rule with several, so the rule\'s other checks there still report', async () => {
  const client = await LspClient.start({ rootPath: dir });
  try {
    const uri = fileUri(join(dir, 'checks.c'));
    const text = ['NTSTATUS Alloc(PVOID *Out)', '{', "    PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED_EXECUTE, 16, ' mdW');", '    *Out = p;', '    return STATUS_SUCCESS;', '}', ''].join('\n');
    await client.open(uri, text);
    const found = (await client.diagnosticsFor(uri, 1)).filter((x) => x.code === 'KS1201');
    assert.equal(found.length, 2, 'executable pool and the default tag, both KS1201, on one line');
    const tag = found.find((x) => String(x.message).includes('default pool tag'))!;
    const suppress = (await actionsFor(client, uri, tag)).find((a) => a.title.startsWith('Suppress '))!;
    assert.equal(suppress.title, 'Suppress KS1201/default-pool-tag on this line (with a justification)');
    const v = await client.applyEdits(uri, editsOf(suppress));
    assert.equal(client.text(uri).split('\n')[2], '    // kslint-disable-next-line KS1201/default-pool-tag -- TODO: justification');
    const left = (await client.diagnosticsFor(uri, v)).filter((x) => x.code === 'KS1201');
    assert.deepEqual(left.map((x) => String(x.message).slice(0, 27)), ['POOL_FLAG_NON_PAGED_EXECUTE'], 'only the default-tag finding is hidden');
  } finally {
    await client.stop();
  }
});

test('suppress on this line: a snippet edit with the cursor at the reason when the client supports snippets', async () => {
  const capabilities = { ...FULL_CAPABILITIES, workspace: { ...FULL_CAPABILITIES.workspace, workspaceEdit: { documentChanges: true, snippetEditSupport: true } } };
  const client = await LspClient.start({ rootPath: dir, capabilities });
  try {
    const uri = fileUri(join(dir, 'snippet.c'));
    await client.open(uri, ALLOC);
    const d = (await client.diagnosticsFor(uri, 1)).find((x) => x.code === 'KS1301')!;
    const suppress = (await actionsFor(client, uri, d)).find((a) => a.title.startsWith('Suppress KS1301'))!;
    const edit = (suppress.edit!.documentChanges![0] as TextDocumentEdit).edits[0] as unknown as { snippet: { kind: string; value: string } };
    assert.deepEqual(edit.snippet, { kind: 'snippet', value: '    // kslint-disable-next-line KS1301 -- $0\n' });
  } finally {
    await client.stop();
  }
});

test('source.fixAll.kslint applies every safe fix and nothing unsafe', async () => {
  const client = await LspClient.start({ rootPath: dir });
  try {
    const uri = fileUri(join(dir, 'fixall.c'));
    await client.open(uri, ALLOC);
    await client.diagnosticsFor(uri, 1);
    const actions = (await client.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll'] },
    })) as CodeAction[];
    assert.equal(actions.length, 1);
    assert.equal(actions[0].kind, 'source.fixAll.kslint');
    const v = await client.applyEdits(uri, editsOf(actions[0]));
    const left = await client.diagnosticsFor(uri, v);
    assert.deepEqual(left.map((x) => x.code), ['KS1301'], 'both allocations fixed; the banned call has no safe fix');
    assert.equal(client.text(uri).match(/STATUS_INSUFFICIENT_RESOURCES/g)?.length, 2, client.text(uri));
  } finally {
    await client.stop();
  }
});

test('hover on a flagged range shows the rule rationale, safer fix and user-mode alternative; elsewhere nothing', async () => {
  const client = await LspClient.start({ rootPath: dir });
  try {
    const uri = fileUri(join(dir, 'hover.c'));
    await client.open(uri, ALLOC);
    await client.diagnosticsFor(uri, 1);
    const hover = (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 4, character: 6 } })) as Hover;
    const value = (hover.contents as { kind: string; value: string }).value;
    assert.equal((hover.contents as { kind: string }).kind, 'markdown');
    assert.match(value, /KS1301 banned-string-apis/);
    assert.match(value, /### Why it matters\n.*kernel mode/s);
    assert.match(value, /### Safer in-kernel fix\n/);
    assert.match(value, /\[Full documentation of KS1301\]\(file:/);
    const none = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 2 } });
    assert.equal(none, null);
  } finally {
    await client.stop();
  }
});
