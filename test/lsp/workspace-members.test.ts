/** Structure member types in the editor: the workspace index brings a header's declarations to an open file. */
import { test, after } from 'node:test';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LspClient, fileUri } from './lsp-client';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'cross-file-members');
const dir = mkdtempSync(join(tmpdir(), 'kslint-lsp-members-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("an open file reads the members of a header it does not open; the header's edits on disk re-check it", async () => {
  cpSync(FIXTURES, dir, { recursive: true });
  const uri = fileUri(join(dir, 'requests.c'));
  const header = join(dir, 'requests.h');
  const client = await LspClient.start({ rootPath: dir });
  /** The lines of the KS1102 findings last published for requests.c, joined. */
  const reported = (): string | undefined => {
    const ds = [...client.published].reverse().find((p) => p.uri === uri)?.diagnostics;
    return ds && ds.filter((d) => d.code === 'KS1102').map((d) => d.range.start.line + 1).join();
  };
  const editHeader = async (from: string, to: string): Promise<void> => {
    writeFileSync(header, readFileSync(header, 'utf8').replace(from, to));
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(header), type: 2 }] });
  };
  try {
    await client.open(uri, readFileSync(join(dir, 'requests.c'), 'utf8'));
    await client.waitFor('KS1102 through the header pointer members', () => reported() === '10,20,21');
    // `Data` becomes an inline array: the copy and the indexed write read the structure itself.
    await editHeader('PUCHAR Data;', 'UCHAR Data[4];');
    await client.waitFor('only the stored pointer after the header edit', () => reported() === '20');
    // `Where` becomes a number: the local given it is no longer an alias of a user pointer (the model is rebuilt).
    await editHeader('PULONG_PTR Where;', 'ULONG_PTR Where;');
    await client.waitFor('nothing after the second header edit', () => reported() === '');
  } finally {
    await client.stop();
  }
});
