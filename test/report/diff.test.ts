import { describe, expect, test } from 'vitest';
import { ClusterAudit } from '../../lambda/audit/cluster-audit.ts';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { assembleReport } from '../../lambda/report/assemble.ts';
import {
  diffCluster,
  diffReports,
  type PreviousCluster,
  type PreviousRuns,
} from '../../lambda/report/diff.ts';
import type { ClusterReport, ClusterStatus, Report } from '../../lambda/report/model.ts';
import { audit, node, pod, podSpec } from '../helpers/objects.ts';
import { assertValidDiff } from '../helpers/report-schema.ts';
import { dockerLogReader, socketAgent } from '../helpers/scans.ts';

const logReader = dockerLogReader('log-reader');
const dockerNode = node('worker-1', 'docker://20.10.7', 'v1.23.4');
const containerdNode = node('worker-1', 'containerd://1.7.13', 'v1.28.5');

function cluster(objects: Parameters<typeof audit>[0], status: ClusterStatus = 'complete'): ClusterReport {
  return { ...audit(objects), status };
}

const reading = (runId: string, report: ClusterReport): PreviousCluster['latest'] => ({
  runId,
  cluster: report,
});
const labels = (findings: readonly { rule: string; resource: { kind: string; name: string } }[]) =>
  findings.map((finding) => `${finding.rule} ${finding.resource.kind}/${finding.resource.name}`);

describe('diff of one cluster', () => {
  test('new, resolved and unchanged by finding id', () => {
    const before = cluster([socketAgent('old-agent'), logReader, dockerNode]);
    const now = cluster([socketAgent('new-agent'), logReader, dockerNode]);
    const diff = diffCluster(now, { latest: reading('20261121T030000Z-aaaaaa', before) });
    expect(labels(diff.new)).toEqual(['DS001 DaemonSet/new-agent']);
    expect(labels(diff.resolved)).toEqual(['DS001 DaemonSet/old-agent']);
    expect(diff.unchanged).toBe(now.findings.length - 1);
    expect(diff.previousRunId).toBe('20261121T030000Z-aaaaaa');
    expect(diff.resolvedWithheld).toBeUndefined();
  });

  test('a node that moved to containerd: its dockershim finding is resolved and it is named', () => {
    const before = cluster([logReader, dockerNode]);
    const now = cluster([logReader, containerdNode]);
    const diff = diffCluster(now, { latest: reading('20261121T030000Z-aaaaaa', before) });
    expect(diff.nodesLeftDocker).toEqual(['worker-1']);
    expect(labels(diff.resolved)).toEqual(['DS040 Node/worker-1']);
    expect(labels(diff.new)).toEqual(['DS042 Node/worker-1']);
  });

  test.each<[ClusterStatus, ClusterStatus, RegExp]>([
    ['partial', 'complete', /This run read the cluster only partially/],
    ['failed', 'complete', /This run could not read the cluster/],
    ['complete', 'partial', /previous run .* read the cluster only partially/],
    ['complete', 'failed', /previous run .* could not read the cluster/],
  ])('now %s, before %s: nothing is resolved, and the diff says why', (nowStatus, beforeStatus, reason) => {
    const before = cluster([socketAgent('old-agent'), logReader], beforeStatus);
    const now = cluster([logReader], nowStatus);
    const diff = diffCluster(now, { latest: reading('20261121T030000Z-aaaaaa', before) });
    expect(diff.resolved).toEqual([]);
    expect(diff.resolvedWithheld).toMatch(reason);
    expect(diff.previousStatus).toBe(beforeStatus);
  });

  test('after a failed run, findings the last complete run saw are not new again', () => {
    const complete = cluster([socketAgent('agent'), logReader]);
    const failed = cluster([], 'failed');
    const now = cluster([socketAgent('agent'), logReader, socketAgent('added')]);
    const diff = diffCluster(now, {
      latest: reading('20261122T030000Z-bbbbbb', failed),
      lastComplete: reading('20261121T030000Z-aaaaaa', complete),
    });
    expect(labels(diff.new)).toEqual(['DS001 DaemonSet/added']);
    expect(diff.unchanged).toBe(complete.findings.length);
    expect(diff.resolved).toEqual([]);
    expect(diff.resolvedWithheld).toMatch(/could not read/);
  });

  test('a severity override between runs shows as a severity change, not as new and resolved', () => {
    const before = cluster([logReader]);
    const policy = {
      ...defaultPolicy(new Date('2026-11-22T00:00:00Z')),
      severityOverrides: { DS006: 'high' as const },
    };
    const now = { ...audit([logReader], policy) };
    const diff = diffCluster(now, { latest: reading('20261121T030000Z-aaaaaa', before) });
    expect(diff.new).toEqual([]);
    expect(diff.resolved).toEqual([]);
    expect(
      diff.severityChanged.map((change) => [change.finding.rule, change.from, change.finding.severity]),
    ).toEqual([['DS006', 'medium', 'high']]);
  });

  test('exempt findings are neither new nor resolved', () => {
    const before = cluster([socketAgent('agent')]);
    const exempt = { ...defaultPolicy(new Date('2026-11-22T00:00:00Z')) };
    exempt.exemptions = [{ rule: 'DS001', reason: 'accepted until the last Docker pool goes' }];
    const now = audit([socketAgent('agent'), socketAgent('second')], exempt);
    const diff = diffCluster(now, { latest: reading('20261121T030000Z-aaaaaa', before) });
    expect(diff.new).toEqual([]);
    expect(diff.resolved).toEqual([]);
  });

  test('a cluster without an earlier run: every finding is new, nothing resolved', () => {
    const now = cluster([socketAgent('agent'), logReader]);
    const diff = diffCluster(now, undefined);
    expect(diff.new).toHaveLength(now.findings.length);
    expect(diff.previousRunId).toBeUndefined();
    expect(diff.previousStatus).toBeUndefined();
  });
});

describe('diff of a fleet', () => {
  const report = (clusters: ClusterReport[]): Report =>
    assembleReport(clusters, {
      runId: '20261122T030000Z-cccccc',
      generatedAt: new Date('2026-11-22T03:00:00Z'),
      toolVersion: '0.1.0',
      rulesVersion: '1',
    });
  const named = (name: string, objects: Parameters<typeof audit>[0], status: ClusterStatus = 'complete') => ({
    ...cluster(objects, status),
    name,
  });

  test('totals by severity, baseline only when nothing could be compared, and clusters that left', () => {
    const previous: PreviousRuns = {
      runId: '20261121T030000Z-aaaaaa',
      fleetClusters: ['prod', 'staging', 'retired'],
      clusters: new Map([
        ['prod', { latest: reading('20261121T030000Z-aaaaaa', named('prod', [logReader])) }],
        [
          'staging',
          { latest: reading('20261121T030000Z-aaaaaa', named('staging', [socketAgent('a')], 'partial')) },
        ],
      ]),
      notes: [],
    };
    const diff = diffReports(
      report([named('prod', [logReader, socketAgent('b')]), named('staging', [logReader])]),
      previous,
    );
    assertValidDiff(diff);
    expect(diff.event).toBe('dockershim-audit.diff');
    expect(diff.baseline).toBe(false);
    expect(diff.previousRunId).toBe('20261121T030000Z-aaaaaa');
    expect(diff.summary.new).toBe(2); // DS001 on b (prod), DS006 on log-reader (staging)
    expect(diff.summary.newBySeverity).toMatchObject({ high: 1, medium: 1 });
    expect(diff.summary.resolved).toBe(0); // staging was partial before: nothing resolved there
    expect(diff.clusters.map((entry) => [entry.name, entry.status, entry.unchanged])).toEqual([
      ['prod', 'complete', 1],
      ['staging', 'complete', 0],
    ]);
    expect(diff.notes).toEqual([expect.stringMatching(/^Cluster retired was in the previous run/)]);
  });

  test('a cluster added to the fleet: its findings are new, and a note says why', () => {
    const previous: PreviousRuns = {
      runId: '20261121T030000Z-aaaaaa',
      clusters: new Map([
        ['prod', { latest: reading('20261121T030000Z-aaaaaa', named('prod', [logReader])) }],
      ]),
      notes: [],
    };
    const diff = diffReports(report([named('prod', [logReader]), named('eu', [socketAgent('a')])]), previous);
    expect(diff.baseline).toBe(false);
    expect(diff.summary).toMatchObject({ new: 1, unchanged: 1 });
    expect(diff.notes).toEqual(['Cluster eu has no earlier run: its 1 finding counts as new.']);
  });

  test('with no previous run the diff is a baseline that keeps the notes', () => {
    const diff = diffReports(report([named('prod', [logReader])]), {
      clusters: new Map(),
      notes: ['No earlier run in s3://bucket/prefix.'],
    });
    expect(diff.baseline).toBe(true);
    expect(diff.previousRunId).toBeUndefined();
    expect(diff.notes).toEqual(['No earlier run in s3://bucket/prefix.']);
    expect(diff.clusters[0]?.new).toHaveLength(1);
  });
});

describe('progress in the diff: pools that became ready, nodes that left Docker Engine', () => {
  const NOW = new Date('2026-11-22T00:00:00Z');
  const poolNode = (name: string, runtime: string, pool: string) => {
    const object = node(name, runtime, runtime.startsWith('docker') ? 'v1.23.4' : 'v1.28.5');
    return { ...object, metadata: { ...object.metadata, labels: { 'eks.amazonaws.com/nodegroup': pool } } };
  };
  const agentPod = (nodeName: string) =>
    pod(`agent-${nodeName}`, podSpec({ nodeName, hostPaths: { sock: '/var/run/docker.sock' } }), {
      namespace: 'monitoring',
      owner: { kind: 'DaemonSet', name: 'agent' },
    });
  /** A cluster read with the given status, its plan made from that reading, as the audit makes it. */
  const read = (objects: Parameters<typeof audit>[0], status: ClusterStatus = 'complete'): ClusterReport => {
    const run = new ClusterAudit('prod', defaultPolicy(NOW));
    for (const object of objects) run.add(object);
    return run.finish({ type: 'manifests', paths: ['x'] }, { status, reason: 'test' });
  };
  const blocked = () =>
    read([
      poolNode('n1', 'docker://20.10.7', 'ng-a'),
      poolNode('n2', 'docker://20.10.7', 'ng-b'),
      socketAgent('agent'),
      agentPod('n1'),
    ]);
  const fixed = (status: ClusterStatus = 'complete') =>
    read([poolNode('n1', 'docker://20.10.7', 'ng-a'), poolNode('n2', 'containerd://1.7.13', 'ng-b')], status);

  test('both readings complete: the pool the agent held back is ready now, and the node that moved is named', () => {
    const before = blocked();
    // The agent runs on n1 and, as a DaemonSet without a selector, would be scheduled on n2 as well.
    expect(
      before.migration?.pools.map((pool) => [pool.name, pool.status, pool.blockers[0]?.placement]),
    ).toEqual([
      ['ng-a', 'blocked', 'runs-here'],
      ['ng-b', 'blocked', 'scheduled-here'],
    ]);
    const diff = diffCluster(fixed(), { latest: reading('20261121T030000Z-aaaaaa', before) });
    expect(diff.poolsBecameReady).toEqual(['ng-a']);
    expect(diff.nodesLeftDocker).toEqual(['n2']);
    expect(diff.progressWithheld).toBeUndefined();
  });

  test('a partial reading now claims no progress at all, and says why', () => {
    const diff = diffCluster(fixed('partial'), { latest: reading('20261121T030000Z-aaaaaa', blocked()) });
    expect(diff.poolsBecameReady).toEqual([]);
    expect(diff.nodesLeftDocker).toEqual([]);
    expect(diff.progressWithheld).toMatch(/did not read the cluster completely/);
  });

  test('after a partial run, progress is measured against the last complete one', () => {
    const partial = read([poolNode('n1', 'docker://20.10.7', 'ng-a')], 'partial');
    const diff = diffCluster(fixed(), {
      latest: reading('20261122T030000Z-bbbbbb', partial),
      lastComplete: reading('20261121T030000Z-aaaaaa', blocked()),
    });
    expect(diff.poolsBecameReady).toEqual(['ng-a']);
    expect(diff.nodesLeftDocker).toEqual(['n2']);
    const never = diffCluster(fixed(), { latest: reading('20261122T030000Z-bbbbbb', partial) });
    expect(never.nodesLeftDocker).toEqual([]);
    expect(never.progressWithheld).toMatch(/No earlier run read the cluster completely/);
  });

  test('a pool that did not exist before is not one that became ready; nor is one that was ready already', () => {
    const before = read([poolNode('n1', 'docker://20.10.7', 'ng-a')]);
    const now = read([
      poolNode('n1', 'docker://20.10.7', 'ng-a'),
      poolNode('n9', 'docker://20.10.7', 'ng-new'),
    ]);
    const diff = diffCluster(now, { latest: reading('20261121T030000Z-aaaaaa', before) });
    expect(diff.poolsBecameReady).toEqual([]);
    assertValidDiff({
      ...diffReports(
        assembleReport([now], {
          runId: '20261122T030000Z-cccccc',
          generatedAt: NOW,
          toolVersion: '0',
          rulesVersion: '1',
        }),
        { clusters: new Map([['prod', { latest: reading('20261121T030000Z-aaaaaa', before) }]]), notes: [] },
      ),
    });
  });

  test('a report stored before plans existed: no pool is claimed, nodes still compare', () => {
    const { migration: _, ...old } = blocked();
    const diff = diffCluster(fixed(), { latest: reading('20261121T030000Z-aaaaaa', old) });
    expect(diff.poolsBecameReady).toEqual([]);
    expect(diff.nodesLeftDocker).toEqual(['n2']);
  });
});
