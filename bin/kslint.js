#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS launcher, run by node as it is */
// The `kslint` command: runs the compiled CLI (out/, built by `npm run build`, which `npm ci` runs via `prepare`),
// or the bundle (dist/cli.js) where only that is shipped.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const compiled = join(root, 'out', 'server', 'src', 'cli', 'main.js');
const bundled = join(root, 'dist', 'cli.js');
const entry = existsSync(compiled) ? compiled : bundled;
if (!existsSync(entry)) {
  process.stderr.write(`kslint: the CLI is not built (missing ${entry}); run "npm run build" in ${root}\n`);
  process.exit(2);
}
require(entry)
  .run(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`kslint: internal error: ${(err && err.stack) || err}\n`);
      process.exitCode = 2;
    },
  );
