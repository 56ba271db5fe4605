import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StoreError } from '../../lambda/store/errors.ts';
import { S3ReportStore } from '../../lambda/store/s3-store.ts';
import { verifyStore } from '../../lambda/store/verify.ts';
import { startFaultProxy, startTestS3, type TestS3 } from '../helpers/s3.ts';
import { dockershimNode, scanManifests, socketAgent, writeSnapshot } from '../helpers/scans.ts';

let s3: TestS3;
let input: string;

beforeAll(async () => {
  s3 = await startTestS3();
  input = await writeSnapshot(await mkdtemp(join(tmpdir(), 'dsa-s3-')), 'prod.json', [
    socketAgent('agent'),
    dockershimNode('worker-1'),
  ]);
});
afterAll(() => s3?.close());

const storeAt = (
  prefix: string,
  options: { endpoint?: string; kmsKeyId?: string; maxAttempts?: number } = {},
) =>
  new S3ReportStore({
    bucket: s3.bucket,
    prefix,
    client: s3.client({
      ...(options.endpoint && { endpoint: options.endpoint }),
      ...(options.maxAttempts && { maxAttempts: options.maxAttempts }),
    }),
    ...(options.kmsKeyId && { kmsKeyId: options.kmsKeyId }),
  });

describe('S3 report store (real SDK client against an S3 server on loopback)', () => {
  test('keeps every run under its prefix with the right content types, and moves the pointers', async () => {
    const store = storeAt('audits/prod');
    const first = await scanManifests({ prod: [input] }, store);
    const second = await scanManifests({ prod: [input] }, store);
    expect(first.storeError).toBeUndefined();
    expect(second.stored?.location).toBe(`s3://${s3.bucket}/audits/prod/runs/${second.report.runId}/`);

    const keys = await store.list('');
    for (const run of [first, second])
      for (const name of ['report.json', 'diff.json', 'report.html', 'report.md', 'manifest.json'])
        expect(keys).toContain(`runs/${run.report.runId}/${name}`);
    expect(keys).toContain('latest.json');
    expect(keys).toContain('clusters/prod/latest.json');

    const client = s3.client();
    const contentType = async (key: string) =>
      (await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `audits/prod/${key}` })))
        .ContentType;
    expect(await contentType(`runs/${second.report.runId}/report.html`)).toBe('text/html; charset=utf-8');
    expect(await contentType(`runs/${second.report.runId}/report.md`)).toBe('text/markdown; charset=utf-8');
    expect(await contentType(`runs/${second.report.runId}/diff.json`)).toBe(
      'application/json; charset=utf-8',
    );

    const latest = JSON.parse(new TextDecoder().decode(await store.get('latest.json')));
    expect(latest.runId).toBe(second.report.runId);
    expect(second.diff.previousRunId).toBe(first.report.runId);
    expect(second.stored?.manifest.previous).toEqual({
      runId: first.report.runId,
      manifestSha256: first.stored?.manifestSha256,
    });
    expect(await store.get('runs/20261122T030000Z-000000/report.json')).toBeUndefined();
  });

  test('the report link is a presigned URL that opens the HTML report and expires when asked', async () => {
    const store = storeAt('links');
    const run = await scanManifests({ prod: [input] }, store, { linkExpiresInSeconds: 3600 });
    const link = run.reportLink ?? '';
    expect(link).toContain(`/${s3.bucket}/links/runs/${run.report.runId}/report.html?`);
    expect(new URL(link).searchParams.get('X-Amz-Expires')).toBe('3600');
    const response = await fetch(link);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe(
      run.artifacts.find((artifact) => artifact.name === 'report.html')?.body,
    );
  });

  test('with a KMS key every object is written with SSE-KMS under that key', async () => {
    const proxy = await startFaultProxy(s3.endpoint);
    try {
      const store = storeAt('kms', { endpoint: proxy.url, kmsKeyId: 'alias/audit-evidence' });
      const run = await scanManifests({ prod: [input] }, store);
      expect(run.storeError).toBeUndefined();
      const puts = proxy.requests.filter((request) => request.method === 'PUT');
      // the publishing lease, report.json, diff.json, report.html, report.md, manifest.json, the
      // fleet's and the cluster's pointer
      expect(puts.length).toBe(8);
      expect(puts[0]?.path).toMatch(/\/kms\/publish-lock\.json/);
      for (const put of puts) {
        expect(put.headers['x-amz-server-side-encryption']).toBe('aws:kms');
        expect(put.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe('alias/audit-evidence');
      }
    } finally {
      await proxy.close();
    }
  });

  test('a failed upload is retried, and the run is stored', async () => {
    const proxy = await startFaultProxy(s3.endpoint, (request, seenBefore) =>
      request.method === 'PUT' && request.path.includes('/report.html') && seenBefore === 0 ? 503 : undefined,
    );
    try {
      const store = storeAt('retry', { endpoint: proxy.url });
      const run = await scanManifests({ prod: [input] }, store);
      expect(run.storeError).toBeUndefined();
      const htmlPuts = proxy.requests.filter(
        (request) => request.method === 'PUT' && request.path.includes('/report.html'),
      );
      expect(htmlPuts).toHaveLength(2);
      expect(await store.get(`runs/${run.report.runId}/report.html`)).toBeDefined();
    } finally {
      await proxy.close();
    }
  });

  test("S3's 409 ConditionalRequestConflict on a create (two writers on one key): the create is tried again, the run is stored", async () => {
    const proxy = await startFaultProxy(s3.endpoint, (request, seenBefore) =>
      request.method === 'PUT' && request.path.includes('/report.json') && seenBefore === 0 ? 409 : undefined,
    );
    try {
      const store = storeAt('conflict', { endpoint: proxy.url });
      const run = await scanManifests({ prod: [input] }, store);
      expect(run.storeError).toBeUndefined();
      const puts = proxy.requests.filter(
        (request) => request.method === 'PUT' && request.path.includes('/report.json'),
      );
      expect(puts.map((request) => request.headers['if-none-match'])).toEqual(['*', '*']);
      expect((await verifyStore(store)).problems).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  test('an upload that keeps failing: the run is not stored, the pointers stay, the next run links to the last stored one', async () => {
    const store = storeAt('outage');
    const first = await scanManifests({ prod: [input] }, store);
    const proxy = await startFaultProxy(s3.endpoint, (request) =>
      request.method === 'PUT' && request.path.split('?')[0]?.endsWith('/report.md') ? 500 : undefined,
    );
    let failed: Awaited<ReturnType<typeof scanManifests>>;
    try {
      failed = await scanManifests(
        { prod: [input] },
        storeAt('outage', { endpoint: proxy.url, maxAttempts: 2 }),
      );
    } finally {
      await proxy.close();
    }
    expect(failed.storeError).toBeInstanceOf(StoreError);
    expect(failed.storeError?.message).toContain(`runs/${failed.report.runId}/report.md`);
    expect(failed.reportLink).toBeUndefined();
    const pointer = JSON.parse(new TextDecoder().decode(await store.get('latest.json')));
    expect(pointer.runId).toBe(first.report.runId);
    expect(await store.get(`runs/${failed.report.runId}/manifest.json`)).toBeUndefined();

    const next = await scanManifests({ prod: [input] }, store);
    expect(next.diff.previousRunId).toBe(first.report.runId);
    expect(next.stored?.manifest.previous?.runId).toBe(first.report.runId);
    // The chain is whole; the failed upload's folder is named, and not as tampering.
    const verified = await verifyStore(store);
    expect(verified.runs.map((run) => run.runId)).toEqual([next.report.runId, first.report.runId]);
    expect(verified.unchained).toEqual([failed.report.runId]);
    expect(verified.problems).toEqual([
      {
        kind: 'unchained',
        key: `runs/${failed.report.runId}/`,
        detail: expect.stringMatching(/no manifest: a publish that failed .* Not tampering/),
      },
    ]);
  });

  test('a first run whose upload failed: verify names its folder as a failed upload, and no pointer as removed', async () => {
    const proxy = await startFaultProxy(s3.endpoint, (request) =>
      request.method === 'PUT' && request.path.split('?')[0]?.endsWith('/report.md') ? 500 : undefined,
    );
    let failed: Awaited<ReturnType<typeof scanManifests>>;
    try {
      failed = await scanManifests(
        { prod: [input] },
        storeAt('first-failed', { endpoint: proxy.url, maxAttempts: 1 }),
      );
    } finally {
      await proxy.close();
    }
    expect(failed.storeError).toBeInstanceOf(StoreError);
    const verified = await verifyStore(storeAt('first-failed'));
    expect(verified.problems).toEqual([
      {
        kind: 'unchained',
        key: `runs/${failed.report.runId}/`,
        detail: expect.stringContaining('Not tampering'),
      },
    ]);
    // The next run starts the chain: a failed first upload is no head to lose.
    const next = await scanManifests({ prod: [input] }, storeAt('first-failed'));
    expect(next.storeError).toBeUndefined();
    expect((await verifyStore(storeAt('first-failed'))).runs.map((run) => run.runId)).toEqual([
      next.report.runId,
    ]);
  });

  test('verify names an artifact that was overwritten in the bucket', async () => {
    const store = storeAt('tamper');
    await scanManifests({ prod: [input] }, store);
    const second = await scanManifests({ prod: [input] }, store);
    const key = `tamper/runs/${second.report.runId}/report.json`;
    const client = s3.client();
    const original = await (
      await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))
    ).Body?.transformToString();
    await client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: key,
        Body: (original ?? '').replace('"high"', '"low"'),
      }),
    );
    const result = await verifyStore(store);
    expect(result.problems).toEqual([
      {
        kind: 'changed',
        key: `runs/${second.report.runId}/report.json`,
        detail: expect.stringContaining('SHA-256'),
      },
    ]);
  });

  test('a bucket that does not exist: a store error with a hint, not a crash', async () => {
    const store = new S3ReportStore({
      bucket: 'no-such-bucket-here',
      prefix: 'x',
      client: s3.client({ maxAttempts: 1 }),
    });
    const error = await store.put('latest.json', '{}', 'application/json').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).hint).toMatch(/Create the bucket/);
    const run = await scanManifests({ prod: [input] }, store);
    expect(run.diff.baseline).toBe(true);
    expect(run.storeError).toBeInstanceOf(StoreError);
  });
});
