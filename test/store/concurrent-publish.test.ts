import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalDirectoryStore } from '../../lambda/store/local-store.ts';
import type { RunManifest } from '../../lambda/store/manifest.ts';
import type { ReportStore } from '../../lambda/store/report-store.ts';
import { S3ReportStore, s3ClientConfig } from '../../lambda/store/s3-store.ts';
import { verifyStore } from '../../lambda/store/verify.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import { scanManifests, socketAgent, writeSnapshot } from '../helpers/scans.ts';

/**
 * One writer, one chain: scans started at the same moment on one store each chain onto the
 * run before them. On a store without the publishing lease and the head's compare-and-swap,
 * they read the same head and fork.
 */
let input: string;
beforeAll(async () => {
  input = await writeSnapshot(await mkdtemp(join(tmpdir(), 'dsa-concurrent-')), 'in.json', [
    socketAgent('agent'),
  ]);
});

/** The chain as the manifests link it: every run but the first names exactly one predecessor, each named once. */
async function expectOneLinearChain(store: ReportStore, runs: number): Promise<void> {
  const manifests = (await store.list('runs/')).filter((key) => key.endsWith('/manifest.json'));
  expect(manifests).toHaveLength(runs);
  const previous: string[] = [];
  for (const key of manifests) {
    const manifest = JSON.parse(new TextDecoder().decode(await store.get(key))) as RunManifest;
    if (manifest.previous) previous.push(manifest.previous.runId);
  }
  expect(previous).toHaveLength(runs - 1);
  expect(new Set(previous).size).toBe(runs - 1);
  const result = await verifyStore(store);
  expect(result.problems).toEqual([]);
  expect(result.runs).toHaveLength(runs);
  expect(await store.get('publish-lock.json')).toBeUndefined();
}

describe('scans started together on one store', () => {
  test('10 CLI processes on one folder leave 10 runs in one linear chain, and verify exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsa-concurrent-local-'));
    const store = join(dir, 'store');
    const scans = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        runCli(['scan', '--manifests', input, '--out', join(dir, `out-${index}`), '--store', store, '-q']),
      ),
    );
    expect(scans.map((scan) => [scan.code, scan.stderr])).toEqual(Array.from({ length: 10 }, () => [0, '']));
    await expectOneLinearChain(new LocalDirectoryStore(store), 10);
    // Each run's diff compares with the run it chained onto: only the first is a baseline.
    const diffs = await Promise.all(
      Array.from({ length: 10 }, async (_, index) =>
        JSON.parse(await readFile(join(dir, `out-${index}`, 'diff.json'), 'utf8')),
      ),
    );
    expect(diffs.filter((diff) => diff.baseline)).toHaveLength(1);

    const verified = await runCli(['verify', '--store', store]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('Chain of 10 runs: every artifact matches its manifest.');
  }, 180_000);

  test('a scan started while the first run is stored but latest.json not yet written waits and chains onto it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsa-concurrent-first-'));
    const store = new LocalDirectoryStore(join(dir, 'store'));
    expect((await scanManifests({ prod: [input] }, store)).storeError).toBeUndefined();
    // The first publisher, caught between its run's objects and the head: its lease is held.
    const head = await readFile(join(dir, 'store', 'latest.json'));
    await rm(join(dir, 'store', 'latest.json'));
    const now = Date.now();
    await writeFile(
      join(dir, 'store', 'publish-lock.json'),
      JSON.stringify({
        kind: 'dockershim-audit.publish-lock',
        runId: 'first',
        host: hostname(),
        pid: process.pid,
        token: 'first-publisher',
        acquiredAt: new Date(now).toISOString(),
        expiresAt: new Date(now + 60_000).toISOString(),
      }),
    );
    const second = scanManifests({ prod: [input] }, store);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writeFile(join(dir, 'store', 'latest.json'), head);
    await rm(join(dir, 'store', 'publish-lock.json'));
    const result = await second;
    expect(result.storeError).toBeUndefined();
    expect(result.diff.baseline).toBeFalsy();
    await expectOneLinearChain(store, 2);
  });

  test('with no publisher holding the lease, a missing latest.json still stops the scan before it reads anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsa-concurrent-first-'));
    const store = new LocalDirectoryStore(join(dir, 'store'));
    await scanManifests({ prod: [input] }, store);
    await rm(join(dir, 'store', 'latest.json'));
    await expect(scanManifests({ prod: [input] }, store)).rejects.toThrow(/latest\.json.*is missing/);
  });

  describe('on S3', () => {
    let s3: TestS3;
    beforeAll(async () => {
      s3 = await startTestS3();
    });
    afterAll(() => s3?.close());

    test('10 scans at once, three times over, each with its own client: 30 runs in one linear chain', async () => {
      const stores = Array.from(
        { length: 10 },
        () => new S3ReportStore({ bucket: s3.bucket, prefix: 'together', client: s3.client() }),
      );
      for (let round = 0; round < 3; round++) {
        const scans = await Promise.all(stores.map((store) => scanManifests({ prod: [input] }, store)));
        expect(scans.map((scan) => scan.storeError?.message)).toEqual(stores.map(() => undefined));
      }
      await expectOneLinearChain(stores[0] as ReportStore, 30);
    }, 180_000);

    test.runIf(s3Backend() === 's3rver')(
      'the test double: s3rver alone ignores conditional writes, so the proxy in front of it enforces them',
      async () => {
        const credentials = s3.connection().credentials;
        const direct = new S3Client(
          s3ClientConfig({
            endpoint: s3.direct ?? '',
            region: 'us-east-1',
            ...(credentials && { credentials }),
          }),
        );
        const proxied = s3.client({ maxAttempts: 1 });
        const put = (client: S3Client, key: string, condition: { IfNoneMatch?: string; IfMatch?: string }) =>
          client
            .send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: 'x', ...condition }))
            .then((answer) => answer.ETag)
            .catch((error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode);
        try {
          await put(direct, 'conditional/direct', {});
          // s3rver 3.7.1 overwrites, whatever the condition says.
          expect(await put(direct, 'conditional/direct', { IfNoneMatch: '*' })).toMatch(/^"/);
          expect(await put(direct, 'conditional/direct', { IfMatch: '"stale"' })).toMatch(/^"/);

          const etag = await put(proxied, 'conditional/proxied', { IfNoneMatch: '*' });
          expect(etag).toMatch(/^"/);
          expect(await put(proxied, 'conditional/proxied', { IfNoneMatch: '*' })).toBe(412);
          expect(await put(proxied, 'conditional/proxied', { IfMatch: '"stale"' })).toBe(412);
          expect(await put(proxied, 'conditional/missing', { IfMatch: String(etag) })).toBe(404);
          expect(await put(proxied, 'conditional/proxied', { IfMatch: String(etag) })).toMatch(/^"/);
        } finally {
          direct.destroy();
        }
      },
    );
  });
});

function s3Backend(): string {
  return process.env.DOCKERSHIM_AUDIT_TEST_S3_ENDPOINT ? 'external' : 's3rver';
}
