import { describe, expect, test } from 'vitest';
import { type AuditPolicy, defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { ManifestSource } from '../../lambda/collect/manifest-source.ts';
import { resourceLabel } from '../../lambda/kube/resource-label.ts';
import { assembleReport } from '../../lambda/report/assemble.ts';
import type { Migration, PoolPlan } from '../../lambda/report/migration.ts';
import type { ClusterReport } from '../../lambda/report/model.ts';
import { RULES_VERSION, TOOL_VERSION } from '../../lambda/version.ts';
import { FIXTURES_DIR } from '../helpers/paths.ts';
import { assertValidReport } from '../helpers/report-schema.ts';

const NOW = new Date('2026-11-22T00:00:00Z');

/** Audits a fixture as the CLI reads manifests: the real source, the real audit, the real plan. */
async function planOf(
  fixture: string,
  policy: AuditPolicy = defaultPolicy(NOW),
): Promise<{ cluster: ClusterReport; plan: Migration }> {
  const cluster = await auditCluster(new ManifestSource('test', [`${FIXTURES_DIR}plan/${fixture}`]), policy);
  const report = assembleReport([cluster], {
    runId: '20261122T030000Z-aaaaaa',
    generatedAt: NOW,
    toolVersion: TOOL_VERSION,
    rulesVersion: RULES_VERSION,
  });
  assertValidReport(JSON.parse(JSON.stringify(report)));
  if (!cluster.migration) throw new Error('no migration plan');
  return { cluster, plan: cluster.migration };
}

const pool = (plan: Migration, name: string): PoolPlan => {
  const found = plan.pools.find((entry) => entry.name === name);
  if (!found) throw new Error(`no pool ${name} in ${plan.pools.map((entry) => entry.name).join(', ')}`);
  return found;
};
const blockers = (entry: PoolPlan) =>
  entry.blockers.map((blocker) => `${resourceLabel(blocker.resource)} ${blocker.placement}`);
const risks = (entry: PoolPlan) =>
  entry.drainRisks.map((risk) => `${risk.kind} ${resourceLabel(risk.resource)} (${risk.pods})`);

describe('the plan of an EKS cluster with Karpenter, halfway through its move', () => {
  const fixture = 'eks-karpenter-mid-migration.yaml';

  test('pools by EKS node group, Karpenter NodePool and the older provisioner label, with runtime and kubelet', async () => {
    const { plan } = await planOf(fixture);
    expect(
      plan.pools.map((entry) => [
        entry.name,
        entry.source,
        entry.nodes.length,
        entry.runtime,
        entry.kubeletVersions,
      ]),
    ).toEqual([
      ['ng-batch', 'eks-managed-node-group', 1, 'dockershim', ['v1.23.17-eks-a59e1f0']],
      ['spot', 'karpenter', 2, 'dockershim', ['v1.23.17-eks-a59e1f0']],
      ['ng-gpu', 'eks-managed-node-group', 1, 'dockershim', ['v1.23.17-eks-a59e1f0']],
      ['ng-legacy', 'eks-managed-node-group', 2, 'dockershim', ['v1.23.17-eks-a59e1f0']],
      ['ng-apps', 'eks-managed-node-group', 2, 'dockershim', ['v1.23.17-eks-a59e1f0']],
      ['default', 'karpenter', 1, 'containerd', ['v1.23.17-eks-a59e1f0']],
    ]);
    expect(pool(plan, 'spot').label).toEqual({ key: 'karpenter.sh/nodepool', value: 'spot' });
    expect(pool(plan, 'default').label).toEqual({ key: 'karpenter.sh/provisioner-name', value: 'default' });
  });

  test('readiness and blockers: DaemonSets by selector and tolerations, other workloads by where their pods run', async () => {
    const { plan } = await planOf(fixture);
    expect(plan.pools.map((entry) => [entry.name, entry.status, entry.ready])).toEqual([
      ['ng-batch', 'ready', true],
      ['spot', 'ready', true],
      ['ng-gpu', 'blocked', false],
      ['ng-legacy', 'blocked', false],
      ['ng-apps', 'blocked', false],
      ['default', 'migrated', false],
    ]);
    // security-agent tolerates no taint: it runs on the untainted groups, not on batch, GPU or spot nodes.
    expect(blockers(pool(plan, 'ng-legacy'))).toEqual(['DaemonSet security/security-agent runs-here']);
    // gpu-monitor has no pod yet: its nodeSelector and toleration place it on the GPU group only.
    expect(blockers(pool(plan, 'ng-gpu'))).toEqual(['DaemonSet gpu/gpu-monitor scheduled-here']);
    expect(blockers(pool(plan, 'ng-apps'))).toEqual([
      'DaemonSet security/security-agent runs-here',
      'Deployment ci/build-agent runs-here',
    ]);
    // The log shipper only reads Docker's log directory (medium): it needs a look, it does not block.
    expect(
      plan.pools.flatMap((entry) => entry.blockers).map((blocker) => blocker.resource.name),
    ).not.toContain('log-shipper');
    // It is broken now on the containerd node it also runs on (DS050), which the reason leaves to the finding.
    const agent = pool(plan, 'ng-legacy').blockers[0];
    expect(agent?.findingIds.map((id) => id.slice(0, 5))).toEqual(['DS001', 'DS050']);
    expect(agent?.reason).toMatch(
      /Docker Engine socket: its pods run on 2 of the pool's 2 nodes on Docker Engine/,
    );
  });

  test('drain risks: budgets that allow nothing (maxUnavailable: 0, minAvailable equal to replicas), one replica, unowned pods, emptyDir', async () => {
    const { plan } = await planOf(fixture);
    expect(risks(pool(plan, 'spot'))).toEqual([
      'no-disruption-allowed Deployment shop/web (2)',
      'unowned-pod Pod default/debug-shell (1)',
    ]);
    expect(risks(pool(plan, 'ng-legacy'))).toEqual([
      'no-disruption-allowed Deployment shop/api (2)',
      'single-replica Deployment jobs/worker (1)',
      'emptydir Deployment jobs/worker (1)',
    ]);
    // cache: minAvailable 1 of 3 replicas leaves room; the CronJob's finished pod is nothing to drain.
    expect(risks(pool(plan, 'ng-apps'))).toEqual([]);
    expect(risks(pool(plan, 'ng-batch'))).toEqual([]);
    const web = pool(plan, 'spot').drainRisks[0];
    expect(web?.budget).toEqual({ kind: 'PodDisruptionBudget', namespace: 'shop', name: 'web' });
    expect(web?.reason).toContain('maxUnavailable: 0');
    expect(pool(plan, 'ng-legacy').drainRisks[0]?.reason).toContain('minAvailable: 2 with 2 pods');
  });

  test('order: ready pools by risk, then pools held by DaemonSets only, then the rest with what comes first', async () => {
    const { plan } = await planOf(fixture);
    expect(plan.pools.map((entry) => [entry.name, entry.order, entry.orderGroup ?? null])).toEqual([
      ['ng-batch', 1, 'ready'],
      ['spot', 2, 'ready'],
      ['ng-gpu', 3, 'after-daemonsets'],
      ['ng-legacy', 4, 'after-daemonsets'],
      ['ng-apps', 5, 'after-prerequisites'],
      ['default', null, null],
    ]);
    expect(pool(plan, 'ng-apps').prerequisites).toEqual([
      expect.stringMatching(
        /^Fix DaemonSet security\/security-agent \(DS001, DS050\).*every pool it runs on/,
      ),
      expect.stringMatching(/^Fix Deployment ci\/build-agent \(DS001\)/),
    ]);
    // The security agent frees two node groups' worth of nodes; then the build agent, then the GPU monitor.
    expect(plan.fixFirst.map((step) => [step.resource.name, step.pools, step.readyAfter])).toEqual([
      ['security-agent', ['ng-apps', 'ng-legacy'], { pools: 3, nodes: 5 }],
      ['build-agent', ['ng-apps'], { pools: 4, nodes: 7 }],
      ['gpu-monitor', ['ng-gpu'], { pools: 5, nodes: 8 }],
    ]);
    expect(plan.summary).toEqual({
      pools: 6,
      poolsOnDocker: 5,
      ready: 2,
      blocked: 3,
      unverified: 0,
      migrated: 1,
      nodes: 9,
      nodesOnDocker: 8,
      nodesReady: 3,
    });
  });

  test('kubelet versions: every dockershim pool is told it must move before 1.24, blocked ones about cri-dockerd', async () => {
    const { plan } = await planOf(fixture);
    for (const entry of plan.pools.filter((candidate) => candidate.nodesOnDocker > 0))
      expect(entry.notes[0]).toMatch(
        /on dockershim \(kubelet v1\.23\.17-eks-a59e1f0\): Kubernetes 1\.24 removed dockershim/,
      );
    expect(pool(plan, 'ng-apps').notes.join(' ')).toMatch(/cri-dockerd.*stopgap/);
    expect(pool(plan, 'spot').notes.join(' ')).not.toMatch(/cri-dockerd/);
  });

  test('an exemption takes a blocker away, and a pool label named in the policy groups nodes first', async () => {
    const base = defaultPolicy(NOW);
    const { plan } = await planOf(fixture, {
      ...base,
      exemptions: [
        { resource: 'DaemonSet/security/security-agent', reason: 'reads containerd too since 4.3' },
      ],
      poolLabels: ['node.kubernetes.io/instance-type'],
    });
    expect(plan.pools.map((entry) => [entry.name, entry.source, entry.nodes.length, entry.runtime])).toEqual([
      ['c5.2xlarge', 'policy-label', 1, 'dockershim'],
      ['m5.large', 'policy-label', 3, 'mixed'],
      ['p3.2xlarge', 'policy-label', 1, 'dockershim'],
      ['m5.xlarge', 'policy-label', 4, 'dockershim'],
    ]);
    expect(pool(plan, 'm5.large').runtimes).toEqual({ dockershim: 2, containerd: 1 });
    expect(pool(plan, 'm5.xlarge').blockers.map((blocker) => blocker.resource.name)).toEqual(['build-agent']);
  });
});

describe('the plan of a GKE cluster', () => {
  const fixture = 'gke-docker-and-containerd-pools.yaml';

  test('node affinity keeps a Docker-only DaemonSet off the containerd pool, and a taint keeps everything off the analytics pool', async () => {
    const { cluster, plan } = await planOf(fixture);
    expect(plan.pools.map((entry) => [entry.name, entry.status, entry.order, blockers(entry)])).toEqual([
      ['analytics-pool', 'ready', 1, []],
      ['default-pool', 'blocked', 2, ['DaemonSet kube-system/docker-gc runs-here']],
      [
        'highmem-pool',
        'blocked',
        3,
        ['DaemonSet kube-system/docker-gc runs-here', 'DaemonSet monitoring/container-exporter runs-here'],
      ],
      ['containerd-pool', 'migrated', null, []],
    ]);
    // Nothing that needs Docker was placed on the containerd nodes, so nothing is broken now.
    expect(cluster.findings.filter((finding) => finding.severity === 'critical')).toEqual([]);
  });

  test('the GKE route: change the pool image type, Ubuntu pools to the Ubuntu containerd image', async () => {
    const { plan } = await planOf(fixture);
    const commands = (name: string) =>
      pool(plan, name)
        .runbook.steps.flatMap((step) => step.commands)
        .join('\n');
    expect(pool(plan, 'default-pool').runbook.route).toBe('gke-node-pool');
    expect(commands('default-pool')).toContain(
      'gcloud container node-pools update default-pool --cluster "$CLUSTER" --location "$LOCATION" --image-type COS_CONTAINERD',
    );
    expect(commands('analytics-pool')).toContain('--image-type UBUNTU_CONTAINERD');
    expect(pool(plan, 'containerd-pool').runbook).toEqual({
      route: 'none',
      steps: [],
      notes: ['Every node of this pool is off Docker Engine.'],
    });
  });
});

describe('the plan of a kubeadm cluster without pool labels', () => {
  test('one pool per runtime and kubelet version, the control plane apart', async () => {
    const { plan } = await planOf('kubeadm-without-pool-labels.yaml');
    expect(plan.pools.map((entry) => [entry.name, entry.source, entry.nodes, entry.status])).toEqual([
      ['control plane, dockershim, kubelet v1.23.6', 'runtime-and-kubelet', ['cp-1'], 'blocked'],
      ['dockershim, kubelet v1.23.6', 'runtime-and-kubelet', ['worker-1', 'worker-2'], 'blocked'],
      ['containerd, kubelet v1.23.6', 'runtime-and-kubelet', ['worker-3'], 'migrated'],
    ]);
    expect(plan.fixFirst.map((step) => [step.resource.name, step.readyAfter])).toEqual([
      ['cadvisor', { pools: 2, nodes: 3 }],
    ]);
  });
});
