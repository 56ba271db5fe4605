import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/** A browser on a busy machine is slow; how slow measures nothing here. */
const BROWSER_TIMEOUT = 90_000;

import type { ScanResult } from '../../lambda/pipeline.ts';
import { LocalDirectoryStore } from '../../lambda/store/local-store.ts';
import { ARTIFACTS, launchChromium } from '../helpers/browser.ts';
import { reportOf, storeRuns } from '../helpers/history.ts';
import { FIXTURES_DIR, REPO_ROOT } from '../helpers/paths.ts';
import {
  containerdNode,
  dockershimNode,
  scanManifests,
  socketAgent,
  writeSnapshot,
} from '../helpers/scans.ts';

const DEMO = join(REPO_ROOT, 'demo', 'cluster.json');

let browser: Browser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** Opens a stored report and collects anything that should not happen in it. */
async function open(run: ScanResult): Promise<{ page: Page; problems: string[] }> {
  const file = run.reportLink ?? '';
  expect(file).toMatch(/report\.html$/);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => {
    if (request.url() !== pathToFileURL(file).href) problems.push(`request ${request.url()}`);
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, problems };
}

/** What the chart drew: dots on the Docker line, bars, whether the line exists, the x labels' boxes. */
async function chartOf(page: Page) {
  return (await page.evaluate(`(() => {
    const svg = document.querySelector('#progress svg');
    const box = (element) => { const r = element.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
    return {
      dots: svg.querySelectorAll('.docker-dot').length,
      hollow: svg.querySelectorAll('.docker-dot.incomplete').length,
      bars: svg.querySelectorAll('.bar-run').length,
      line: svg.querySelectorAll('polyline.docker-line').length,
      svg: box(svg),
      marks: [...svg.querySelectorAll('.docker-dot, .bar-run rect')].map(box),
      labels: [...svg.querySelectorAll('.tick-x')].map(box),
    };
  })()`)) as {
    dots: number;
    hollow: number;
    bars: number;
    line: number;
    svg: Box;
    marks: Box[];
    labels: Box[];
  };
}
type Box = { left: number; right: number; top: number; bottom: number };

function expectInside(inner: Box, outer: Box): void {
  expect(inner.left).toBeGreaterThanOrEqual(outer.left - 0.5);
  expect(inner.right).toBeLessThanOrEqual(outer.right + 0.5);
  expect(inner.top).toBeGreaterThanOrEqual(outer.top - 0.5);
  expect(inner.bottom).toBeLessThanOrEqual(outer.bottom + 0.5);
}

describe('the migration section in Chromium', () => {
  test(
    'pools as a picture with ready pools marked, the fixes that free the most nodes, runbooks folded; hostile names as text',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'dsa-plan-browser-'));
      const store = new LocalDirectoryStore(join(dir, 'store'));
      const run = await scanManifests(
        { 'prod-eu': [DEMO], staging: [join(FIXTURES_DIR, 'plan', 'hostile-pools.yaml')] },
        store,
      );
      const { page, problems } = await open(run);
      expect(problems).toEqual([]);
      expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
      expect(await page.locator('script').count()).toBe(0);
      // Near the top: right after the summary cards, before the changes and the clusters.
      const order = await page.evaluate(
        `[...document.querySelectorAll('main > section')].map((section) => section.id || section.className)`,
      );
      expect((order as string[]).slice(0, 4)).toEqual([
        'headline tone-critical',
        'cards',
        'migration',
        'progress',
      ]);

      const section = page.locator('#migration');
      const text = await section.innerText();
      expect(text).toContain('1 of 4 pools on Docker Engine is ready to move now (1 of 6 nodes).');
      expect(text).toMatch(
        /Fix these 4 DaemonSets and 1 ConfigMap, and 2 of 2 pools on Docker Engine are ready/,
      );
      expect(text).toContain('<img src=x onerror=window.__pwned=7>');
      expect(text).toContain('**bold** @here <!channel> `tick` ```fence');
      // One row per pool in the picture, a square per node, the ready pool on a green band.
      const prod = page.locator('#cluster-1-plan svg.pools');
      expect(await prod.locator('.pool-row').count()).toBe(3);
      expect(await prod.locator('.node-square').count()).toBe(6);
      expect(await prod.locator('.pool-row.status-ready .ready-band').count()).toBe(1);
      expect(await prod.locator('.pool-row.status-ready .pool-name').textContent()).toBe('batch');
      expect(await prod.locator('.node-square.fill-containerd').count()).toBe(3);
      // Runbooks are folded: closed until a reader opens one, and no script is needed to open it.
      const runbook = page.locator('#cluster-1-plan details.runbook').first();
      expect(await runbook.getAttribute('open')).toBeNull();
      expect(await runbook.locator('pre').first().isVisible()).toBe(false);
      await runbook.locator('summary').click();
      expect(await runbook.locator('pre').first().isVisible()).toBe(true);
      expect(await runbook.locator('pre').first().innerText()).toBe("NODES='ip-10-0-2-21.ec2.internal'");
      // The hostile node name is in the text of the page, never in a command.
      const commands = (await page.locator('#migration pre').allInnerTexts()).join('\n');
      expect(commands).not.toContain('<script>');
      expect(commands).not.toContain('curl');
      await section.screenshot({ path: join(ARTIFACTS, 'migration.png') });
      await page.close();
    },
    BROWSER_TIMEOUT,
  );
});

describe('the progress chart in Chromium', () => {
  const snapshotWith = async (dir: string, docker: number) =>
    writeSnapshot(dir, `nodes-${docker}.json`, [
      socketAgent('agent'),
      ...Array.from({ length: 3 }, (_, index) =>
        index < docker ? dockershimNode(`node-${index}`) : containerdNode(`node-${index}`),
      ),
    ]);

  test(
    'one stored run: a dot and a bar, no line, and the caption says the chart starts here',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'dsa-chart-'));
      const run = await scanManifests(
        { prod: [await snapshotWith(dir, 3)] },
        new LocalDirectoryStore(join(dir, 'store')),
      );
      const { page, problems } = await open(run);
      expect(problems).toEqual([]);
      const chart = await chartOf(page);
      expect({ dots: chart.dots, bars: chart.bars, line: chart.line }).toEqual({ dots: 1, bars: 1, line: 0 });
      for (const mark of chart.marks) expectInside(mark, chart.svg);
      expect(await page.locator('#progress').innerText()).toContain('This is the first run in the store');
      await page.locator('#progress').screenshot({ path: join(ARTIFACTS, 'progress-1-run.png') });
      await page.close();
    },
    BROWSER_TIMEOUT,
  );

  test(
    'two runs: the line falls as a node leaves Docker Engine',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'dsa-chart-'));
      const store = new LocalDirectoryStore(join(dir, 'store'));
      await scanManifests({ prod: [await snapshotWith(dir, 3)] }, store);
      const run = await scanManifests({ prod: [await snapshotWith(dir, 2)] }, store);
      const { page, problems } = await open(run);
      expect(problems).toEqual([]);
      const chart = await chartOf(page);
      expect({ dots: chart.dots, bars: chart.bars, line: chart.line }).toEqual({ dots: 2, bars: 2, line: 1 });
      const dots = (await page.evaluate(
        `[...document.querySelectorAll('#progress .docker-dot')].map((dot) => Number(dot.getAttribute('cy')))`,
      )) as number[];
      expect(dots[1]).toBeGreaterThan(dots[0] ?? Number.POSITIVE_INFINITY);
      await page.locator('#progress').screenshot({ path: join(ARTIFACTS, 'progress-2-runs.png') });
      await page.close();
    },
    BROWSER_TIMEOUT,
  );

  test(
    'fifty runs: every run drawn inside the chart, incomplete runs hollow, dates that do not collide',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'dsa-chart-'));
      const store = new LocalDirectoryStore(join(dir, 'store'));
      // 49 nightly runs moving 40 nodes off Docker Engine, two of them unable to read everything.
      await storeRuns(
        store,
        Array.from({ length: 49 }, (_, day) =>
          reportOf(
            day,
            Math.max(0, 40 - Math.floor(day * 0.85)),
            40,
            day === 20 || day === 33 ? 'partial' : 'complete',
          ),
        ),
      );
      const run = await scanManifests({ prod: [await snapshotWith(dir, 0)] }, store);
      const { page, problems } = await open(run);
      expect(problems).toEqual([]);
      const chart = await chartOf(page);
      expect({ dots: chart.dots, hollow: chart.hollow, bars: chart.bars, line: chart.line }).toEqual({
        dots: 50,
        hollow: 2,
        bars: 50,
        line: 1,
      });
      for (const mark of chart.marks) expectInside(mark, chart.svg);
      expect(chart.labels.length).toBeGreaterThan(2);
      expect(chart.labels.length).toBeLessThanOrEqual(9);
      chart.labels.slice(1).forEach((label, index) => {
        expect(label.left).toBeGreaterThan(chart.labels[index]?.right ?? 0);
      });
      expect(await page.locator('#progress').innerText()).toContain(
        'a run that could not read every cluster',
      );
      await page.locator('#progress').screenshot({ path: join(ARTIFACTS, 'progress-50-runs.png') });
      await page.close();
    },
    BROWSER_TIMEOUT,
  );
});
