/**
 * The project config file in the editor, over real JSON-RPC: read with the command line's loader (same findings as
 * `kslint` on the same files), re-read when it changes on disk without a restart, `kslint.configPath`, a broken
 * file reported with its position while the defaults apply, and ignored in an untrusted workspace.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticSeverity } from 'vscode-languageserver/node';
import { FileChangeType } from 'vscode-languageserver/node';
import { LspClient, fileUri } from './lsp-client';
import { makeTree, removeTree, runCli } from '../cli/cli-helpers';

const DRIVER = [
  '#include <ntddk.h>', // 0
  'VOID SaveName(char *dst, const char *src, PIRP Irp)', // 1
  '{', // 2
  '    strcpy(dst, src);', // 3
  '    PVOID p = ExAllocatePoolWithTag(NonPagedPool, 16, \'gaT1\');', // 4
  '    UNREFERENCED_PARAMETER(Irp);', // 5
  '    ExFreePoolWithTag(p, \'gaT1\');', // 6
  '}', // 7
  '',
].join('\n');

const trees: string[] = [];
after(() => trees.forEach(removeTree));
function tree(files: Record<string, string>): string {
  const dir = makeTree(files, 'kslint-lsp-config-');
  trees.push(dir);
  return dir;
}

const summary = (ds: { range: { start: { line: number } }; code?: unknown; severity?: number }[]): string[] =>
  ds.map((d) => `${d.range.start.line}:${String(d.code)}:${d.severity}`).sort();

test('the nearest config file applies, with the same findings as the command line on the same file', async () => {
  const dir = tree({
    '.kslintrc.json': JSON.stringify({ rules: { KS1301: 'error', KS1201: 'off' } }),
    'src/driver.c': DRIVER,
  });
  const client = await LspClient.start({ rootPath: dir, initializationOptions: { index: false } });
  try {
    const uri = fileUri(join(dir, 'src', 'driver.c'));
    await client.open(uri, DRIVER);
    const ds = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(summary(ds), [`3:KS1301:${DiagnosticSeverity.Error}`], 'KS1301 raised to error, KS1201 off');

    const cli = await runCli(['src/driver.c', '-f', 'json', '-q'], { cwd: dir });
    const report = JSON.parse(cli.stdout) as { findings: { ruleId: string; severity: string; location: { startLine: number } }[] };
    const sev: Record<string, number> = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, note: DiagnosticSeverity.Information };
    assert.deepEqual(report.findings.map((f) => `${f.location.startLine - 1}:${f.ruleId}:${sev[f.severity]}`).sort(), summary(ds), 'editor and CLI agree');
  } finally {
    await client.stop();
  }
});

test('editing the config file on disk takes effect without a restart; a broken one is reported and the defaults apply', async () => {
  const dir = tree({ '.kslintrc.json': JSON.stringify({ rules: { KS1301: 'off', KS1201: 'off' } }), 'driver.c': DRIVER });
  const config = join(dir, '.kslintrc.json');
  const client = await LspClient.start({ rootPath: dir, initializationOptions: { index: false } });
  try {
    const uri = fileUri(join(dir, 'driver.c'));
    await client.open(uri, DRIVER);
    assert.deepEqual(summary(await client.diagnosticsFor(uri, 1)), []);

    writeFileSync(config, JSON.stringify({ rules: { KS1301: 'note', KS1201: 'off' } }));
    let mark = client.published.length;
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(config), type: FileChangeType.Changed }] });
    assert.deepEqual(summary(await client.diagnosticsFor(uri, undefined, mark)), [`3:KS1301:${DiagnosticSeverity.Information}`]);

    // A syntax error: one message naming file, line and column; nothing of the file is applied (defaults).
    writeFileSync(config, '{\n  "rules": { "KS1301": "off", }\n}\n');
    mark = client.published.length;
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(config), type: FileChangeType.Changed }] });
    const ds = await client.diagnosticsFor(uri, undefined, mark);
    assert.deepEqual(summary(ds).map((s) => s.split(':')[1]).sort(), ['KS1201', 'KS1301'], 'built-in defaults while the file is broken');
    const shown = await client.waitFor('config error message', () => client.logs.find((m) => m.startsWith('shown: ') && m.includes('.kslintrc.json')));
    assert.match(shown, /\.kslintrc\.json:2:\d+/, 'message names the file and line');
    assert.ok(client.alive);
  } finally {
    await client.stop();
  }
});

test('kslint.configPath selects another config file, relative to the workspace folder', async () => {
  const dir = tree({
    'configs/strict.yaml': 'rules:\n  KS1301: error\n  KS1201: off\n',
    'driver.c': DRIVER,
  });
  const client = await LspClient.start({ rootPath: dir, initializationOptions: { index: false, settings: { configPath: 'configs/strict.yaml' } } });
  try {
    const uri = fileUri(join(dir, 'driver.c'));
    await client.open(uri, DRIVER);
    assert.deepEqual(summary(await client.diagnosticsFor(uri, 1)), [`3:KS1301:${DiagnosticSeverity.Error}`]);
  } finally {
    await client.stop();
  }
});

test('an untrusted workspace ignores the config file: built-in rules with their defaults', async () => {
  const dir = tree({ '.kslintrc.json': JSON.stringify({ rules: { KS1301: 'off', KS1201: 'off' } }), 'driver.c': DRIVER });
  const client = await LspClient.start({ rootPath: dir, initializationOptions: { index: false, trusted: false } });
  try {
    const uri = fileUri(join(dir, 'driver.c'));
    await client.open(uri, DRIVER);
    const ids = summary(await client.diagnosticsFor(uri, 1)).map((s) => s.split(':')[1]);
    assert.deepEqual(ids.sort(), ['KS1201', 'KS1301']);
  } finally {
    await client.stop();
  }
});
