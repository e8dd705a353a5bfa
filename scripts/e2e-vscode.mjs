// End-to-end test in a real VS Code: code-server in headless Chromium, driven by playwright-core.
// Installs the packaged .vsix, opens a driver folder, waits for the squiggle and the Problems entry of KS1202,
// hovers and reads the rule text, applies the quick fix and checks the file changed on disk, exports an HTML report
// with the Export Report command and checks the file. Screenshots go to
// test-artifacts/e2e/. Every wait has a timeout and names the step that failed. Exit 0 = passed.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { CHROMIUM, setupAll } from './e2e-setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const artifacts = join(root, 'test-artifacts', 'e2e');
const log = (m) => console.log(`[e2e] ${m}`);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHttp(url, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer on ${url} within ${timeoutMs} ms (${last})`);
}

const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'editor.hover.delay': 150,
  'files.autoSave': 'off',
  'editor.stickyScroll.enabled': false,
  'chat.disableAIFeatures': true,
};

async function main() {
  const t0 = Date.now();
  const { node24, codeServer } = setupAll(log);
  log(`tools ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const D = mkdtempSync(join(tmpdir(), 'kslint-e2e-'));
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  let server;
  let context;
  const serverLog = join(D, 'code-server.log');
  try {
    // The extension, packaged as users get it.
    if (!existsSync(join(root, 'dist', 'server.js')) || !existsSync(join(root, 'dist', 'extension.js'))) {
      spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
    }
    const vsix = join(D, 'kslint.vsix');
    const pack = spawnSync(process.execPath, [join(root, 'scripts', 'package.mjs'), '--no-build', `--out=${vsix}`], { cwd: root, encoding: 'utf8' });
    if (pack.status !== 0 || !existsSync(vsix)) throw new Error(`packaging the .vsix failed:\n${pack.stdout}\n${pack.stderr}`);

    const folder = join(D, 'driver');
    cpSync(join(root, 'test', 'e2e', 'driver'), folder, { recursive: true });
    for (const sub of ['user/User', 'ext', 'xdg-config', 'xdg-data', 'xdg-cache', 'tmp', 'profile']) mkdirSync(join(D, sub), { recursive: true });
    writeFileSync(join(D, 'user', 'User', 'settings.json'), JSON.stringify(SETTINGS, null, 2));
    writeFileSync(join(D, 'config.yaml'), 'auth: none\ncert: false\n');
    const env = { ...process.env, XDG_CONFIG_HOME: join(D, 'xdg-config'), XDG_DATA_HOME: join(D, 'xdg-data'), XDG_CACHE_HOME: join(D, 'xdg-cache'), TMPDIR: join(D, 'tmp') };
    const common = ['--user-data-dir', join(D, 'user'), '--extensions-dir', join(D, 'ext'), '--config', join(D, 'config.yaml')];

    const install = spawnSync(node24, [codeServer.entry, ...common, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120_000 });
    if (install.status !== 0) throw new Error(`code-server --install-extension failed (exit ${install.status}):\n${install.stdout}\n${install.stderr}`);
    log('extension installed');

    const port = await freePort();
    const out = openSync(serverLog, 'a');
    server = spawn(node24, [codeServer.entry, ...common, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--bind-addr', `127.0.0.1:${port}`], { env, detached: true, stdio: ['ignore', out, out] });
    await waitHttp(`http://127.0.0.1:${port}/healthz`, 120_000);
    log(`code-server on port ${port}`);

    const { chromium } = require('playwright-core');
    context = await chromium.launchPersistentContext(join(D, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await runSteps(page, `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`, join(folder, 'dispatch.c'));
    log(`passed in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${artifacts}`);
  } catch (err) {
    const tail = existsSync(serverLog) ? readFileSync(serverLog, 'utf8').split('\n').slice(-30).join('\n') : '';
    console.error(`[e2e] FAILED: ${err.message}\n[e2e] code-server log (last lines):\n${tail}`);
    process.exitCode = 1;
  } finally {
    await context?.close().catch(() => undefined);
    if (server?.pid) {
      try {
        process.kill(-server.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise((r) => setTimeout(r, 500));
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(D, { recursive: true, force: true });
  }
}

async function runSteps(page, url, file) {
  const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`) }).catch(() => undefined);
  const step = async (name, fn) => {
    const t = Date.now();
    try {
      const r = await fn();
      log(`${name}: ${Date.now() - t} ms`);
      return r;
    } catch (err) {
      await shot(`failed-${name.replace(/\W+/g, '-')}`);
      throw new Error(`step "${name}" failed after ${Date.now() - t} ms: ${err.message.split('\n')[0]} (screenshot test-artifacts/e2e/failed-${name.replace(/\W+/g, '-')}.png)`);
    }
  };

  await step('open the workbench', async () => {
    await page.goto(url);
    await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
  });
  await step('open dispatch.c from the explorer', async () => {
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'dispatch.c' });
    await row.first().waitFor({ timeout: 60_000 });
    await row.first().click();
    await page.waitForSelector('.monaco-editor .view-lines', { timeout: 60_000 });
  });
  await step('wait for the KS1202 squiggle', () => page.waitForSelector('.monaco-editor .squiggly-error', { timeout: 120_000 }));
  await shot('1-squiggle');

  await step('find KS1202 in the Problems panel', async () => {
    await page.keyboard.press('Control+Shift+M');
    const row = page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'KS1202' });
    await row.first().waitFor({ timeout: 60_000 });
    const label = (await row.first().getAttribute('aria-label')) ?? (await row.first().innerText());
    if (!/NULL/.test(label)) throw new Error(`Problems entry does not carry the finding's message: ${label}`);
  });
  await shot('2-problems');

  const squiggle = page.locator('.monaco-editor .squiggly-error').first();
  await step('hover shows the rule text', async () => {
    const box = await squiggle.boundingBox();
    if (!box) throw new Error('squiggle has no box');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const hover = page.locator('.monaco-hover').filter({ hasText: 'Why it matters' });
    await hover.first().waitFor({ state: 'visible', timeout: 30_000 });
    const text = await hover.first().innerText();
    if (!/Safer in-kernel fix/.test(text) || !/KS1202/.test(text)) throw new Error(`hover lacks the rule text: ${text.slice(0, 300)}`);
  });
  await shot('3-hover');

  await step('apply the quick fix', async () => {
    const item = page.locator('.action-widget .monaco-list-row, .context-view .monaco-list-row').filter({ hasText: 'STATUS_INSUFFICIENT_RESOURCES' });
    // The hover just shown can keep focus or cover the editor: close it, put the cursor on the finding (a click on
    // the squiggle, or Go to Line when the squiggle is scrolled away) and open the quick-fix menu; a few tries.
    let lastError;
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        await page.keyboard.press('Escape');
        await page.keyboard.press('Escape');
        const box = await squiggle.boundingBox();
        if (box && attempt % 2 === 0) await page.mouse.click(box.x + 2, box.y + box.height / 2);
        else {
          await page.keyboard.press('Control+G');
          const go = page.locator('.quick-input-widget input');
          await go.waitFor({ timeout: 10_000 });
          await go.fill(':11:5');
          await page.keyboard.press('Enter');
        }
        await page.keyboard.press('Control+.');
        await item.first().waitFor({ timeout: 10_000 });
        lastError = undefined;
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (lastError) throw lastError;
    await shot('4-quick-fix-menu');
    await item.first().click();
  });
  await step('save and check the file changed on disk', async () => {
    await page.keyboard.press('Control+S');
    const end = Date.now() + 30_000;
    while (!/if \(ctx == NULL\)[\s\S]*STATUS_INSUFFICIENT_RESOURCES/.test(readFileSync(file, 'utf8'))) {
      if (Date.now() > end) throw new Error(`file unchanged on disk:\n${readFileSync(file, 'utf8')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  await step('the squiggle goes away', () => page.waitForSelector('.monaco-editor .squiggly-error', { state: 'detached', timeout: 60_000 }));
  await shot('5-fixed');

  // Export Report: command palette, scope and format quick picks, then the save dialog's default path.
  const report = join(dirname(file), 'kslint-report.html');
  await step('export an HTML report of the workspace', async () => {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 30_000 });
    await input.fill('>Kernel Safety Lint: Export Report');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Export Report' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Workspace' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Workspace' }).first().click();
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'HTML' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'HTML' }).first().click();
    // code-server's save dialog is a quick input holding the proposed path; accept it.
    await page.waitForFunction(() => {
      const i = document.querySelector('.quick-input-widget input');
      return !!i && /kslint-report\.html$/.test(i.value);
    }, undefined, { timeout: 30_000 });
    await shot('6-save-dialog');
    await page.keyboard.press('Enter');
    const end = Date.now() + 120_000;
    while (!existsSync(report) || !/KS1202|kslint/i.test(readFileSync(report, 'utf8'))) {
      if (Date.now() > end) throw new Error(`no report at ${report}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await page.locator('.notifications-toasts', { hasText: 'report written' }).first().waitFor({ timeout: 30_000 });
  });
  await shot('7-exported');
}

await main();
