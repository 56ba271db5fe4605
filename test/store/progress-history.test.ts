import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalDirectoryStore } from '../../lambda/store/local-store.ts';
import { HISTORY_RUNS, loadProgress } from '../../lambda/store/progress-history.ts';
import { runKey } from '../../lambda/store/run-history.ts';
import { S3ReportStore } from '../../lambda/store/s3-store.ts';
import { reportOf, runIdOf, storeRuns } from '../helpers/history.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';

const tempStore = async () =>
  new LocalDirectoryStore(join(await mkdtemp(join(tmpdir(), 'dsa-progress-')), 'store'));

describe('the progress of the last runs, read from the store', () => {
  test('nothing stored yet: this run alone, no note', async () => {
    const store = await tempStore();
    const history = await loadProgress(store, reportOf(0, 3, 3));
    expect(history.notes).toEqual([]);
    expect(history.points.map((point) => [point.runId, point.nodesOnDocker, point.nodes])).toEqual([
      [runIdOf(0), 3, 3],
    ]);
  });

  test("each earlier run's own report.json, oldest first, then this run", async () => {
    const store = await tempStore();
    await storeRuns(store, [reportOf(0, 3, 3), reportOf(1, 2, 3), reportOf(2, 2, 3, 'partial')]);
    const history = await loadProgress(store, reportOf(3, 0, 3));
    expect(
      history.points.map((point) => [point.runId, point.nodesOnDocker, point.incompleteClusters]),
    ).toEqual([
      [runIdOf(0), 3, 0],
      [runIdOf(1), 2, 0],
      [runIdOf(2), 2, 1],
      [runIdOf(3), 0, 0],
    ]);
    expect(history.points[0]?.bySeverity.high).toBeGreaterThan(0);
  });

  test(`bounded: at most ${HISTORY_RUNS} runs, the newest, and the note says how many there were`, async () => {
    const store = await tempStore();
    await storeRuns(
      store,
      Array.from({ length: 55 }, (_, day) => reportOf(day, 3, 3)),
    );
    const history = await loadProgress(store, reportOf(55, 3, 3));
    expect(history.points).toHaveLength(HISTORY_RUNS);
    expect(history.points[0]?.runId).toBe(runIdOf(56 - HISTORY_RUNS));
    expect(history.notes).toEqual([`The chart shows the last ${HISTORY_RUNS} of 56 runs.`]);
    // A smaller bound is honoured too.
    expect((await loadProgress(store, reportOf(55, 3, 3), 3)).points.map((point) => point.runId)).toEqual([
      runIdOf(53),
      runIdOf(54),
      runIdOf(55),
    ]);
  });

  test('unreadable, foreign and unfinished runs are left out, each with a note; the rest stays', async () => {
    const store = await tempStore();
    await storeRuns(
      store,
      [0, 1, 2, 3].map((day) => reportOf(day, 3 - day, 3)),
    );
    const root = store.location;
    await writeFile(join(root, runKey(runIdOf(1), 'report.json')), '{"clusters": [');
    await writeFile(join(root, runKey(runIdOf(2), 'report.json')), JSON.stringify({ hello: 'world' }));
    await rm(join(root, runKey(runIdOf(3), 'manifest.json')));
    const history = await loadProgress(store, reportOf(4, 0, 3));
    expect(history.points.map((point) => point.runId)).toEqual([runIdOf(0), runIdOf(4)]);
    expect(history.notes).toEqual([
      '1 earlier run has no manifest (storing did not finish) and is left out of the chart.',
      `runs/${runIdOf(1)}/report.json is not valid JSON; that run is left out of the chart.`,
      `runs/${runIdOf(2)}/report.json is not a report this tool wrote; that run is left out of the chart.`,
    ]);
  });

  test('two runs started in the same second are put in order by their times, not by their random suffix', async () => {
    const store = await tempStore();
    const at = (ms: number) => new Date(Date.UTC(2026, 9, 1, 3, 0, 0, ms)).toISOString();
    const first = { ...reportOf(0, 3, 3), runId: '20261001T030000Z-ffffff', generatedAt: at(100) };
    const second = { ...reportOf(0, 2, 3), runId: '20261001T030000Z-000001', generatedAt: at(900) };
    await storeRuns(store, [first]);
    const history = await loadProgress(store, second);
    expect(history.points.map((point) => [point.runId, point.nodesOnDocker])).toEqual([
      ['20261001T030000Z-ffffff', 3],
      ['20261001T030000Z-000001', 2],
    ]);
  });

  test('a run stored under another id (a copied folder) is not taken for the run it names', async () => {
    const store = await tempStore();
    await storeRuns(store, [reportOf(0, 3, 3)]);
    await store.put(runKey(runIdOf(1), 'report.json'), JSON.stringify(reportOf(0, 3, 3)), 'application/json');
    await store.put(runKey(runIdOf(1), 'manifest.json'), '{}', 'application/json');
    const history = await loadProgress(store, reportOf(2, 0, 3));
    expect(history.points.map((point) => point.runId)).toEqual([runIdOf(0), runIdOf(2)]);
    expect(history.notes).toEqual([
      `runs/${runIdOf(1)}/report.json is not a report this tool wrote; that run is left out of the chart.`,
    ]);
  });
});

describe('the progress of the last runs in S3', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startTestS3();
  });
  afterAll(() => s3?.close());

  test('read through the S3 store like any other', async () => {
    const store = new S3ReportStore({ bucket: s3.bucket, prefix: 'audits', client: s3.client() });
    await storeRuns(store, [reportOf(0, 3, 3), reportOf(1, 1, 3)]);
    const history = await loadProgress(store, reportOf(2, 0, 3));
    expect(history.points.map((point) => point.nodesOnDocker)).toEqual([3, 1, 0]);
  });

  test('a store that cannot be listed: this run alone, and a note that says so', async () => {
    const store = new S3ReportStore({
      bucket: `${s3.bucket}-missing`,
      prefix: 'audits',
      client: s3.client({ maxAttempts: 1 }),
    });
    const history = await loadProgress(store, reportOf(2, 0, 3));
    expect(history.points).toHaveLength(1);
    expect(history.notes).toEqual([
      expect.stringMatching(/could not be listed .*; the chart shows this run only\.$/),
    ]);
  });
});
