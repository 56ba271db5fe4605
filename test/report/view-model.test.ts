import { describe, expect, test } from 'vitest';
import { assembleReport } from '../../lambda/report/assemble.ts';
import type { ClusterReport, Finding } from '../../lambda/report/model.ts';
import { buildReportView } from '../../lambda/report/view-model.ts';
import { findingView } from '../../lambda/report/workload-view.ts';
import { audit, daemonSet, node, pod, podSpec } from '../helpers/objects.ts';
import { socketAgent } from '../helpers/scans.ts';

const reportOf = (...clusters: ClusterReport[]) =>
  assembleReport(clusters, {
    runId: '20261122T030000Z-aaaaaa',
    generatedAt: new Date('2026-11-22T03:00:00Z'),
    toolVersion: '0.1.0',
    rulesVersion: '1',
  });

describe('the report view says what a reader needs first', () => {
  test('workloads broken now lead, with the nodes still on Docker', () => {
    const agent = socketAgent('agent');
    const view = buildReportView(
      reportOf(
        audit([
          agent,
          pod('agent-x1', podSpec({ ...sockSpec(), nodeName: 'new-1' }), {
            namespace: 'monitoring',
            owner: { kind: 'DaemonSet', name: 'agent' },
          }),
          node('old-1', 'docker://20.10.7', 'v1.23.4'),
          node('old-2', 'docker://24.0.7', 'v1.27.9'),
          node('new-1', 'containerd://1.7.13', 'v1.28.5'),
        ]),
      ),
    );
    expect(view.headline).toMatchObject({
      tone: 'critical',
      text: expect.stringMatching(/^1 workload is broken now/),
    });
    expect(view.headline.detail).toBe('2 of 3 nodes still run Docker Engine.');
    expect(view.nodes).toMatchObject({ total: 3, onDocker: 2, migratedPercent: 33 });
    expect(view.nodes.runtimes.map((entry) => [entry.label, entry.count])).toEqual([
      ['dockershim', 1],
      ['cri-dockerd', 1],
      ['containerd', 1],
    ]);
    // Donut segments cover the circle (circumference 100), one after the other from the top.
    expect(view.nodes.donut.map((segment) => [segment.dashArray, segment.dashOffset])).toEqual([
      ['33.33 66.67', 25],
      ['33.33 66.67', -8.33],
      ['33.33 66.67', -41.66],
    ]);
    expect(view.severityBar.reduce((sum, segment) => sum + segment.width, 0)).toBeCloseTo(100, 1);
  });

  test('nothing found in a complete fleet is good news; in an incomplete one it is not', () => {
    const clean = audit([daemonSet('web', podSpec({}))]);
    expect(buildReportView(reportOf(clean)).headline.tone).toBe('ok');
    const partial = { ...clean, status: 'partial' as const };
    expect(buildReportView(reportOf(partial)).headline).toMatchObject({
      tone: 'warn',
      detail: expect.stringContaining('1 of 1 cluster could not be read completely'),
    });
  });

  test('only http(s) references become links', () => {
    const [finding] = audit([socketAgent('agent')]).findings;
    const view = findingView({
      ...(finding as Finding),
      references: [
        'javascript:alert(1)',
        'https://docs.example.com/agents/containerd.html#cri',
        'see the wiki',
      ],
    });
    expect(view.references).toEqual([
      { text: 'javascript:alert(1)' },
      {
        text: 'docs.example.com › containerd #cri',
        href: 'https://docs.example.com/agents/containerd.html#cri',
      },
      { text: 'see the wiki' },
    ]);
  });
});

function sockSpec() {
  return {
    hostPaths: { sock: '/var/run/docker.sock' },
    containers: [{ name: 'agent', mounts: [{ volume: 'sock', at: '/var/run/docker.sock' }] }],
  };
}
