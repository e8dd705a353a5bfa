#!/usr/bin/env node
// `kslint-server --stdio`: the kslint language server for any LSP client. Uses the bundle when one was built
// (dist/server.js), else the TypeScript build (out/).
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS launcher */
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const bundled = join(__dirname, '..', 'dist', 'server.js');
const built = join(__dirname, '..', 'out', 'server', 'src', 'lsp', 'main.js');
if (!process.argv.slice(2).some((a) => /^--(stdio|node-ipc|socket|pipe)/.test(a))) process.argv.push('--stdio');
if (existsSync(bundled)) require(bundled);
else if (existsSync(built)) require(built);
else {
  process.stderr.write('kslint-server: not built yet; run `npm run build` in the kslint folder\n');
  process.exit(2);
}
