/** Workspace awareness: the background index with progress, watched-file updates, cross-file re-checks. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostic } from 'vscode-languageserver/node';
import { LspClient, fileUri } from './lsp-client';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'cross-file');
const dir = mkdtempSync(join(tmpdir(), 'kslint-lsp-ws-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const hasKs1001 = (ds: Diagnostic[] | undefined): boolean => !!ds?.some((d) => d.code === 'KS1001');

test('an open helper gets the finding its caller in an unopened file causes; watched-file and buffer edits re-check it', async () => {
  cpSync(FIXTURES, dir, { recursive: true });
  const dispatch = join(dir, 'dispatch.c');
  const records = join(dir, 'records.c');
  const client = await LspClient.start({ rootPath: dir });
  try {
    const uri = fileUri(records);
    await client.open(uri, readFileSync(records, 'utf8'));
    const latest = (): Diagnostic[] | undefined => [...client.published].reverse().find((p) => p.uri === uri)?.diagnostics;

    // Once the index has dispatch.c, the helper's parameter is known to carry the request buffer.
    const ds = await client.waitFor('KS1001 from the cross-file index', () => hasKs1001(latest()) && latest());
    const f = ds.find((d) => d.code === 'KS1001')!;
    assert.equal(f.range.start.line, 9);
    const related = f.relatedInformation ?? [];
    assert.equal(related[0]?.location.uri, fileUri(dispatch), 'the path starts in the caller');
    assert.match(related[0]?.message ?? '', /SystemBuffer/);
    const kinds = client.progress.map((p) => (p as { value?: { kind?: string } }).value?.kind);
    assert.ok(kinds.includes('begin') && kinds.includes('end'), `work-done progress reported: ${kinds.join(',')}`);

    // The caller stops passing the buffer (on disk): the helper's finding goes away.
    writeFileSync(dispatch, readFileSync(dispatch, 'utf8').replace('return ParseRecords(Irp->AssociatedIrp.SystemBuffer, len);', 'return STATUS_SUCCESS;'));
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(dispatch), type: 2 }] });
    await client.waitFor('KS1001 gone after the caller changed on disk', () => !hasKs1001(latest()));

    // Editing the caller in the editor (unsaved) brings it back.
    const dUri = fileUri(dispatch);
    await client.open(dUri, readFileSync(dispatch, 'utf8'));
    const text = client.text(dUri);
    const line = text.split('\n').findIndex((l) => l.includes('return STATUS_SUCCESS;') && l.startsWith('    return'));
    await client.change(dUri, [{ range: { start: { line, character: 4 }, end: { line, character: 26 } }, text: 'return ParseRecords(Irp->AssociatedIrp.SystemBuffer, len);' }]);
    await client.waitFor('KS1001 back after the caller was edited in a buffer', () => hasKs1001(latest()));

    // Deleting the caller's file (closed first, so the disk decides) removes the finding again.
    await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri: dUri } });
    rmSync(dispatch);
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: dUri, type: 3 }] });
    await client.waitFor('KS1001 gone after the caller was deleted', () => !hasKs1001(latest()));
  } finally {
    await client.stop();
  }
});

test('an untrusted workspace is not indexed: the helper alone has no cross-file finding', async () => {
  const ws = join(dir, 'untrusted');
  cpSync(FIXTURES, ws, { recursive: true });
  const client = await LspClient.start({ rootPath: ws, initializationOptions: { trusted: false } });
  try {
    const uri = fileUri(join(ws, 'records.c'));
    await client.open(uri, readFileSync(join(ws, 'records.c'), 'utf8'));
    const ds = await client.diagnosticsFor(uri, 1);
    assert.ok(!hasKs1001(ds));
    assert.deepEqual(client.progress, [], 'no indexing progress');
    // A later edit is analysed too, and still without the other file.
    const v = await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n' }]);
    assert.ok(!hasKs1001(await client.diagnosticsFor(uri, v)));
  } finally {
    await client.stop();
  }
});

test('with a cache folder, a restarted server indexes from stored summaries and parses only changed files', async () => {
  const ws = join(dir, 'cached');
  const cacheDir = join(dir, 'index-cache');
  cpSync(FIXTURES, ws, { recursive: true });
  const records = join(ws, 'records.c');
  const indexed = (c: LspClient) => c.waitFor('the index log line', () => c.logs.find((l) => /^indexed \d+ C\/C\+\+ file/.test(l)));
  /** Starts a server, waits for the index and for the cross-file finding it brings, and returns the index log line. */
  const start = async (): Promise<string> => {
    const client = await LspClient.start({ rootPath: ws, initializationOptions: { cacheDir, indexThreads: 1 } });
    try {
      const uri = fileUri(records);
      await client.open(uri, readFileSync(records, 'utf8'));
      const log = await indexed(client);
      const latest = (): Diagnostic[] | undefined => [...client.published].reverse().find((p) => p.uri === uri)?.diagnostics;
      await client.waitFor('KS1001 from the cross-file index', () => hasKs1001(latest()));
      return log;
    } finally {
      await client.stop();
    }
  };
  const files = (log: string): [number, number] => {
    const m = /^indexed (\d+) C\/C\+\+ file\(s\).*, (\d+) from the cache/.exec(log);
    assert.ok(m, log);
    return [Number(m[1]), Number(m[2])];
  };
  const first = await start();
  const [n, cold] = files(first);
  assert.ok(n >= 2 && cold === 0, first);
  assert.match(first, new RegExp(`, ${n} parsed in a worker thread$`), 'the server thread stays free while the index is built');
  const [, warm] = files(await start());
  assert.equal(warm, n, 'every summary came from the cache');
  // A file changed while the server was down is parsed again; the others still come from the cache.
  writeFileSync(join(ws, 'dispatch.c'), `${readFileSync(join(ws, 'dispatch.c'), 'utf8')}\n// changed\n`);
  const [, afterEdit] = files(await start());
  assert.equal(afterEdit, n - 1);
});

test('with two index threads, both take files and the index gives the same cross-file finding', async () => {
  const ws = join(dir, 'threads');
  cpSync(FIXTURES, ws, { recursive: true });
  // More files than threads, so that both threads start.
  for (let i = 0; i < 12; i++) writeFileSync(join(ws, `extra${i}.c`), `static int Extra${i}(int x) { return x + ${i}; }\n`);
  const records = join(ws, 'records.c');
  const client = await LspClient.start({ rootPath: ws, initializationOptions: { indexThreads: 2 } });
  try {
    const uri = fileUri(records);
    await client.open(uri, readFileSync(records, 'utf8'));
    const log = await client.waitFor('the index log line', () => client.logs.find((l) => /^indexed \d+ C\/C\+\+ file/.test(l)));
    const n = Number(/^indexed (\d+)/.exec(log)![1]);
    assert.ok(n >= 14, log);
    assert.match(log, new RegExp(`, ${n} parsed in 2 worker threads$`));
    const latest = (): Diagnostic[] | undefined => [...client.published].reverse().find((p) => p.uri === uri)?.diagnostics;
    await client.waitFor('KS1001 from the cross-file index', () => hasKs1001(latest()));
  } finally {
    await client.stop();
  }
});
