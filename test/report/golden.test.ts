/** Golden files per format on the fixture tree (times, version and the machine's folder normalized). */
import { test } from 'node:test';
import { FORMATS, FormatName, diskSources } from '../../server/src/report/index';
import { TREE, assertGolden, goldenScenario, normalize } from './run-helpers';

const NAMES: Record<FormatName, string> = { json: 'report.json', sarif: 'report.sarif', html: 'report.html', markdown: 'report.md', junit: 'report.xml', github: 'report-github.txt', gitlab: 'report-gitlab.json' };

for (const format of Object.keys(FORMATS) as FormatName[]) {
  test(`${format} report matches its golden file`, async () => {
    const run = await goldenScenario();
    assertGolden(NAMES[format], normalize(FORMATS[format](run, diskSources(run)), TREE));
  });
}
