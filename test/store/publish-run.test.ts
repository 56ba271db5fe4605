import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalDirectoryStore } from '../../lambda/store/local-store.ts';
import { S3ReportStore } from '../../lambda/store/s3-store.ts';
import { verifyStore } from '../../lambda/store/verify.ts';
import { startFaultProxy, startTestS3, type TestS3 } from '../helpers/s3.ts';
import { dockerLogReader, scanManifests, socketAgent, writeSnapshot } from '../helpers/scans.ts';

const RUN_ID = '20261122T030000Z-a1b2c3';
const PLANNED = () => new Date('2026-11-22T03:00:00Z');

let dir: string;
let input: string;
let other: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dsa-publish-'));
  input = await writeSnapshot(dir, 'in.json', [socketAgent('agent')]);
  other = await writeSnapshot(dir, 'other.json', [socketAgent('agent'), dockerLogReader('reader')]);
});

/** Every file of a folder store with its bytes, to show that nothing was rewritten. */
async function snapshotOf(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path, await readFile(path, 'utf8'));
    }
  return files;
}

/** The pid of a process that has ended: nobody holds a lock under it any more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

function lease(runId: string, pid: number, expiresAt: Date): string {
  return JSON.stringify({
    kind: 'dockershim-audit.publish-lock',
    runId,
    host: hostname(),
    pid,
    token: 'test',
    acquiredAt: new Date().toISOString(),
    expiresAt: expiresAt.toISOString(),
  });
}

describe('the same run id published twice (a retried or duplicated fleet aggregate)', () => {
  test('with the same results: nothing is written again, the chain neither loops nor loses a run', async () => {
    const root = join(dir, 'twice-same');
    const store = new LocalDirectoryStore(root);
    const before = await scanManifests({ prod: [input] }, store);
    const first = await scanManifests({ prod: [input] }, store, { runId: RUN_ID, now: PLANNED });
    expect(first.stored?.manifest.previous?.runId).toBe(before.report.runId);
    const stored = await snapshotOf(root);

    const again = await scanManifests({ prod: [input] }, store, { runId: RUN_ID, now: PLANNED });
    expect(await snapshotOf(root)).toEqual(stored);
    const verified = await verifyStore(store);
    expect(verified.problems).toEqual([]);
    expect(verified.runs.map((run) => run.runId)).toEqual([RUN_ID, before.report.runId]);

    expect(again.storeError).toBeUndefined();
    expect(again.alreadyStored).toBe(true);
    expect(again.stored?.manifestSha256).toBe(first.stored?.manifestSha256);
    expect(again.diff).toEqual(first.diff);
  });

  test('with other results: an error, and the stored run stays as it was', async () => {
    const root = join(dir, 'twice-other');
    const store = new LocalDirectoryStore(root);
    await scanManifests({ prod: [input] }, store, { runId: RUN_ID, now: PLANNED });
    const stored = await snapshotOf(root);

    const changed = await scanManifests({ prod: [other] }, store, { runId: RUN_ID, now: PLANNED });
    expect(changed.stored).toBeUndefined();
    expect(changed.storeError?.code).toBe('RUN_EXISTS');
    expect(changed.storeError?.message).toContain('a stored run is never rewritten');
    expect(changed.storeError?.hint).toMatch(/as a new run/);
    expect(await snapshotOf(root)).toEqual(stored);
    expect((await verifyStore(store)).problems).toEqual([]);
  });
});

describe('the publishing lease', () => {
  test('a lease left by a process that is gone is taken over at once, in a folder', async () => {
    const root = join(dir, 'dead-holder');
    const store = new LocalDirectoryStore(root);
    await scanManifests({ prod: [input] }, store);
    await writeFile(
      join(root, 'publish-lock.json'),
      lease(RUN_ID, deadPid(), new Date(Date.now() + 3600_000)),
    );
    const run = await scanManifests({ prod: [input] }, store, { lockWaitMs: 1_000 });
    expect(run.storeError).toBeUndefined();
    expect((await verifyStore(store)).runs).toHaveLength(2);
  });

  test('a lease a live process holds: the run waits, then stores nothing and says who holds it', async () => {
    const root = join(dir, 'live-holder');
    const store = new LocalDirectoryStore(root);
    const first = await scanManifests({ prod: [input] }, store);
    await writeFile(
      join(root, 'publish-lock.json'),
      lease(RUN_ID, process.pid, new Date(Date.now() + 3600_000)),
    );
    const blocked = await scanManifests({ prod: [input] }, store, { lockWaitMs: 300 });
    expect(blocked.stored).toBeUndefined();
    expect(blocked.storeError?.code).toBe('STORE_LOCKED');
    expect(blocked.storeError?.message).toContain(`run ${RUN_ID} (process ${process.pid} on ${hostname()})`);
    expect(blocked.storeError?.hint).toMatch(/lease ends at/);
    // The report written locally says it was compared with nothing; the store did not change.
    expect(blocked.diff.notes.join(' ')).toMatch(/compared with nothing and was not stored/);
    expect((await readdir(join(root, 'runs'))).sort()).toEqual([first.report.runId]);
  });

  describe('on S3', () => {
    let s3: TestS3;
    beforeAll(async () => {
      s3 = await startTestS3();
    });
    afterAll(() => s3?.close());
    const storeAt = (prefix: string, endpoint?: string) =>
      new S3ReportStore({
        bucket: s3.bucket,
        prefix,
        client: s3.client({ maxAttempts: 1, ...(endpoint && { endpoint }) }),
      });

    test('an expired lease is taken over; a live one is waited for', async () => {
      const store = storeAt('leases');
      await store.put(
        'publish-lock.json',
        lease(RUN_ID, 1, new Date(Date.now() - 1_000)),
        'application/json',
      );
      expect(
        (await scanManifests({ prod: [input] }, store, { lockWaitMs: 1_000 })).storeError,
      ).toBeUndefined();
      // A pid means nothing across machines: an S3 lease ends only when it expires.
      await store.put(
        'publish-lock.json',
        lease(RUN_ID, deadPid(), new Date(Date.now() + 3600_000)),
        'application/json',
      );
      const blocked = await scanManifests({ prod: [input] }, store, { lockWaitMs: 300 });
      expect(blocked.storeError?.code).toBe('STORE_LOCKED');
    });

    test('an attempt that stored the run but not latest.json is finished by publishing the run id again', async () => {
      const store = storeAt('interrupted');
      const before = await scanManifests({ prod: [input] }, store);
      const proxy = await startFaultProxy(s3.endpoint, (request) =>
        request.method === 'PUT' && request.path.split('?')[0]?.endsWith('/interrupted/latest.json')
          ? 500
          : undefined,
      );
      try {
        const cut = await scanManifests({ prod: [input] }, storeAt('interrupted', proxy.url), {
          runId: RUN_ID,
          now: PLANNED,
        });
        expect(cut.storeError?.message).toContain('latest.json');
      } finally {
        await proxy.close();
      }
      // Any other run now stops, again and again: chaining onto latest.json would fork the chain.
      for (let attempt = 0; attempt < 2; attempt++) {
        const other = await scanManifests({ prod: [input] }, store);
        expect(other.stored).toBeUndefined();
        expect(other.storeError?.code).toBe('HEAD_BROKEN');
        expect(other.storeError?.message).toContain(`run ${RUN_ID} is complete and chains onto it`);
      }

      const again = await scanManifests({ prod: [input] }, store, { runId: RUN_ID, now: PLANNED });
      expect(again.storeError).toBeUndefined();
      expect(again.alreadyStored).toBeUndefined();
      const verified = await verifyStore(store);
      expect(verified.problems).toEqual([]);
      expect(verified.runs.map((run) => run.runId)).toEqual([RUN_ID, before.report.runId]);
    });

    test('an attempt that stopped halfway through the objects is completed by an identical retry', async () => {
      const store = storeAt('halfway');
      const proxy = await startFaultProxy(s3.endpoint, (request) =>
        request.method === 'PUT' && request.path.split('?')[0]?.endsWith('/manifest.json') ? 500 : undefined,
      );
      try {
        const cut = await scanManifests({ prod: [input] }, storeAt('halfway', proxy.url), {
          runId: RUN_ID,
          now: PLANNED,
        });
        expect(cut.storeError?.message).toContain('manifest.json');
      } finally {
        await proxy.close();
      }
      expect(await store.get(`runs/${RUN_ID}/report.json`)).toBeDefined();
      const again = await scanManifests({ prod: [input] }, store, { runId: RUN_ID, now: PLANNED });
      expect(again.storeError).toBeUndefined();
      expect((await verifyStore(store)).problems).toEqual([]);
    });
  });
});
