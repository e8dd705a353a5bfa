/** The server answers or rejects bad traffic and keeps working: malformed requests, unknown documents, huge files, edit storms. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LspClient, fileUri } from './lsp-client';
import { lintText } from '../helpers';

const DRIVER = ['VOID SaveName(char *dst, const char *src)', '{', '    strcpy(dst, src);', '}', ''].join('\n');

test('malformed and out-of-order traffic is answered or ignored, never fatal', async () => {
  const client = await LspClient.start({ rootPath: tmpdir() });
  try {
    const uri = fileUri(join(tmpdir(), 'robust.c'));
    // Requests about documents never opened, or with missing parameters.
    assert.equal(await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } }), null);
    assert.equal(await client.conn.sendRequest('textDocument/hover', {}), null);
    assert.deepEqual(await client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: 'file:///nowhere.c' } }), []);
    await assert.rejects(client.conn.sendRequest('kslint/noSuchMethod', {}), /Unhandled method|not found/i);
    assert.equal(await client.conn.sendRequest('workspace/executeCommand', { command: 'kslint.server.showRuleDocumentation', arguments: [42] }), null);
    // Notifications that make no sense.
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: 'x' }] });
    await client.conn.sendNotification('textDocument/didChange', {});
    await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: 'file:///bad.c', languageId: 'c', version: 1, text: null } });
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: 'file:///gone/a.c', type: 3 }, { uri: 42 }] });
    await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: { kslint: { enable: 'yes', run: 7 } } });

    // A real document still works, and a change with an older version than the current one is ignored.
    await client.open(uri, DRIVER);
    assert.deepEqual((await client.diagnosticsFor(uri, 1)).map((d) => d.code), ['KS1301']);
    const v = await client.change(uri, [{ range: { start: { line: 99, character: 0 }, end: { line: 120, character: 5 } }, text: '\n// tail\n' }]);
    await client.diagnosticsFor(uri, v);
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 1 }, contentChanges: [{ text: '' }] });
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri }, contentChanges: [{ text: '' }] });
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 99 }, contentChanges: [{ range: { start: { line: 'x' } }, text: '' }, { text: 5 }] });
    const hover = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 6 } });
    assert.ok(hover, 'the stale and malformed changes were ignored: the finding is still there');
    assert.ok(client.alive);
  } finally {
    await client.stop();
  }
});

test('thousands of rapid edits end with the findings of the final text, in version order', async () => {
  const client = await LspClient.start({ rootPath: tmpdir() });
  try {
    const uri = fileUri(join(tmpdir(), 'storm.c'));
    await client.open(uri, DRIVER);
    await client.diagnosticsFor(uri, 1);
    let v = 1;
    for (let i = 0; i < 3000; i++) {
      // Type and delete characters in a comment and in code; every 500th edit adds a banned call.
      const change = i % 500 === 499 ? { range: { start: { line: 1, character: 1 }, end: { line: 1, character: 1 } }, text: '\n    wcscpy((WCHAR *)dst, L"");' } : i % 2 === 0 ? { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'V' } : { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, text: '' };
      v = await client.change(uri, [change]);
    }
    const final = await client.diagnosticsFor(uri, v);
    const expected = await lintText('storm.c', client.text(uri));
    assert.deepEqual(final.map((d) => `${d.range.start.line}:${d.code}`), expected.findings.map((f) => `${f.range.start.line}:${f.ruleId}`));
    assert.equal(final.length, 7, 'six inserted calls and the original one');
    const versions = client.published.filter((p) => p.uri === uri).map((p) => p.version ?? 0);
    assert.deepEqual([...versions].sort((a, b) => a - b), versions);
    assert.ok(versions.length < 100, `a storm of 3000 edits was analysed ${versions.length} times`);
  } finally {
    await client.stop();
  }
});

test('a 5 MB document is analysed on open and on save (not per keystroke), and the server stays responsive', async () => {
  const client = await LspClient.start({ rootPath: tmpdir() });
  try {
    const uri = fileUri(join(tmpdir(), 'huge.c'));
    // Drivers embed firmware images as initialisers, and listings in comments: 5 MB of both, then a function.
    const row = Array.from({ length: 16 }, (_, i) => `0x${(i * 17).toString(16).padStart(2, '0')}`).join(', ');
    const parts: string[] = ['/*\n'];
    let size = 0;
    for (let i = 0; size < 4 * 1024 * 1024; i++) {
      const line = ` * ${i.toString(16).padStart(8, '0')}  mov eax, dword ptr [rcx+${i % 64}h]  ; listing kept for reference\n`;
      parts.push(line);
      size += line.length;
    }
    parts.push(' */\nstatic const UCHAR g_Firmware[] = {\n');
    while (size < 5 * 1024 * 1024) {
      parts.push(`    ${row},\n`);
      size += row.length + 6;
    }
    parts.push('};\n', DRIVER);
    const text = parts.join('');
    assert.ok(text.length > 5 * 1024 * 1024);
    await client.open(uri, text);
    // Generous timeouts: the point is that it finishes, not how fast (the benchmark measures speed).
    const ds = await client.diagnosticsFor(uri, 1, 0, 300_000);
    assert.deepEqual(ds.map((d) => d.code), ['KS1301']);
    const last = text.split('\n').length - 1;
    const v = await client.change(uri, [{ range: { start: { line: last, character: 0 }, end: { line: last, character: 0 } }, text: 'VOID Tail(char *d) { strcat(d, "x"); }\n' }]);
    // Requests are answered meanwhile.
    const hover = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: last - 2, character: 6 } });
    assert.ok(hover);
    const mark = client.published.length;
    await client.conn.sendNotification('textDocument/didSave', { textDocument: { uri } });
    assert.deepEqual((await client.diagnosticsFor(uri, v, mark, 300_000)).map((d) => d.code), ['KS1301', 'KS1301']);
    assert.ok(!client.published.slice(0, mark).some((p) => p.uri === uri && p.version === v), 'the keystroke alone was not analysed');
    assert.ok(client.alive);
  } finally {
    await client.stop();
  }
});
