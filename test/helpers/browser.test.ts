import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { LocalDirectoryStore } from '../../lambda/store/local-store.ts';
import { chooseChromium, launchChromium, NPM_CHROMIUM_CACHE } from './browser.ts';
import { REPO_ROOT } from './paths.ts';
import { scanManifests } from './scans.ts';

const run = promisify(execFile);
const scratch: string[] = [];
afterAll(() => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));

async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** A folder for PATH holding an executable stand-in under each of `names`. */
async function pathWith(names: string[]): Promise<string> {
  const dir = await scratchDir('dsa-path-');
  for (const name of names) {
    await writeFile(join(dir, name), '#!/bin/sh\nexit 1\n');
    await chmod(join(dir, name), 0o755);
  }
  return dir;
}

const version = JSON.parse(
  await readFile(join(REPO_ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json'), 'utf8'),
) as { version: string };
const folderName = `chromium-${version.version}`;

describe('the Chromium the browser tests drive', () => {
  test('with no browser installed or named, the one from the npm registry opens the report and draws its text', async () => {
    // Prepare: a PATH with no browser on it, as on a fresh machine, and a report.
    const choice = await chooseChromium({ PATH: await scratchDir('dsa-empty-path-') });
    expect(choice.from).toBe('npm');
    expect(choice.executablePath).toBe(join(NPM_CHROMIUM_CACHE, folderName, 'chromium'));
    const dir = await scratchDir('dsa-fallback-');
    const scan = await scanManifests(
      { 'fallback-cluster': [join(REPO_ROOT, 'demo', 'cluster.json')] },
      new LocalDirectoryStore(join(dir, 'store')),
    );
    const file = scan.reportLink ?? '';
    expect(file).toMatch(/report\.html$/);

    // Act
    const browser = await launchChromium(choice);
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

      // Assess: the report's own text, and glyphs drawn in the report's font (a Chromium
      // without fonts lays text out but paints nothing).
      expect(browser.version()).toMatch(/^153\./);
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(await page.locator('h1').innerText()).toBe('Docker Engine dependency audit');
      expect(await page.innerText('body')).toContain('fallback-cluster');
      const inked = await page.evaluate(`(() => {
        const canvas = document.createElement('canvas');
        canvas.width = 400;
        canvas.height = 60;
        const context = canvas.getContext('2d');
        context.font = getComputedStyle(document.querySelector('h1')).font;
        context.fillText('Docker Engine', 4, 44);
        return [...context.getImageData(0, 0, 400, 60).data].filter((value, index) => index % 4 === 3 && value > 0).length;
      })()`);
      expect(inked).toBeGreaterThan(100);
    } finally {
      await browser.close();
    }
  }, 120_000);

  test('an installed Chromium or Chrome on PATH is preferred, and a file that cannot run is passed over', async () => {
    const notRunnable = await scratchDir('dsa-path-');
    await writeFile(join(notRunnable, 'chromium'), 'not a program');
    await mkdir(join(notRunnable, 'chromium-browser'));
    const installed = await pathWith(['google-chrome']);

    const choice = await chooseChromium({ PATH: `${notRunnable}:${installed}` });

    expect(choice).toEqual({ executablePath: join(installed, 'google-chrome'), from: 'PATH', env: {} });
  });

  test('DOCKERSHIM_AUDIT_CHROMIUM names the browser; one that names nothing runnable is an error, not another browser', async () => {
    const path = await pathWith(['chromium']);
    const named = await pathWith(['my-chrome']);

    await expect(
      chooseChromium({ PATH: path, DOCKERSHIM_AUDIT_CHROMIUM: join(named, 'my-chrome') }),
    ).resolves.toEqual({
      executablePath: join(named, 'my-chrome'),
      from: 'DOCKERSHIM_AUDIT_CHROMIUM',
      env: {},
    });
    await expect(
      chooseChromium({ PATH: path, DOCKERSHIM_AUDIT_CHROMIUM: '/nonexistent/chromium' }),
    ).rejects.toThrow(/DOCKERSHIM_AUDIT_CHROMIUM=\/nonexistent\/chromium is not an executable file/);
    const npm = await chooseChromium({ PATH: path, DOCKERSHIM_AUDIT_CHROMIUM: 'npm' });
    expect(npm.from).toBe('npm');
  });

  test('two processes unpacking at once both get one whole copy; what a killed run left is removed, a live one kept', async () => {
    // Prepare: a cache holding what a killed unpacking left, another version's copy, and the
    // folder of an unpacking still running.
    const cache = await scratchDir('dsa-chromium-cache-');
    const gone = spawn(process.execPath, ['-e', '']);
    const gonePid = await new Promise<number>((resolve) => gone.once('exit', () => resolve(gone.pid ?? 0)));
    const killed = join(cache, `${folderName}.partial-${gonePid}-abcdef`);
    await mkdir(killed);
    await writeFile(join(killed, 'chromium'), 'half a browser');
    await mkdir(join(cache, 'chromium-1.0.0'));
    await writeFile(join(cache, 'chromium-1.0.0', 'chromium'), 'an old browser');
    const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600_000)']);
    const running = join(cache, `${folderName}.partial-${alive.pid}-ghijkl`);
    await mkdir(running);

    try {
      // Act: two processes, as two test files starting together on a fresh clone.
      const unpack = `const { unpackNpmChromium } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'test', 'helpers', 'browser.ts')).href)});
        console.log(JSON.stringify(await unpackNpmChromium(${JSON.stringify(cache)})));`;
      const both = await Promise.all(
        [1, 2].map(() =>
          run(process.execPath, ['--input-type=module', '-e', unpack], { maxBuffer: 1 << 20 }),
        ),
      );

      // Assess
      const choices = both.map(({ stdout }) => JSON.parse(stdout) as { executablePath: string; env: object });
      expect(choices[0]).toEqual(choices[1]);
      expect(choices[0]?.executablePath).toBe(join(cache, folderName, 'chromium'));
      expect((await readdir(cache)).sort()).toEqual([
        folderName,
        `${folderName}.partial-${alive.pid}-ghijkl`,
      ]);
      const { stdout } = await run(choices[0]?.executablePath ?? '', ['--version'], {
        env: { ...process.env, ...choices[0]?.env },
      });
      expect(stdout).toMatch(/^Chromium 153\./);
    } finally {
      alive.kill();
    }
  }, 120_000);
});
