import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DiffDocument } from '../../lambda/report/model.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import { containerdNode, dockershimNode, socketAgent, writeSnapshot } from '../helpers/scans.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'dsa-cli-store-'));

/**
 * A read-only file system: a tmpfs mounted read-only. Mounting needs root with CAP_SYS_ADMIN;
 * where it is missing the test says so and is skipped rather than faked.
 */
function mountReadOnlyDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'dsa-read-only-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(
      'read-only store test skipped: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)\n',
    );
    return undefined;
  }
}

const readOnlyDisk = mountReadOnlyDisk();
afterAll(() => {
  if (readOnlyDisk === undefined) return;
  execFileSync('umount', [readOnlyDisk]);
  rmSync(readOnlyDisk, { recursive: true, force: true });
});

describe('scan keeps history and compares with the previous run', () => {
  test('two runs into the same --out: the second says what changed, diff.json beside the reports', async () => {
    const dir = await tempDir();
    const out = join(dir, 'reports');
    const v1 = await writeSnapshot(dir, 'v1.json', [socketAgent('agent-a'), dockershimNode('n1')]);
    const v2 = await writeSnapshot(dir, 'v2.json', [socketAgent('agent-b'), containerdNode('n1')]);
    const first = await runCli(['scan', '--manifests', v1, '--out', out, '--cluster-name', 'prod']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      'Since the last run: nothing to compare with, so this run is the baseline',
    );
    const second = await runCli(['scan', '--manifests', v2, '--out', out, '--cluster-name', 'prod']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(
      /Since run \S+: 2 new \(1 high, 1 info\), 2 resolved \(2 high\), 0 unchanged\./,
    );
    expect(second.stdout).toMatch(/Kept as run \S+ in .*reports\/runs\/\S+\//);

    const diff = JSON.parse(await readFile(join(out, 'diff.json'), 'utf8')) as DiffDocument;
    const names = (list: DiffDocument['clusters'][number]['new']) =>
      list.map((finding) => `${finding.rule} ${finding.resource.name}`).sort();
    expect(names(diff.clusters[0]?.new ?? [])).toEqual(['DS001 agent-b', 'DS042 n1']);
    expect(names(diff.clusters[0]?.resolved ?? [])).toEqual(['DS001 agent-a', 'DS040 n1']);
    expect(diff.clusters[0]?.nodesLeftDocker).toEqual(['n1']);
    expect((await readdir(join(out, 'runs'))).length).toBe(2);
    const markdown = await readFile(join(out, 'report.md'), 'utf8');
    expect(markdown).toMatch(/\| new \| high \| prod \| DaemonSet monitoring\/agent-b \| DS001 /);
    expect(markdown).toMatch(/\| resolved \| high \| prod \| DaemonSet monitoring\/agent-a \| DS001 /);
    expect(markdown).toContain('- Node n1 (prod) left Docker Engine.');
  });

  test('--store DIR keeps the history apart from --out', async () => {
    const dir = await tempDir();
    const input = await writeSnapshot(dir, 'in.json', [socketAgent('agent')]);
    const run = await runCli([
      'scan',
      '--manifests',
      input,
      '--out',
      join(dir, 'out'),
      '--store',
      join(dir, 'history'),
    ]);
    expect(run.code).toBe(0);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual([
      'diff.json',
      'report.html',
      'report.json',
      'report.md',
    ]);
    expect((await readdir(join(dir, 'history'))).sort()).toEqual(['clusters', 'latest.json', 'runs']);
  });

  test('a first run whose cluster pointer cannot be written (a name too long for the file system): stored, chained, no false tamper alarm', async () => {
    const dir = await tempDir();
    const input = await writeSnapshot(dir, 'in.json', [socketAgent('agent')]);
    const store = join(dir, 'store');
    const name = `cluster-${'x'.repeat(300)}`;
    const args = [
      'scan',
      '--manifests',
      input,
      '--cluster-name',
      name,
      '--store',
      store,
      '--out',
      join(dir, 'out'),
      '-q',
    ];
    const first = await runCli(args);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /^error: .*latest\.json: run \S+ is stored and is the latest run, but this pointer could not be written/m,
    );
    expect(first.stderr).toMatch(
      /^hint: A name is too long for this file system\..* The next run reads cluster cluster-x+ from latest\.json instead\.$/m,
    );
    expect(first.stderr).not.toContain('The run was not stored');

    const verified = await runCli(['verify', '--store', store]);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('Chain of 1 run: every artifact matches its manifest.');
    const second = await runCli([...args.slice(0, -1)]);
    expect(second.stdout).toMatch(/Since run \S+: 0 new, 0 resolved, 1 unchanged\./);
  });

  test('a store where no folder can be created (/proc): a clear error with a hint, the local report still written', async () => {
    const dir = await tempDir();
    const input = await writeSnapshot(dir, 'in.json', [socketAgent('agent')]);
    const store = `/proc/dsa-audit-store-${process.pid}`;
    const run = await runCli([
      'scan',
      '--manifests',
      input,
      '--store',
      store,
      '--out',
      join(dir, 'out'),
      '-q',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^error: ${store}/\\S+: cannot write: cannot create the folder ${store}: the file system refuses$`,
        'm',
      ),
    );
    expect(run.stderr).toContain(
      'hint: No folder can be created there (a read-only or special file system). Choose another folder with --store',
    );
    expect(run.stderr).not.toContain('no such file or directory');
    expect((await readdir(join(dir, 'out'))).sort()).toEqual([
      'diff.json',
      'report.html',
      'report.json',
      'report.md',
    ]);
  });

  test.skipIf(readOnlyDisk === undefined)(
    'a read-only file system: the error says so, with a hint',
    async () => {
      const dir = await tempDir();
      const input = await writeSnapshot(dir, 'in.json', [socketAgent('agent')]);
      const store = join(readOnlyDisk ?? '', 'history');
      const run = await runCli([
        'scan',
        '--manifests',
        input,
        '--store',
        store,
        '--out',
        join(dir, 'out'),
        '-q',
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: .*: cannot write: read-only file system/m);
      expect(run.stderr).toContain('hint: The file system is read-only. Choose another folder with --store');
    },
  );

  test.each([
    [['scan', '--store', 's3://'], 'is not an S3 bucket name'],
    [['scan', '--store', 's3://Bad_Bucket/x'], 'is not an S3 bucket name'],
    [['scan', '--store', 'gs://bucket'], 'unsupported location'],
    [['scan', '--kms-key-id', 'alias/x'], '--kms-key-id encrypts objects in S3'],
    [['scan', '--link-expiry', '30d'], 'is not a duration between 1m and 7d'],
    [['verify', 'stray'], 'unexpected argument "stray"'],
  ])('%j exits 2 with a message', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

describe('scan --store s3://', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startTestS3();
  });
  afterAll(() => s3?.close());

  test('stores the run in the bucket (AWS_ENDPOINT_URL), and verify reads it back', async () => {
    const dir = await tempDir();
    const input = await writeSnapshot(dir, 'in.json', [socketAgent('agent')]);
    const store = `s3://${s3.bucket}/nightly/prod`;
    const first = await runCli(['scan', '--manifests', input, '--out', join(dir, 'out'), '--store', store], {
      env: s3.env(),
    });
    expect(first.stderr).not.toContain('error');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`Kept as run \\S+ in ${store}/runs/\\S+/`));
    const verified = await runCli(['verify', '--store', store], { env: s3.env() });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('Chain of 1 run: every artifact matches its manifest.');
  });

  test('an unreachable S3: the local report is written, the error says so with a hint, exit 1', async () => {
    const dir = await tempDir();
    const input = await writeSnapshot(dir, 'in.json', [socketAgent('agent')]);
    const run = await runCli(
      ['scan', '--manifests', input, '--out', join(dir, 'out'), '--store', 's3://audits/x'],
      {
        env: { ...s3.env(), AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' },
      },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`Report: ${join(dir, 'out', 'report.html')}`);
    expect(run.stderr).toMatch(/^error: s3:\/\/audits\/x\/publish-lock\.json: cannot read: .*ECONNREFUSED/m);
    expect(run.stderr).toContain('hint: S3 could not be reached');
    expect(run.stderr).not.toContain('    at ');
  });
});
