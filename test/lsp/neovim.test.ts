/**
 * A real third-party client: headless Neovim (Debian's `neovim`, 0.7+) starts the server, opens a driver, receives
 * the expected diagnostics, edits the buffer (Neovim's own incremental sync) and asks for code actions.
 * Neovim is installed with apt-get when missing; the test is skipped only when that is impossible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER } from './lsp-client';

function ensureNeovim(): string | undefined {
  const has = (): boolean => spawnSync('nvim', ['--version'], { stdio: 'ignore' }).status === 0;
  if (has()) return undefined;
  if (process.getuid?.() !== 0) return 'nvim is not installed and installing it needs root';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 300_000 });
  const install = spawnSync('apt-get', ['install', '-y', 'neovim'], { stdio: 'ignore', env, timeout: 600_000 });
  if (has()) return undefined;
  return `nvim could not be installed (apt-get update exit ${update.status}, install exit ${install.status})`;
}

const LUA = String.raw`
local file = os.getenv('KSLINT_NVIM_FILE')
local out = os.getenv('KSLINT_NVIM_OUT')
vim.cmd('edit ' .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
vim.api.nvim_buf_set_option(buf, 'filetype', 'c')
local uri = vim.uri_from_fname(file)
local latest = nil
local client_id = vim.lsp.start_client({
  name = 'kslint',
  cmd = { os.getenv('KSLINT_NODE'), os.getenv('KSLINT_SERVER'), '--stdio' },
  root_dir = vim.fn.fnamemodify(file, ':h'),
  handlers = {
    ['textDocument/publishDiagnostics'] = function(_, params)
      if params.uri == uri then latest = params end
    end,
  },
})
if not client_id then vim.cmd('cquit 4') end
vim.lsp.buf_attach_client(buf, client_id)
local function wait_for(n)
  return vim.wait(30000, function() return latest ~= nil and #latest.diagnostics == n end, 20)
end
local result = {}
if not wait_for(1) then io.stderr:write('timed out waiting for the first diagnostics\n') vim.cmd('cquit 3') end
result.first = latest
vim.api.nvim_buf_set_lines(buf, 3, 3, false, { '    strcat(dst, src);' })
if not wait_for(2) then io.stderr:write('timed out waiting for diagnostics after the edit\n') vim.cmd('cquit 3') end
result.edited = latest
local d = latest.diagnostics[1]
local responses = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', {
  textDocument = { uri = uri }, range = d.range, context = { diagnostics = { d } },
}, 10000)
result.actions = {}
for _, r in pairs(responses or {}) do
  for _, a in ipairs(r.result or {}) do table.insert(result.actions, a.title) end
end
local f = io.open(out, 'w')
f:write(vim.fn.json_encode(result))
f:close()
vim.lsp.stop_client(client_id)
vim.cmd('qall!')
`;

const DRIVER = ['#include <ntddk.h>', 'VOID SaveName(char *dst, const char *src)', '{', '    strcpy(dst, src);', '}', ''].join('\n');

interface Published {
  uri: string;
  diagnostics: { code: string; source: string; range: { start: { line: number; character: number } }; message: string }[];
}

test('Neovim (headless) gets diagnostics, follows its own incremental edits and lists code actions', async (t) => {
  const why = ensureNeovim();
  if (why) {
    t.skip(`Neovim unavailable: ${why}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'kslint-nvim-'));
  try {
    const file = join(dir, 'names.c');
    const out = join(dir, 'out.json');
    writeFileSync(file, DRIVER);
    writeFileSync(join(dir, 'init.lua'), LUA);
    const r = spawnSync('nvim', ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${join(dir, 'init.lua')}`], {
      env: { ...process.env, KSLINT_NVIM_FILE: file, KSLINT_NVIM_OUT: out, KSLINT_NODE: process.execPath, KSLINT_SERVER: SERVER, XDG_STATE_HOME: dir, XDG_CACHE_HOME: dir, XDG_DATA_HOME: dir },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `nvim exited with ${r.status} (signal ${r.signal}): ${r.stderr}`);
    const result = JSON.parse(readFileSync(out, 'utf8')) as { first: Published; edited: Published; actions: string[] };
    const lines = (p: Published): string[] => p.diagnostics.map((d) => `${d.range.start.line}:${d.code}`).sort();
    assert.deepEqual(lines(result.first), ['3:KS1301']);
    assert.equal(result.first.diagnostics[0].source, 'kslint');
    assert.match(result.first.diagnostics[0].message, /strcpy/);
    assert.deepEqual(lines(result.edited), ['3:KS1301', '4:KS1301']);
    assert.ok(result.actions.some((a) => /^Suppress KS1301/.test(a)), `code actions: ${result.actions.join(' | ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
