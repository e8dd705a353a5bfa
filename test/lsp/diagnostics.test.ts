/** Diagnostics over real JSON-RPC: on open, after incremental edits, after settings changes. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticSeverity } from 'vscode-languageserver/node';
import { LspClient, fileUri } from './lsp-client';

const dir = mkdtempSync(join(tmpdir(), 'kslint-lsp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DRIVER = [
  '#include <ntddk.h>', // 0
  'VOID SaveName(char *dst, const char *src)', // 1
  '{', // 2
  '    strcpy(dst, src);', // 3
  '}', // 4
  '',
].join('\n');

const lines = (ds: { range: { start: { line: number } }; code?: unknown }[]): string[] => ds.map((d) => `${d.range.start.line}:${String(d.code)}`).sort();

test('diagnostics on open carry range, severity, code, doc link, source and version', async () => {
  const client = await LspClient.start({ rootPath: dir });
  try {
    const uri = fileUri(join(dir, 'names.c'));
    await client.open(uri, DRIVER);
    const ds = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(lines(ds), ['3:KS1301']);
    const d = ds[0];
    assert.deepEqual(d.range, { start: { line: 3, character: 4 }, end: { line: 3, character: 10 } }, 'range on the callee');
    assert.equal(d.severity, DiagnosticSeverity.Warning);
    assert.equal(d.source, 'kslint');
    assert.match(String(d.message), /strcpy/);
    const href = d.codeDescription?.href ?? '';
    assert.match(href, /^file:.*KS1301-banned-string-apis\/rule\.md$/);
    assert.ok(existsSync(fileURLToPath(href)), `rule doc ${href} exists`);
  } finally {
    await client.stop();
  }
});

test('incremental edits: insert, delete and multi-line replace each publish the right findings for their version', async () => {
  const client = await LspClient.start({ rootPath: dir });
  try {
    const uri = fileUri(join(dir, 'edits.c'));
    await client.open(uri, DRIVER);
    assert.deepEqual(lines(await client.diagnosticsFor(uri, 1)), ['3:KS1301']);

    // Insert a second banned call above the first: both findings, the old one moved down a line.
    let v = await client.change(uri, [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '    wcscat((WCHAR *)dst, L"x");\n' }]);
    assert.deepEqual(lines(await client.diagnosticsFor(uri, v)), ['3:KS1301', '4:KS1301']);

    // Delete the original call's line.
    v = await client.change(uri, [{ range: { start: { line: 4, character: 0 }, end: { line: 5, character: 0 } }, text: '' }]);
    assert.deepEqual(lines(await client.diagnosticsFor(uri, v)), ['3:KS1301']);

    // Replace the whole body (several lines) with safe code.
    v = await client.change(uri, [{ range: { start: { line: 2, character: 0 }, end: { line: 4, character: 1 } }, text: '{\n    NTSTATUS s = RtlStringCbCopyA(dst, 16, src);\n    (void)s;\n}' }]);
    assert.deepEqual(lines(await client.diagnosticsFor(uri, v)), []);
    assert.equal(client.text(uri).includes('RtlStringCbCopyA'), true);

    // Several changes in one notification, the last re-introducing a finding at a new place.
    v = await client.change(uri, [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '// header\n' },
      { range: { start: { line: 4, character: 0 }, end: { line: 4, character: 12 } }, text: '    sprintf(dst, "%s", src);\n    (void)s;' },
    ]);
    assert.deepEqual(lines(await client.diagnosticsFor(uri, v)), ['4:KS1301']);
  } finally {
    await client.stop();
  }
});

test('versions of published diagnostics never go backwards for a document', async () => {
  const client = await LspClient.start({ rootPath: dir });
  try {
    const uri = fileUri(join(dir, 'order.c'));
    await client.open(uri, DRIVER);
    let last = 0;
    for (let i = 0; i < 40; i++) {
      last = await client.change(uri, [{ range: { start: { line: 2, character: 1 }, end: { line: 2, character: 1 } }, text: i % 2 ? '\n' : ' ' }]);
    }
    await client.diagnosticsFor(uri, last);
    const versions = client.published.filter((p) => p.uri === uri).map((p) => p.version ?? 0);
    assert.deepEqual([...versions].sort((a, b) => a - b), versions, `published versions ${versions.join(',')}`);
    assert.ok(versions.length < 41, 'a burst of edits is analysed fewer times than it has edits');
  } finally {
    await client.stop();
  }
});

test('settings: kslint.enable off clears diagnostics, on brings them back; onSave waits for a save', async () => {
  const client = await LspClient.start({ rootPath: dir });
  try {
    const uri = fileUri(join(dir, 'settings.c'));
    await client.open(uri, DRIVER);
    await client.diagnosticsFor(uri, 1);
    let mark = client.published.length;
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: { kslint: { enable: false } } });
    assert.deepEqual(await client.diagnosticsFor(uri, undefined, mark), []);

    mark = client.published.length;
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: { kslint: { enable: true, run: 'onSave' } } });
    assert.deepEqual(lines(await client.diagnosticsFor(uri, undefined, mark)), ['3:KS1301']);

    // onSave: an edit alone publishes nothing new; the save does.
    const v = await client.change(uri, [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '    strcat(dst, src);\n' }]);
    mark = client.published.length;
    await client.conn.sendNotification('textDocument/didSave', { textDocument: { uri } });
    const afterSave = await client.diagnosticsFor(uri, v, mark);
    assert.deepEqual(lines(afterSave), ['3:KS1301', '4:KS1301']);
    assert.ok(!client.published.slice(0, mark).some((p) => p.uri === uri && p.version === v), 'nothing published for the edit before the save');
  } finally {
    await client.stop();
  }
});

test('a document closed is cleared; non-C documents are left alone', async () => {
  const client = await LspClient.start({ rootPath: dir });
  try {
    const uri = fileUri(join(dir, 'closed.cpp'));
    await client.open(uri, DRIVER, 'cpp');
    assert.equal((await client.diagnosticsFor(uri, 1)).length, 1);
    const mark = client.published.length;
    await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    assert.deepEqual(await client.diagnosticsFor(uri, undefined, mark), []);

    const md = fileUri(join(dir, 'notes.md'));
    await client.open(md, 'strcpy(a, b);', 'markdown');
    const untitled = 'untitled:Untitled-1';
    await client.open(untitled, DRIVER, 'c');
    assert.deepEqual(lines(await client.diagnosticsFor(untitled, 1)), ['3:KS1301']);
    assert.ok(!client.published.some((p) => p.uri === md), 'markdown is not linted');
  } finally {
    await client.stop();
  }
});
