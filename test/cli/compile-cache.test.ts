import { readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

const cacheFiles = (directory: string): string[] =>
  readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);

describe("the CLI keeps V8's compiled code in the user's cache directory", () => {
  test('the first run writes it under dockershim-audit/compile-cache, and a second run works from it', async () => {
    const cacheHome = await mkdtemp(join(tmpdir(), 'dsa-cache-home-'));
    const first = await runCli(['--help'], { env: { XDG_CACHE_HOME: cacheHome } });
    expect(first.code).toBe(0);
    const written = cacheFiles(join(cacheHome, 'dockershim-audit', 'compile-cache'));
    expect(written.length).toBeGreaterThan(0);
    const second = await runCli(['--help'], { env: { XDG_CACHE_HOME: cacheHome } });
    expect({ code: second.code, stdout: second.stdout, stderr: second.stderr }).toEqual({
      code: 0,
      stdout: first.stdout,
      stderr: first.stderr,
    });
  });

  test.each([
    [
      'a file where the directory should be',
      async () => {
        const file = join(await mkdtemp(join(tmpdir(), 'dsa-cache-home-')), 'not-a-directory');
        await writeFile(file, '');
        return file;
      },
    ],
    // Node's recursive mkdir never returns for a path under /proc.
    ['a place nothing can be created (/proc)', async () => '/proc/dockershim-audit-test'],
  ])(
    'with %s the CLI runs as before, without the cache and without a word about it',
    async (_, cacheHome) => {
      const run = await runCli(['--help'], { env: { XDG_CACHE_HOME: await cacheHome() } });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Usage:');
      expect(run.stderr).toBe('');
    },
  );
});
