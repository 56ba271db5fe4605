import { execFile } from 'node:child_process';
import { accessSync, constants, createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createBrotliDecompress } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';
import { errnoCode } from '../../lambda/store/atomic-file.ts';
import { processIsAlive } from '../../lambda/store/lock-owner.ts';
import { REPO_ROOT } from './paths.ts';

/** Screenshots and PDFs the browser tests leave for people to look at. */
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

/**
 * The Chromium the browser tests drive. An installed one is preferred (it is the one people
 * have and it gets its distribution's security updates); without one, the headless Chromium
 * that the `@sparticuz/chromium` devDependency ships inside its npm tarball, so that `npm
 * install && npm test` passes on a machine that has no browser and reaches only the registry.
 */
export interface ChromiumChoice {
  executablePath: string;
  /** Where it came from, for messages: the variable, PATH, or the npm registry. */
  from: 'DOCKERSHIM_AUDIT_CHROMIUM' | 'PATH' | 'npm';
  /** What the browser's process needs beside the tests' environment (the npm copy's libraries and fonts). */
  env: Record<string, string>;
}

/** Names an installed Chromium or Chrome has on PATH (Debian, Fedora, Arch, Google's packages). */
const INSTALLED_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

/** Where the npm copy is unpacked: inside this clone, so no other user's /tmp/chromium is ever run. */
export const NPM_CHROMIUM_CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'dockershim-audit');
const NPM_CHROMIUM_PACKAGE = join(REPO_ROOT, 'node_modules', '@sparticuz', 'chromium');

/**
 * Picks the browser: DOCKERSHIM_AUDIT_CHROMIUM when set (a path, or `npm` for the registry's
 * copy), else the first Chromium or Chrome on PATH, else the registry's copy. A variable that
 * names nothing runnable is an error, never a quiet switch to another browser.
 */
export async function chooseChromium(
  env: NodeJS.ProcessEnv = process.env,
  cacheRoot = NPM_CHROMIUM_CACHE,
): Promise<ChromiumChoice> {
  const named = env.DOCKERSHIM_AUDIT_CHROMIUM?.trim();
  if (named === 'npm') return unpackNpmChromium(cacheRoot);
  if (named) {
    if (!isExecutableFile(named))
      throw new Error(
        `DOCKERSHIM_AUDIT_CHROMIUM=${named} is not an executable file: point it at a Chromium or Chrome, ` +
          'set it to "npm" for the Chromium from the npm registry, or unset it to use the one on PATH.',
      );
    return { executablePath: named, from: 'DOCKERSHIM_AUDIT_CHROMIUM', env: {} };
  }
  const installed = findOnPath(env.PATH ?? '', INSTALLED_NAMES);
  if (installed) return { executablePath: installed, from: 'PATH', env: {} };
  return unpackNpmChromium(cacheRoot);
}

function findOnPath(path: string, names: string[]): string | undefined {
  const directories = path.split(delimiter).filter((directory) => directory !== '');
  for (const name of names)
    for (const directory of directories)
      if (isExecutableFile(join(directory, name))) return join(directory, name);
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The registry's Chromium, unpacked once per version into `cacheRoot`: the browser, the NSS and
 * expat libraries it links to (so it runs where no browser ever installed them) and a font (so
 * a machine without fonts still draws text). It is unpacked into a private folder that is
 * renamed into place only when whole, so two test files unpacking at once both end with a
 * complete copy and a run killed halfway leaves nothing that is used later; what such a run
 * left is removed by the next one.
 */
export async function unpackNpmChromium(cacheRoot = NPM_CHROMIUM_CACHE): Promise<ChromiumChoice> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(
      `No Chromium or Chrome found, and the one from the npm registry runs on Linux x64 only (this is ${process.platform} ${process.arch}): ` +
        'install Chromium or Chrome, or set DOCKERSHIM_AUDIT_CHROMIUM to its path.',
    );
  const version = npmChromiumVersion();
  const folder = join(cacheRoot, `chromium-${version}`);
  const choice: ChromiumChoice = {
    executablePath: join(folder, 'chromium'),
    from: 'npm',
    env: { LD_LIBRARY_PATH: join(folder, 'lib'), FONTCONFIG_FILE: join(folder, 'fonts.conf') },
  };
  if (await exists(choice.executablePath)) return choice;

  await mkdir(cacheRoot, { recursive: true });
  await removeAbandoned(cacheRoot, folder);
  const partial = await mkdtemp(`${folder}${PARTIAL}${process.pid}-`);
  try {
    const bin = join(NPM_CHROMIUM_PACKAGE, 'bin');
    await pipeline(
      createReadStream(join(bin, 'chromium.br')),
      createBrotliDecompress(),
      createWriteStream(join(partial, 'chromium'), { mode: 0o755 }),
    );
    await untarBrotli(join(bin, 'al2023.tar.br'), partial); // lib/libnss3.so and the rest
    await untarBrotli(join(bin, 'fonts.tar.br'), partial); // fonts/Open_Sans/*.ttf
    // The package's fonts.conf names /tmp/fonts; ours names this copy, after the machine's own fonts.
    await writeFile(
      join(partial, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
        `  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n` +
        `  <dir>${xmlText(join(folder, 'fonts'))}</dir>\n` +
        `  <cachedir>${xmlText(join(folder, 'fontconfig-cache'))}</cachedir>\n` +
        `</fontconfig>\n`,
    );
    await rename(partial, folder);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    // Another process published the same version first: its copy is as good as ours.
    if (!(ALREADY_THERE.has(errnoCode(error)) && (await exists(choice.executablePath)))) throw error;
  }
  return choice;
}

/** A path as XML text: fontconfig ignores a file it cannot parse, and the browser then draws no text. */
function xmlText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

const PARTIAL = '.partial-';
const run = promisify(execFile);
const ALREADY_THERE = new Set(['ENOTEMPTY', 'EEXIST']);

function npmChromiumVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(join(NPM_CHROMIUM_PACKAGE, 'package.json'), 'utf8'));
  const version = (manifest as { version?: unknown }).version;
  if (typeof version !== 'string' || !/^[\w.-]+$/.test(version))
    throw new Error(`${NPM_CHROMIUM_PACKAGE}/package.json has no usable version; run npm install`);
  return version;
}

/** Removes what killed runs left (their process is gone) and copies of other versions. */
async function removeAbandoned(cacheRoot: string, current: string): Promise<void> {
  for (const name of await readdir(cacheRoot)) {
    if (!name.startsWith('chromium-')) continue;
    const path = join(cacheRoot, name);
    const owner = name.includes(PARTIAL) ? Number(name.split(PARTIAL)[1]?.split('-')[0]) : undefined;
    const abandoned =
      owner === undefined
        ? path !== current
        : !Number.isInteger(owner) || !processIsAlive({ pid: owner, host: hostname() });
    if (abandoned) await rm(path, { recursive: true, force: true });
  }
}

/**
 * Unpacks a brotli-compressed tar with the system's tar (every Linux has one). The tar goes
 * through a file: tar stops reading at its end-of-archive blocks, which breaks a pipe mid-stream.
 */
async function untarBrotli(archive: string, into: string): Promise<void> {
  const tar = join(into, '.unpacking.tar');
  await pipeline(createReadStream(archive), createBrotliDecompress(), createWriteStream(tar));
  await run('tar', ['-x', '--no-same-owner', '-f', tar, '-C', into]);
  await rm(tar);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Headless Chromium with nothing of its own going out on the network. */
export async function launchChromium(choice?: ChromiumChoice): Promise<Browser> {
  const browser = choice ?? (await chooseChromium());
  try {
    return await chromium.launch({
      executablePath: browser.executablePath,
      env: { ...process.env, ...browser.env },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
  } catch (error) {
    const other =
      browser.from === 'npm'
        ? `remove ${dirname(browser.executablePath)} to unpack it again, or set DOCKERSHIM_AUDIT_CHROMIUM to an installed browser`
        : 'set DOCKERSHIM_AUDIT_CHROMIUM=npm for the one from the npm registry, or to another browser';
    throw new Error(
      `Chromium ${browser.executablePath} (from ${browser.from}) did not start; ${other}. ${String(error)}`,
      { cause: error },
    );
  }
}
