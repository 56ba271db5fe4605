import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import { budgetBlocks } from '../../lambda/plan/drain-risks.ts';
import type { BudgetFacts } from '../../lambda/plan/facts.ts';
import { budgetFactsOf } from '../../lambda/plan/read-facts.ts';
import { audit, node, pod, podSpec, workload } from '../helpers/objects.ts';

const budget = (spec: Partial<BudgetFacts>): BudgetFacts => ({
  resource: { kind: 'PodDisruptionBudget', namespace: 'shop', name: 'web' },
  selector: { matchLabels: { app: 'web' }, matchExpressions: [] },
  ...spec,
});

describe('when a PodDisruptionBudget lets a drain go on', () => {
  test.each<[string, Partial<BudgetFacts>, number, string | undefined]>([
    ['maxUnavailable: 0', { maxUnavailable: 0 }, 3, 'maxUnavailable: 0'],
    ['maxUnavailable: "0%"', { maxUnavailable: '0%' }, 3, 'maxUnavailable: 0%'],
    ['maxUnavailable: 1', { maxUnavailable: 1 }, 3, undefined],
    ['minAvailable equal to the pods', { minAvailable: 2 }, 2, 'minAvailable: 2 with 2 pods'],
    ['minAvailable above the pods', { minAvailable: 3 }, 2, 'minAvailable: 3 with 2 pods'],
    ['minAvailable "100%"', { minAvailable: '100%' }, 4, 'minAvailable: 100% with 4 pods'],
    ['minAvailable "50%" of 3 (rounded up to 2)', { minAvailable: '50%' }, 3, undefined],
    [
      'minAvailable "67%" of 3 (rounded up to 3)',
      { minAvailable: '67%' },
      3,
      'minAvailable: 67% with 3 pods',
    ],
    ['healthy: minAvailable 1 of 3', { minAvailable: 1 }, 3, undefined],
    ['no pods matched: nothing to hold up', { minAvailable: 1 }, 0, undefined],
    [
      'a live status says none allowed',
      { minAvailable: 1, disruptionsAllowed: 0 },
      3,
      'status.disruptionsAllowed is 0',
    ],
    [
      'a live status allows one, whatever the spec suggests',
      { minAvailable: 3, disruptionsAllowed: 1 },
      3,
      undefined,
    ],
  ])('%s', (_, spec, pods, expected) => {
    expect(budgetBlocks(budget(spec), pods)).toBe(expected);
  });

  test('an empty selector selects every pod of its namespace in policy/v1 and none in policy/v1beta1', () => {
    const pdb = (apiVersion: string): KubeObject => ({
      apiVersion,
      kind: 'PodDisruptionBudget',
      metadata: { name: 'all', namespace: 'shop' },
      spec: { selector: {}, maxUnavailable: 0 },
    });
    expect(budgetFactsOf(pdb('policy/v1'))?.selector).toEqual({ matchLabels: {}, matchExpressions: [] });
    expect(budgetFactsOf(pdb('policy/v1beta1'))?.selector).toBeUndefined();
  });
});

describe('drain risks on a pool, from the pods on its nodes', () => {
  const dockerNode = node('worker-1', 'docker://20.10.7', 'v1.23.4');
  const deployment = (name: string, replicas: number) => ({
    ...workload('Deployment', name, podSpec({}), 'shop'),
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec({}) },
    },
  });
  const podOf = (name: string, owner: string, extra: { emptyDirs?: string[]; phase?: string } = {}) => ({
    ...pod(`${owner}-abc12-${name}`, podSpec({ nodeName: 'worker-1', emptyDirs: extra.emptyDirs ?? [] }), {
      namespace: 'shop',
      owner: { kind: 'ReplicaSet', name: `${owner}-abc12` },
      labels: { app: owner, 'pod-template-hash': 'abc12' },
    }),
    status: { phase: extra.phase ?? 'Running' },
  });
  const risksOf = (objects: KubeObject[]) =>
    (audit(objects).migration?.pools[0]?.drainRisks ?? []).map(
      (risk) => `${risk.kind} ${risk.resource.kind}/${risk.resource.name} ${risk.pods}`,
    );

  test('one replica and no budget; two replicas are fine; a budget that allows one is fine too', () => {
    expect(risksOf([dockerNode, deployment('solo', 1), podOf('a', 'solo')])).toEqual([
      'single-replica Deployment/solo 1',
    ]);
    expect(risksOf([dockerNode, deployment('pair', 2), podOf('a', 'pair'), podOf('b', 'pair')])).toEqual([]);
    const healthy: KubeObject = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'solo', namespace: 'shop' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'solo' } } },
    };
    expect(risksOf([dockerNode, deployment('solo', 1), podOf('a', 'solo'), healthy])).toEqual([]);
  });

  test('without the Deployment in the input, its replicas are its pods', () => {
    expect(risksOf([dockerNode, podOf('a', 'orphaned')])).toEqual(['single-replica Deployment/orphaned 1']);
  });

  test('emptyDir data, named; finished pods, DaemonSet pods and static pods are not drained', () => {
    expect(
      risksOf([
        dockerNode,
        deployment('cache', 2),
        podOf('a', 'cache', { emptyDirs: ['scratch', 'tmp'] }),
        podOf('b', 'cache'),
      ]),
    ).toEqual(['emptydir Deployment/cache 1']);
    const [risk] =
      audit([
        dockerNode,
        deployment('cache', 1),
        podOf('a', 'cache', { emptyDirs: ['tmp', 'scratch'] }),
      ]).migration?.pools[0]?.drainRisks.filter((entry) => entry.kind === 'emptydir') ?? [];
    expect(risk?.reason).toMatch(/^emptyDir volumes scratch, tmp: the drain deletes their data/);
    const finished = podOf('a', 'report', { emptyDirs: ['out'], phase: 'Succeeded' });
    const daemon = pod('agent-x1', podSpec({ nodeName: 'worker-1', emptyDirs: ['buf'] }), {
      namespace: 'shop',
      owner: { kind: 'DaemonSet', name: 'agent' },
    });
    const mirror = pod('etcd-worker-1', podSpec({ nodeName: 'worker-1', emptyDirs: ['data'] }), {
      namespace: 'kube-system',
      owner: { kind: 'Node', name: 'worker-1' },
    });
    expect(risksOf([dockerNode, finished, daemon, mirror])).toEqual([]);
  });

  test('a pod with no controller: deleted for good by a forced drain, and the runbook says the drain stops there', () => {
    const bare = pod('debug', podSpec({ nodeName: 'worker-1' }), { namespace: 'shop' });
    const report = audit([dockerNode, bare]);
    const pool = report.migration?.pools[0];
    expect(pool?.drainRisks.map((risk) => risk.kind)).toEqual(['unowned-pod']);
    expect(pool?.runbook.notes.join(' ')).toMatch(
      /1 pod on these nodes has no controller: the drain stops there/,
    );
  });
});
