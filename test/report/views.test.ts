import { describe, expect, test } from 'vitest';
import { assembleReport } from '../../lambda/report/assemble.ts';
import { changesView } from '../../lambda/report/changes-view.ts';
import { clusterView } from '../../lambda/report/cluster-view.ts';
import type { ClusterReport } from '../../lambda/report/model.ts';
import { runRows, timeLabel } from '../../lambda/report/run-view.ts';
import { workloadView } from '../../lambda/report/workload-view.ts';
import { diffBetween } from '../helpers/diff.ts';
import { audit, node, pod, podSpec } from '../helpers/objects.ts';
import { dockerLogReader, socketAgent } from '../helpers/scans.ts';

/**
 * One describe per view module, each over a cluster audited by the real engine: what the
 * partial of that name shows follows from report.json and diff.json, and from nothing else.
 */
const RUN = '20261122T030000Z-aaaaaa';
const PREVIOUS = '20261121T030000Z-bbbbbb';

const socketPod = (name: string, nodeName: string) =>
  pod(
    name,
    podSpec({
      hostPaths: { sock: '/var/run/docker.sock' },
      containers: [{ name: 'agent', mounts: [{ volume: 'sock', at: '/var/run/docker.sock' }] }],
      nodeName,
    }),
    { namespace: 'monitoring', owner: { kind: 'DaemonSet', name: 'agent' } },
  );

describe('changes-view (partials/changes.hbs, cluster-changes.hbs)', () => {
  test('a first run is a baseline: no rows, and the sentence says why everything is new', () => {
    const now = audit([socketAgent('agent')]);
    const view = changesView(diffBetween(undefined, [now], { runId: RUN }));
    expect(view.baseline).toBe(true);
    expect(view.rows).toEqual([]);
    expect(view.summary).toMatch(/^First run: this is the baseline, and all \d+ findings? count as new\.$/);
  });

  test('new and resolved findings become rows naming the cluster and the resource', () => {
    const before = audit([socketAgent('old-agent')]);
    const now = audit([dockerLogReader('reader')]);
    const view = changesView(diffBetween([before], [now], { runId: RUN, previousRunId: PREVIOUS }));
    expect(view.empty).toBe(false);
    expect(view.previousRunId).toBe(PREVIOUS);
    expect(view.rows.map((row) => [row.change, row.cluster, row.finding.label])).toEqual(
      expect.arrayContaining([
        ['new', 'test', 'DaemonSet logging/reader'],
        ['resolved', 'test', 'DaemonSet monitoring/old-agent'],
      ]),
    );
    expect(view.summary).toBe(
      `${view.new} new, ${view.resolved} resolved, ${view.unchanged} unchanged since run ${PREVIOUS}.`,
    );
  });

  test('a partial cluster withholds "resolved", and the view says so instead of listing them', () => {
    const before = audit([socketAgent('agent')]);
    const now: ClusterReport = { ...audit([]), status: 'partial' };
    const view = changesView(diffBetween([before], [now], { runId: RUN, previousRunId: PREVIOUS }));
    expect(view.rows.filter((row) => row.change === 'resolved')).toEqual([]);
    expect(view.withheld).toEqual([{ cluster: 'test', reason: expect.any(String) }]);
    expect(view.empty).toBe(false);
  });
});

describe('cluster-view (partials/cluster.hbs)', () => {
  test('workloads are grouped by verdict, most severe first; nodes say how they run Docker', () => {
    const cluster = audit([
      socketAgent('agent'),
      socketPod('agent-x1', 'new-1'),
      dockerLogReader('reader'),
      node('old-1', 'docker://20.10.7', 'v1.23.4'),
      node('new-1', 'containerd://1.7.13', 'v1.28.5'),
    ]);
    const view = clusterView(cluster, 0, undefined);
    expect(view.anchor).toBe('cluster-1');
    const order = view.verdictGroups.map((group) => group.severity);
    expect(order[0]).toBe('critical');
    expect(view.verdictGroups[0]?.workloads.map((workload) => workload.label)).toEqual([
      'DaemonSet monitoring/agent',
    ]);
    expect(view.nodeRows.map((row) => [row.node.name, row.node.runtimeCategory, row.dockerLabel])).toEqual([
      ['new-1', 'containerd', 'no'],
      ['old-1', 'dockershim', 'yes, through dockershim (upgrade blocker)'],
    ]);
    expect(view.statusNote).toBeUndefined();
    expect(view.objectsLabel).toMatch(/^5 objects read: /);
  });

  test('a failed cluster says it has no findings, rather than looking clean', () => {
    const view = clusterView({ ...audit([]), status: 'failed' }, 2, undefined);
    expect(view.anchor).toBe('cluster-3');
    expect(view.statusNote).toBe('The cluster could not be read: there are no findings for it in this run.');
  });
});

describe('workload-view (partials/workload.hbs)', () => {
  test("a workload's findings are grouped by rule, and its key evidence is the host path", () => {
    const cluster = audit([socketAgent('agent')]);
    const [workload] = cluster.workloads;
    if (!workload) throw new Error('the socket agent has no workload');
    const byId = new Map(cluster.findings.map((finding) => [finding.id, finding]));
    const view = workloadView(workload, byId, 'w1');
    expect(view.label).toBe('DaemonSet monitoring/agent');
    expect(view.keyEvidence).toBe('/var/run/docker.sock');
    expect(view.ruleIds).toEqual([...new Set(view.findings.map((entry) => entry.finding.rule))].sort());
    expect(view.oneLine).toContain('(/var/run/docker.sock)');
  });
});

describe('run-view (partials/footer.hbs)', () => {
  test('times read the same in every time zone, and the run names what it was compared with', () => {
    expect(timeLabel('2026-11-22T03:00:00.000Z')).toBe('2026-11-22 03:00 UTC');
    expect(timeLabel('not a time')).toBe('not a time');
    const report = assembleReport([audit([])], {
      runId: RUN,
      generatedAt: new Date('2026-11-22T03:00:00Z'),
      toolVersion: '1.2.3',
      rulesVersion: '2',
      identity: 'arn:aws:iam::123456789012:role/auditor',
    });
    expect(runRows(report, undefined)).toEqual([
      { label: 'Run', value: RUN },
      { label: 'Generated', value: '2026-11-22 03:00 UTC' },
      { label: 'Tool', value: 'dockershim-audit 1.2.3' },
      { label: 'Rules version', value: '2' },
      { label: 'Run by', value: 'arn:aws:iam::123456789012:role/auditor' },
      { label: 'Compared with', value: 'nothing (baseline)' },
    ]);
  });
});
