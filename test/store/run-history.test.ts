import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LocalDirectoryStore } from '../../lambda/store/local-store.ts';
import { clusterPointerKey, clusterSegment } from '../../lambda/store/run-history.ts';
import { verifyStore } from '../../lambda/store/verify.ts';
import { FIXTURES_DIR } from '../helpers/paths.ts';
import { assertValidDiff, assertValidManifest } from '../helpers/report-schema.ts';
import {
  containerdNode,
  dockerLogReader,
  dockershimNode,
  scanManifests,
  socketAgent,
  writeSnapshot,
} from '../helpers/scans.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'dsa-history-'));
const described = (findings: readonly { rule: string; resource: { kind: string; name: string } }[]) =>
  findings.map((finding) => `${finding.rule} ${finding.resource.kind}/${finding.resource.name}`).sort();

describe('run history in a local folder', () => {
  test('the second run compares with the first: exactly what appeared, went away, and the node that left Docker', async () => {
    const dir = await tempDir();
    const store = new LocalDirectoryStore(join(dir, 'store'));
    const before = await writeSnapshot(dir, 'before.json', [
      socketAgent('old-agent'),
      dockerLogReader('log-reader'),
      dockershimNode('worker-1'),
      containerdNode('worker-2'),
    ]);
    const after = await writeSnapshot(dir, 'after.json', [
      socketAgent('new-agent'),
      dockerLogReader('log-reader'),
      containerdNode('worker-1'),
      containerdNode('worker-2'),
    ]);
    const first = await scanManifests({ prod: [before] }, store);
    const second = await scanManifests({ prod: [after] }, store);

    expect(first.diff.baseline).toBe(true);
    expect(second.diff.baseline).toBe(false);
    expect(second.diff.previousRunId).toBe(first.report.runId);
    const [prod] = second.diff.clusters;
    expect(described(prod?.new ?? [])).toEqual(['DS001 DaemonSet/new-agent', 'DS042 Node/worker-1']);
    expect(described(prod?.resolved ?? [])).toEqual(['DS001 DaemonSet/old-agent', 'DS040 Node/worker-1']);
    expect(prod?.unchanged).toBe(2); // DS006 on log-reader, DS042 on worker-2
    expect(prod?.nodesLeftDocker).toEqual(['worker-1']);
    expect(second.diff.summary).toMatchObject({ new: 2, resolved: 2, unchanged: 2 });

    // diff.json is kept with the run, byte for byte what the pipeline returned.
    const stored = await readFile(join(dir, 'store', 'runs', second.report.runId, 'diff.json'), 'utf8');
    expect(JSON.parse(stored)).toEqual(second.diff);
    assertValidDiff(JSON.parse(stored));
    const manifest = JSON.parse(
      await readFile(join(dir, 'store', 'runs', second.report.runId, 'manifest.json'), 'utf8'),
    );
    assertValidManifest(manifest);
    expect(manifest.previous?.runId).toBe(first.report.runId);
    expect(manifest.clusters).toEqual([
      { name: 'prod', status: 'complete', source: 'manifests', findings: 4 },
    ]);
  });

  test('a partial run after a complete one reports what is new but nothing as resolved, and says why', async () => {
    const dir = await tempDir();
    const store = new LocalDirectoryStore(dir);
    const full = await writeSnapshot(dir, 'full.json', [socketAgent('agent'), dockerLogReader('reader')]);
    const partial = await writeSnapshot(dir, 'partial.json', [socketAgent('other')]);
    await scanManifests({ prod: [full] }, store);
    const run = await scanManifests(
      { prod: [partial, join(FIXTURES_DIR, 'manifests', 'broken-files')] },
      store,
    );
    assertValidDiff(run.diff);
    const [prod] = run.diff.clusters;
    expect(prod?.status).toBe('partial');
    expect(prod?.resolved).toEqual([]);
    expect(prod?.resolvedWithheld).toMatch(/only partially/);
    expect(described(prod?.new ?? [])).toContain('DS001 DaemonSet/other');
    const markdown = run.artifacts.find((artifact) => artifact.name === 'report.md')?.body ?? '';
    expect(markdown).toContain('This run read the cluster only partially');
  });

  test('an unreadable previous report or cluster pointer: a diff against nothing with a note, never a crash', async () => {
    const dir = await tempDir();
    const store = new LocalDirectoryStore(dir);
    const input = await writeSnapshot(dir, 'in.json', [socketAgent('agent')]);
    const first = await scanManifests({ prod: [input] }, store);
    await writeFile(join(dir, 'runs', first.report.runId, 'report.json'), '{"clusters": "not a list"');
    const second = await scanManifests({ prod: [input] }, store);
    expect(second.storeError).toBeUndefined();
    expect(second.diff.baseline).toBe(true);
    expect(second.diff.clusters[0]?.new).toHaveLength(1);
    expect(second.diff.notes.join('\n')).toMatch(/report\.json .* is not valid JSON/);
    expect(second.diff.notes.join('\n')).toMatch(/compared with nothing/);

    await writeFile(join(dir, clusterPointerKey('prod')), JSON.stringify({ kind: 'something else' }));
    const third = await scanManifests({ prod: [input] }, store);
    expect(third.diff.notes).toEqual([
      expect.stringMatching(/^clusters\/prod\/latest\.json .* is not what this tool writes/),
      expect.stringMatching(/^clusters\/prod\/latest\.json does not name the latest run/),
    ]);
    // The head is sound, so the run still chains onto the one before.
    expect(third.stored?.manifest.previous?.runId).toBe(second.report.runId);
    expect(third.diff.clusters[0]?.previousRunId).toBe(second.report.runId);
  });

  test('cluster names that are not file names: EKS ARNs, dots, slashes, non-ASCII', async () => {
    expect(clusterSegment('arn:aws:eks:eu-west-1:123456789012:cluster/prod')).toBe(
      'arn%3Aaws%3Aeks%3Aeu-west-1%3A123456789012%3Acluster%2Fprod',
    );
    expect(clusterSegment('..')).toBe('%2E%2E');
    expect(clusterSegment('größe')).toBe('gr%C3%B6%C3%9Fe');
    const dir = await tempDir();
    const store = new LocalDirectoryStore(dir);
    const input = await writeSnapshot(dir, 'in.json', [socketAgent('agent')]);
    const name = 'arn:aws:eks:eu-west-1:123456789012:cluster/../prod';
    const first = await scanManifests({ [name]: [input] }, store);
    const second = await scanManifests({ [name]: [input] }, store);
    expect(second.diff.clusters[0]?.previousRunId).toBe(first.report.runId);
    expect(second.diff.clusters[0]?.unchanged).toBe(1);
  });

  test('a cluster pointer that cannot be written: the run is stored and chained, the error says so, the next run reads the cluster from the head', async () => {
    const dir = await tempDir();
    const store = new LocalDirectoryStore(dir);
    const input = await writeSnapshot(dir, 'in.json', [socketAgent('agent')]);
    await scanManifests({ prod: [input] }, store);
    await mkdir(join(dir, clusterPointerKey('qa')), { recursive: true });
    const failed = await scanManifests({ qa: [input] }, store);
    expect(failed.storeError?.code).toBe('POINTER_FAILED');
    expect(failed.storeError?.message).toContain(clusterPointerKey('qa'));
    expect(failed.storeError?.message).toContain('is stored and is the latest run');
    expect(JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8')).runId).toBe(failed.report.runId);
    expect((await verifyStore(store)).problems).toEqual([]);

    const next = await scanManifests({ qa: [input] }, store);
    expect(next.diff.clusters[0]?.previousRunId).toBe(failed.report.runId);
    expect(next.diff.clusters[0]?.unchanged).toBe(1);
  });

  test('the report link of a folder store is the stored HTML report', async () => {
    const dir = await tempDir();
    const input = await writeSnapshot(dir, 'in.json', [socketAgent('agent')]);
    const run = await scanManifests({ prod: [input] }, new LocalDirectoryStore(join(dir, 'store')));
    expect(run.reportLink).toBe(join(dir, 'store', 'runs', run.report.runId, 'report.html'));
    expect(await readFile(run.reportLink ?? '', 'utf8')).toContain('<!DOCTYPE html>');
  });
});
