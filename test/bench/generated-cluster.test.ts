import { describe, expect, test } from 'vitest';
import { ClusterAudit } from '../../lambda/audit/cluster-audit.ts';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { SERVED_KINDS } from '../simulator/cluster-data.ts';
import { generatedCluster } from '../simulator/generated-cluster.ts';

describe('generated clusters for the benchmark', () => {
  test('have the asked size, realistic pods, and 1-5% of pods that depend on Docker', () => {
    const { data, summary } = generatedCluster({ pods: 3000 });
    expect(summary).toMatchObject({ pods: 3000, nodes: 100 });
    expect(data.resources.get('pods')?.count).toBe(3000);
    const share = summary.dockerDependentPods / summary.pods;
    expect(share).toBeGreaterThanOrEqual(0.01);
    expect(share).toBeLessThanOrEqual(0.05);
    const pod = JSON.parse(data.resources.get('pods')?.json(2999) ?? '{}');
    expect(pod.metadata.ownerReferences[0].kind).toBe('ReplicaSet');
    expect(JSON.stringify(pod).length).toBeGreaterThan(4000);
  });

  test('audit as a cluster would: Docker-dependent workloads found, attributed to Deployments, broken on containerd nodes', () => {
    const { data, summary } = generatedCluster({ pods: 1200 });
    const audit = new ClusterAudit('generated', defaultPolicy());
    const kindOf = Object.fromEntries(
      Object.entries(SERVED_KINDS).map(([kind, served]) => [served.resource, kind]),
    );
    for (const [resource, list] of data.resources) {
      for (let index = 0; index < list.count; index++)
        audit.add({ ...JSON.parse(list.json(index)), kind: kindOf[resource] });
    }
    const report = audit.finish({ type: 'manifests', paths: [] }, { status: 'complete' });
    const verdicts = new Map(
      report.workloads.map((workload) => [
        `${workload.resource.kind}/${workload.resource.name}`,
        workload.verdict,
      ]),
    );
    expect(verdicts.get('DaemonSet/datadog')).toBe('critical');
    expect(verdicts.get('Deployment/ci-runner-0')).toBe('critical');
    expect([...verdicts.keys()].filter((key) => key.startsWith('Deployment/checkout-'))).toEqual([]);
    expect(report.summary.nodesOnDocker).toBe(Math.round(summary.nodes * 0.4));
  });
});
