/**
 * The HTML report in headless Chromium: the summary agrees with the findings, filters and sorting work, the
 * details show code, path and rule advice, and hostile file names and code render as text without running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { diskSources, FORMATS, RunResult } from '../../server/src/report/index';
import { REPO, goldenScenario } from './run-helpers';
import { hostileScenario, HOSTILE_LINE, HOSTILE_NAME } from './scenarios';
import { withBrowser } from './browser';

const ARTIFACTS = join(REPO, 'test-artifacts');

async function open(page: Page, run: RunResult, dir: string, name: string): Promise<string[]> {
  const file = join(dir, name);
  writeFileSync(file, FORMATS.html(run, diskSources(run)));
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('#shown-count:not(:empty)', { timeout: 15_000 });
  return requests;
}

const num = async (page: Page, sel: string) => Number(await page.textContent(sel));
const rows = (page: Page): Promise<string[][]> =>
  page.$$eval('#findings-body tr.finding', (trs) => trs.map((tr) => Array.from((tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children, (td) => td.textContent ?? '')));

test('HTML report in Chromium: summary, filters, sorting, details, waivers; hostile names and code stay text', { timeout: 1_200_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-html-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const golden = await goldenScenario();
  const { run: hostile, root } = await hostileScenario();
  try {
    await withBrowser(async (context) => {
      const page = await context.newPage();
      const requests = await open(page, golden, dir, 'golden.html');
      assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'the report loads nothing from the network');

      const active = await num(page, '#count-active');
      assert.equal(active, 2);
      assert.equal((await rows(page)).length, active, 'the default view lists the active findings');
      assert.equal((await num(page, '#count-error')) + (await num(page, '#count-warning')) + (await num(page, '#count-note')), active);
      const byRule = await page.$$eval('#by-rule tbody td.num', (tds) => tds.reduce((n, td) => n + Number(td.textContent), 0));
      assert.equal(byRule, active);
      assert.equal(await page.$$eval('#chart rect', (r) => r.length), 4, 'three severity bars and one rule bar');

      await page.selectOption('#filter-status', '');
      assert.equal((await rows(page)).length, golden.findings.length);
      await page.selectOption('#filter-severity', 'error');
      const errors = await rows(page);
      assert.equal(errors.length, 2);
      assert.ok(errors.every((r) => r[0] === 'error' && r[1] === 'KS1101'));
      await page.selectOption('#filter-severity', '');
      await page.fill('#filter-text', 'swprintf');
      assert.deepEqual((await rows(page)).map((r) => r[2]), ['src/names.c:13:5']);
      await page.fill('#filter-text', '');

      await page.click('th[data-key="file"]');
      const files = (await rows(page)).map((r) => r[2].split(':')[0]);
      assert.deepEqual(files, [...files].sort());
      assert.equal(await page.getAttribute('th[data-key="file"]', 'aria-sort'), 'ascending');

      await page.selectOption('#filter-status', 'active');
      await page.click('#findings-body tr.finding:has-text("strcpy")');
      const details = await page.textContent('#findings-body tr.details');
      assert.match(details ?? '', /strcpy\(g_Name, name\);/);
      assert.match(details ?? '', /Safer in-kernel fix/);
      assert.match(details ?? '', /User-mode alternative/);
      assert.equal(await page.$$eval('#findings-body tr.details div.marked', (d) => d.length), 1);

      assert.equal(await page.$$eval('#suppressed-table tbody tr', (r) => r.length), await num(page, '#count-suppressed'));
      assert.match((await page.textContent('#suppressed-table')) ?? '', /fixed 64-byte stack array/);
      assert.equal(await page.$$eval('#baselined-table tbody tr', (r) => r.length), await num(page, '#count-baselined'));
      assert.equal(await num(page, '#count-fixed'), 1);
      await page.screenshot({ path: join(ARTIFACTS, 'report-html.png'), fullPage: true });

      const hostilePage = await context.newPage();
      await open(hostilePage, hostile, dir, 'hostile.html');
      await hostilePage.selectOption('#filter-status', '');
      await hostilePage.click(`#findings-body tr.finding:has-text("strcpy")`);
      assert.equal(await hostilePage.evaluate(() => (globalThis as { __kslintPwned?: unknown }).__kslintPwned), undefined, 'no payload ran');
      assert.equal(await hostilePage.$$eval('img, b, iframe', (e) => e.length), 0, 'no element came from the linted text');
      const locations = (await rows(hostilePage)).map((r) => r[2]);
      assert.ok(locations.some((l) => l.startsWith(`src/${HOSTILE_NAME}:4:`)), locations.join(' | '));
      assert.ok(((await hostilePage.textContent('#by-file')) ?? '').includes(HOSTILE_NAME));
      assert.ok(((await hostilePage.textContent('#findings-body tr.details pre.code')) ?? '').includes(HOSTILE_LINE));
      assert.ok(((await hostilePage.textContent('#skipped-list')) ?? '').includes('internal error'));
      await hostilePage.screenshot({ path: join(ARTIFACTS, 'report-html-hostile.png'), fullPage: true });

      // A large run lists its rows a page at a time.
      const base = golden.findings.find((f) => f.message.startsWith("'strcpy'"))!;
      const findings = Array.from({ length: 1200 }, (_, i) => ({ ...base, fingerprint: String(i).padStart(32, '0'), message: `${base.message} #${i}` }));
      const bigPage = await context.newPage();
      await open(bigPage, { ...golden, findings, baseline: undefined }, dir, 'big.html');
      assert.equal(await num(bigPage, '#count-active'), 1200);
      assert.equal((await rows(bigPage)).length, 500);
      await bigPage.click('#show-more');
      assert.equal((await rows(bigPage)).length, 1000);
      await bigPage.fill('#filter-text', '#11');
      assert.equal((await rows(bigPage)).length, 111, '#11, #110-#119 and #1100-#1199');
      assert.equal(await bigPage.textContent('#shown-count'), '111 of 1200 findings match');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
});
