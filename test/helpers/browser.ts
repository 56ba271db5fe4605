import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { REPO_ROOT } from './paths.ts';

/** Debian's chromium (installed by .ci/run); Playwright drives it, it downloads no browser. */
const CHROMIUM = process.env.DOCKERSHIM_AUDIT_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots and PDFs the browser tests leave for people to look at. */
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

/** Headless Chromium with nothing of its own going out on the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
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
}
