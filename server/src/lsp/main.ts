/**
 * `kslint-server`: the language server over stdio (`--stdio`), node IPC (`--node-ipc`) or a socket
 * (`--socket=PORT`). Nothing it does leaves the machine.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { RULES } from '../../../rules/index.generated';
import { KslintServer } from './server';
import { projectConfigSource } from './project-config';

const transports = ['--stdio', '--node-ipc', '--socket', '--pipe', '--clientProcessId'];
if (!process.argv.some((a) => transports.some((t) => a === t || a.startsWith(`${t}=`)))) {
  process.stderr.write('usage: kslint-server --stdio | --node-ipc | --socket=PORT\n');
  process.exit(2);
}

const connection = createConnection(ProposedFeatures.all);
// One bad request or file must never take the server down: log and carry on.
process.on('uncaughtException', (err) => connection.console.error(`internal error: ${err.stack ?? err.message}`));
process.on('unhandledRejection', (err) => connection.console.error(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));

const server: KslintServer = new KslintServer(connection, { rules: RULES, configSource: projectConfigSource(RULES, () => server.roots), version: serverVersion() });
connection.listen();

/** The version in the package.json above the server (the extension's or the repository's). */
function serverVersion(): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kslint') return pkg.version;
    } catch {
      // not here; look further up
    }
    dir = dirname(dir);
  }
  return undefined;
}
