import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import type { ScanResult } from '../../lambda/pipeline.ts';
import { LocalDirectoryStore } from '../../lambda/store/local-store.ts';
import { ARTIFACTS, launchChromium } from '../helpers/browser.ts';
import { FIXTURES_DIR, REPO_ROOT } from '../helpers/paths.ts';
import {
  containerdNode,
  dockerLogReader,
  dockershimNode,
  scanManifests,
  socketAgent,
  writeSnapshot,
} from '../helpers/scans.ts';

let browser: Browser;
let run: ScanResult;

/**
 * The report a team gets on the second night: two clusters, changes since the first run, a
 * cluster that could only be read partially, and hostile strings from the cluster.
 */
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dsa-browser-'));
  const store = new LocalDirectoryStore(join(dir, 'store'));
  const demo = join(REPO_ROOT, 'demo', 'cluster.json');
  const hostile = join(FIXTURES_DIR, 'manifests', 'injection');
  const before = await writeSnapshot(dir, 'before.json', [
    socketAgent('build-runner', 'ci'),
    dockershimNode('ip-10-0-9-41.ec2.internal'),
  ]);
  const after = await writeSnapshot(dir, 'after.json', [
    socketAgent('metrics-relay', 'monitoring'),
    dockerLogReader('log-shipper', 'logging'),
    containerdNode('ip-10-0-9-41.ec2.internal'),
  ]);
  await scanManifests({ 'prod-eu': [demo, before], staging: [hostile] }, store);
  const policy = {
    ...defaultPolicy(new Date('2026-11-22T00:00:00Z')),
    severityOverrides: { DS007: 'info' as const },
  };
  run = await scanManifests(
    { 'prod-eu': [demo, after], staging: [hostile, join(FIXTURES_DIR, 'manifests', 'broken-files')] },
    store,
    { policy },
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe('the HTML report in Chromium', () => {
  test('opens without errors or requests, runs nothing from the cluster, and shows it as text', async () => {
    const file = run.reportLink ?? '';
    expect(file).toMatch(/report\.html$/);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
    // Strings, not functions: these run in the page, and the tests are typed without the DOM library.
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    const active = await page.evaluate(`({
      elements: document.querySelectorAll('script, img, iframe, object, embed, form, base').length,
      handlers: [...document.querySelectorAll('*')].flatMap((element) =>
        [...element.attributes].filter((attribute) => attribute.name.startsWith('on')).map((attribute) => attribute.name)),
      links: [...document.querySelectorAll('a[href]')]
        .map((anchor) => anchor.getAttribute('href'))
        .filter((href) => !href.startsWith('#') && !href.startsWith('https://')),
    })`);
    expect(active).toEqual({ elements: 0, handlers: [], links: [] });

    const text = await page.innerText('body');
    expect(text).toContain('agent-<img src=x onerror=window.__pwned=1>');
    expect(text).toContain('c<script>window.__pwned=2</script>');
    expect(text).toContain('X<img src=x onerror=window.__pwned=3>=unix:///var/run/docker.sock');
    expect(text).toContain('[click](javascript:alert(5))');

    // What a reader checks first: the verdict, the fleet's numbers, the changes.
    expect(text).toMatch(/\d+ workloads are broken now/);
    expect(await page.locator('.cards .card').count()).toBe(4);
    expect(await page.locator('.cards svg[role="img"]').count()).toBe(2);
    const changes = await page.locator('#changes').innerText();
    expect(changes).toMatch(/new\s+high\s+prod-eu\s+DaemonSet monitoring\/metrics-relay/i);
    expect(changes).toMatch(/resolved\s+high\s+prod-eu\s+DaemonSet ci\/build-runner/i);
    expect(changes).toMatch(/severity changed\s+low\s*→\s*info\s+prod-eu\s+DaemonSet logging\/fluent-bit/i);
    expect(changes).toContain('prod-eu / ip-10-0-9-41.ec2.internal');
    expect(changes).toContain('This run read the cluster only partially');

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report-top.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: join(ARTIFACTS, 'report.pdf'), format: 'A4', printBackground: true });
    expect((await readFile(join(ARTIFACTS, 'report.pdf'))).subarray(0, 5).toString()).toBe('%PDF-');
    await page.close();
    // A browser, a full-page screenshot and a PDF: slow on a busy machine, and no measure of anything.
  }, 90_000);
});
