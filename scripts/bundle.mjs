// Bundles the shipped entry points into dist/ with esbuild (type-checking is tsc's job in build.mjs).
//
// Layout (the "external native packages" layout of STACK.md):
//   dist/extension.js   VS Code client            dist/server.js   language server (kslint-server)
//   dist/cli.js         command line (kslint)      dist/cli-worker.js, dist/worker.js  its worker threads
//   dist/index-worker.js  the language server's workspace-index thread (started through the same dist/worker.js)
//   dist/node_modules/  tree-sitter, tree-sitter-c, tree-sitter-cpp (+ node-gyp-build): prebuilt N-API
//                       binaries for darwin/linux/win32 x64+arm64, loaded where they load
//   dist/*.wasm         web-tree-sitter and the grammars, the fallback where no native binary loads
//   dist/rules/         each rule's rule.md (diagnostic links and hovers point here)
//
// Entry list: an entry whose source does not exist yet is skipped, so the command line's entries can be
// listed here before they land. Add a worker here when the command line gains one.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(join(root, 'package.json'));

export const ENTRIES = [
  { out: 'extension', src: 'client/src/extension.ts', external: ['vscode'] },
  { out: 'server', src: 'server/src/lsp/main.ts' },
  { out: 'cli', src: 'server/src/cli/main.ts' },
  { out: 'cli-worker', src: 'server/src/cli/worker.ts' },
  // The language server's workspace index runs in a thread of its own (piscina, bundled into server.js).
  { out: 'index-worker', src: 'server/src/lsp/index-worker.ts' },
  // piscina (bundled into cli.js) starts every thread with its own bootstrap, `worker.js` beside itself, which then
  // loads the task module (cli-worker.js): bundled here under that name. Its optional thread-priority addon is
  // never used (and its failure to load is ignored).
  { out: 'worker', src: 'node_modules/piscina/dist/worker.js', external: ['@napi-rs/nice'] },
];
const NATIVE = ['tree-sitter', 'tree-sitter-c', 'tree-sitter-cpp'];

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const present = ENTRIES.filter((e) => existsSync(join(root, e.src)));
await Promise.all(
  present.map((e) =>
    build({
      entryPoints: [join(root, e.src)],
      outfile: join(dist, `${e.out}.js`),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: 'linked',
      minifySyntax: true,
      external: [...NATIVE, ...(e.external ?? [])],
      logLevel: 'warning',
    }),
  ),
);

// The wasm fallback: runtime and grammars next to the bundles (the server passes its folder as `wasmDir`).
copyFileSync(require.resolve('web-tree-sitter/tree-sitter.wasm'), join(dist, 'tree-sitter.wasm'));
copyFileSync(require.resolve('tree-sitter-c/tree-sitter-c.wasm'), join(dist, 'tree-sitter-c.wasm'));
copyFileSync(require.resolve('tree-sitter-cpp/tree-sitter-cpp.wasm'), join(dist, 'tree-sitter-cpp.wasm'));

// Native packages: only what loading needs (package.json, the JavaScript entry, the prebuilt binaries).
const pkgDir = (name) => dirname(require.resolve(`${name}/package.json`));
for (const name of [...NATIVE, 'node-gyp-build']) {
  const from = pkgDir(name);
  const to = join(dist, 'node_modules', name);
  mkdirSync(to, { recursive: true });
  for (const f of ['package.json', 'index.js', 'node-gyp-build.js', 'LICENSE', 'bindings/node/index.js']) {
    if (existsSync(join(from, f))) cpSync(join(from, f), join(to, f));
  }
  if (existsSync(join(from, 'prebuilds'))) cpSync(join(from, 'prebuilds'), join(to, 'prebuilds'), { recursive: true });
  // Where npm had to compile the binding because the upstream prebuild does not load here (tree-sitter's
  // linux-x64 prebuild needs a newer libstdc++ than Debian 12 has), ship the compiled one for this platform:
  // it loads here and on newer systems alike.
  const compiled = join(from, 'build', 'Release');
  const target = join(to, 'prebuilds', `${process.platform}-${process.arch}`);
  if (existsSync(compiled) && existsSync(target)) {
    const built = readdirSync(compiled).find((f) => f.endsWith('.node'));
    const shipped = readdirSync(target).find((f) => f.endsWith('.node'));
    if (built && shipped && !loads(join(target, shipped))) copyFileSync(join(compiled, built), join(target, shipped));
  }
}

function loads(file) {
  try {
    require(file);
    return true;
  } catch {
    return false;
  }
}

// Rule docs for links and hovers.
const rulesDir = join(root, 'rules');
for (const folder of readdirSync(rulesDir)) {
  const md = join(rulesDir, folder, 'rule.md');
  if (/^KS\d{4}-/.test(folder) && existsSync(md)) {
    mkdirSync(join(dist, 'rules', folder), { recursive: true });
    copyFileSync(md, join(dist, 'rules', folder, 'rule.md'));
  }
}
console.log(`bundled ${present.map((e) => `dist/${e.out}.js`).join(', ')}`);
