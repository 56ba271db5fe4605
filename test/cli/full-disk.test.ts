import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FIXTURES_DIR } from '../helpers/paths.ts';
import { runCli } from '../helpers/run-cli.ts';

/**
 * A real full disk: a small tmpfs. Mounting needs root with CAP_SYS_ADMIN (this machine and
 * its CI have it); where it is missing the test says so and is skipped rather than faked.
 */
function mountSmallDisk(): string | undefined {
  const dir = execFileSync('mktemp', ['-d', join(tmpdir(), 'dsa-full-disk-XXXXXX')], {
    encoding: 'utf8',
  }).trim();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(
      'full-disk test skipped: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)\n',
    );
    return undefined;
  }
}

const disk = mountSmallDisk();

/** Writes until the file system refuses: ENOSPC for real. */
async function fill(dir: string): Promise<string> {
  const filler = join(dir, 'filler');
  const { bavail, bsize } = await statfs(dir);
  await writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - 4096)));
  try {
    for (;;) await appendFile(filler, Buffer.alloc(4096));
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  }
  return filler;
}

const agents = `${FIXTURES_DIR}manifests/mixed-folder/agents.yaml`;

describe.skipIf(disk === undefined)('a full disk', () => {
  afterAll(async () => {
    if (!disk) return;
    execFileSync('umount', [disk]);
    await rm(disk, { recursive: true, force: true });
  });

  test('a clear error, exit 1, and the previous run and reports are left as they were', async () => {
    const out = join(disk ?? '', 'reports');
    const first = await runCli(['scan', '--manifests', agents, '--out', out, '-q']);
    expect(first.code).toBe(0);
    const reportBefore = await readFile(join(out, 'report.json'), 'utf8');
    const latestBefore = await readFile(join(out, 'latest.json'), 'utf8');

    // The next run sees more (a changed input), but the disk is full.
    const changed = await mkdtemp(join(tmpdir(), 'dsa-full-disk-input-'));
    await writeFile(
      join(changed, 'more.yaml'),
      `${await readFile(agents, 'utf8')}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: builder, namespace: ci}\nspec:\n  containers: [{name: c, image: docker:cli, volumeMounts: [{name: s, mountPath: /var/run/docker.sock}]}]\n  volumes: [{name: s, hostPath: {path: /var/run/docker.sock}}]\n`,
    );
    const filler = await fill(disk ?? '');
    const second = await runCli(['scan', '--manifests', changed, '--out', out, '-q']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^error: .*no space left on device/m);
    expect(second.stderr).toContain('hint: The disk is full. Free some space or choose another folder with');
    expect(second.stderr).not.toContain('    at ');

    // Nothing half-written replaced what was there, and the pointer did not move.
    expect(await readFile(join(out, 'report.json'), 'utf8')).toBe(reportBefore);
    expect(await readFile(join(out, 'latest.json'), 'utf8')).toBe(latestBefore);
    expect((await readdir(out)).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    // With space again, the chain still verifies and the next run compares with the first one.
    await rm(filler);
    const verify = await runCli(['verify', '--store', out]);
    expect(verify.stdout).toContain('Chain of 1 run: every artifact matches its manifest.');
    expect(verify.code).toBe(0);
    const third = await runCli(['scan', '--manifests', changed, '--out', out]);
    expect(third.code).toBe(0);
    const { runId } = JSON.parse(latestBefore) as { runId: string };
    expect(third.stdout).toContain(`Since run ${runId}: 1 new (1 high), 0 resolved`);
    await rm(changed, { recursive: true, force: true });
  });
});
