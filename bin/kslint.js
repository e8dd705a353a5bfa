#!/usr/bin/env node
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS launcher, run by node as it is */
// The `kslint` command: runs the bundle (dist/cli.js, one file, so it and its workers start faster), or the
// compiled CLI (out/) when that is newer (a rebuild by `tsc --watch` while developing) or the only one built. Both
// come from `npm run build`, which `npm ci` runs via `prepare`.
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const compiled = join(root, 'out', 'server', 'src', 'cli', 'main.js');
const bundled = join(root, 'dist', 'cli.js');
const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : -1);
const entry = mtime(bundled) >= mtime(compiled) ? bundled : compiled;
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
