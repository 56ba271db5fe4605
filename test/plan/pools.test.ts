import { describe, expect, test } from 'vitest';
import { ClusterAudit } from '../../lambda/audit/cluster-audit.ts';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { applyPolicyConfig, parsePolicyConfig } from '../../lambda/config/audit-config.ts';
import { ConfigError } from '../../lambda/config/errors.ts';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import type { ClusterSourceInfo, ClusterStatus } from '../../lambda/report/model.ts';
import { audit, node } from '../helpers/objects.ts';
import { containerdNode, dockershimNode, socketAgent } from '../helpers/scans.ts';

const NOW = new Date('2026-11-22T00:00:00Z');

function labelled(name: string, runtime: string, labels: Record<string, string>): KubeObject {
  const object = node(name, runtime, runtime.startsWith('docker') ? 'v1.23.17' : 'v1.28.5');
  return { ...object, metadata: { ...object.metadata, labels } };
}

function finish(objects: KubeObject[], status: ClusterStatus, source?: ClusterSourceInfo) {
  const run = new ClusterAudit('test', defaultPolicy(NOW));
  for (const object of objects) run.add(object);
  return run.finish(source ?? { type: 'manifests', paths: ['test'] }, { status, reason: 'test' });
}

describe('node pools', () => {
  test('AKS agent pools, and two labels that give the same name are told apart by key', () => {
    const plan = audit([
      labelled('aks-system-1', 'docker://20.10.7', { 'kubernetes.azure.com/agentpool': 'general' }),
      labelled('ip-10-0-1-10', 'docker://20.10.7', { 'eks.amazonaws.com/nodegroup': 'general' }),
      labelled('ip-10-0-1-11', 'containerd://1.7.2', { 'karpenter.sh/nodepool': 'spot' }),
    ]).migration;
    expect(plan?.pools.map((pool) => [pool.name, pool.source])).toEqual([
      ['eks.amazonaws.com/nodegroup=general', 'eks-managed-node-group'],
      ['kubernetes.azure.com/agentpool=general', 'aks-agent-pool'],
      ['spot', 'karpenter'],
    ]);
  });

  test('a node without a name (a manifest) keeps its pool under its stand-in name, and stays out of the commands', () => {
    const unnamed = labelled('x', 'docker://20.10.7', { 'eks.amazonaws.com/nodegroup': 'ng-1' });
    const { name: _, ...metadata } = unnamed.metadata ?? {};
    const plan = audit([{ ...unnamed, metadata }]).migration;
    expect(plan?.pools.map((pool) => [pool.name, pool.nodes.length, pool.status])).toEqual([
      ['ng-1', 1, 'ready'],
    ]);
    expect(plan?.pools[0]?.runbook.route).toBe('none');
    expect(plan?.pools[0]?.runbook.notes.join(' ')).toMatch(
      /1 node has a name that is not a valid Kubernetes node name/,
    );
  });

  test('a node with an empty pool label falls back to runtime and kubelet', () => {
    const plan = audit([
      labelled('worker-1', 'docker://20.10.7', { 'eks.amazonaws.com/nodegroup': '' }),
    ]).migration;
    expect(plan?.pools.map((pool) => [pool.name, pool.source])).toEqual([
      ['dockershim, kubelet v1.23.17', 'runtime-and-kubelet'],
    ]);
  });

  test('the policy file names a pool label: read, checked, and tried first', () => {
    const config = parsePolicyConfig({ plan: { poolLabels: ['acme.io/pool'] } }, 'policy.yaml');
    expect(config.plan.poolLabels).toEqual(['acme.io/pool']);
    const policy = applyPolicyConfig(defaultPolicy(NOW), config);
    expect(policy.poolLabels).toEqual(['acme.io/pool']);
    expect(() => parsePolicyConfig({ plan: { poolLabels: ['no spaces allowed'] } }, 'policy.yaml')).toThrow(
      ConfigError,
    );
    expect(() => parsePolicyConfig({ plan: { poolLabels: 'acme.io/pool' } }, 'policy.yaml')).toThrow(
      /plan.poolLabels must be a list of node label keys/,
    );
    expect(() => parsePolicyConfig({ plan: { pools: [] } }, 'policy.yaml')).toThrow(
      /plan: unknown setting pools/,
    );
    const run = new ClusterAudit('test', policy);
    run.add(
      labelled('worker-1', 'docker://20.10.7', {
        'acme.io/pool': 'blue',
        'eks.amazonaws.com/nodegroup': 'ng',
      }),
    );
    const plan = run.finish({ type: 'manifests', paths: ['x'] }, { status: 'complete' }).migration;
    expect(plan?.pools.map((pool) => [pool.name, pool.source, pool.label])).toEqual([
      ['blue', 'policy-label', { key: 'acme.io/pool', value: 'blue' }],
    ]);
  });
});

describe('a plan is never more sure than what was read', () => {
  const objects = [dockershimNode('worker-1'), containerdNode('worker-2')];

  test('a partial read: no pool is ready, the pool is "not verified" and says what must happen first', () => {
    const plan = finish(objects, 'partial').migration;
    expect(plan?.complete).toBe(false);
    expect(plan?.pools.map((pool) => [pool.name, pool.status, pool.ready])).toEqual([
      ['dockershim, kubelet v1.23.17', 'unverified', false],
      ['containerd, kubelet v1.28.5', 'migrated', false],
    ]);
    expect(plan?.pools[0]?.prerequisites).toEqual([expect.stringMatching(/^Read the cluster completely/)]);
    expect(plan?.notes[0]).toMatch(/read only partially: no pool is called ready/);
    expect(plan?.summary.ready).toBe(0);
  });

  test('a failed read: no plan, and a note that says why', () => {
    const plan = finish(objects, 'failed').migration;
    expect(plan).toMatchObject({ complete: false, pools: [], fixFirst: [] });
    expect(plan?.notes).toEqual(['The cluster could not be read: there is no plan for it in this run.']);
  });

  test('manifests without nodes: no pools, and the note says a snapshot needs the nodes', () => {
    const plan = audit([socketAgent('agent')]).migration;
    expect(plan?.pools).toEqual([]);
    expect(plan?.notes[0]).toMatch(/No nodes were read.*kubectl get nodes -o json/);
  });

  test('a control plane on 1.26 with dockershim kubelets: they cannot follow it, and the skew is named', () => {
    const plan = finish(objects, 'complete', {
      type: 'kubernetes',
      serverVersion: 'v1.26.3',
    }).migration;
    expect(plan?.notes).toEqual([
      'The control plane runs v1.26.3, but 1 node on dockershim cannot follow it past kubelet 1.23 until they leave Docker Engine. Kubelet 1.23 is 3 minor versions behind it, more than Kubernetes supports (2).',
    ]);
  });
});
