import { describe, expect, test } from 'vitest';
import type { NodeFacts, Scheduling } from '../../lambda/plan/facts.ts';
import { nodeFactsOf, schedulingOf } from '../../lambda/plan/read-facts.ts';
import { canSchedule, matchesRequirement, matchesSelector, tolerated } from '../../lambda/plan/scheduling.ts';

const node = (labels: Record<string, string>, taints: NodeFacts['taints'] = []): NodeFacts => ({
  name: 'ip-10-0-1-10.ec2.internal',
  labels: { 'kubernetes.io/os': 'linux', ...labels },
  taints,
});
const template = (spec: Record<string, unknown>): Scheduling => schedulingOf({ containers: [{}], ...spec });
const onDaemonSet = (spec: Record<string, unknown>, target: NodeFacts) =>
  canSchedule(template(spec), target, { daemonSet: true });

describe('where a pod template can be scheduled', () => {
  test('nodeSelector: every label must match', () => {
    const gpu = node({ 'node.kubernetes.io/instance-type': 'p3.2xlarge' });
    expect(onDaemonSet({ nodeSelector: { 'node.kubernetes.io/instance-type': 'p3.2xlarge' } }, gpu)).toBe(
      true,
    );
    expect(onDaemonSet({ nodeSelector: { 'node.kubernetes.io/instance-type': 'm5.large' } }, gpu)).toBe(
      false,
    );
    expect(
      onDaemonSet(
        { nodeSelector: { 'kubernetes.io/os': 'linux', 'node.kubernetes.io/instance-type': 'x' } },
        gpu,
      ),
    ).toBe(false);
    expect(onDaemonSet({}, gpu)).toBe(true);
  });

  test('required node affinity: terms are alternatives, expressions in a term all hold', () => {
    const docker = node({
      'cloud.google.com/gke-container-runtime': 'docker',
      'cloud.google.com/gke-nodepool': 'a',
    });
    const affinity = (terms: unknown[]) => ({
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
      },
    });
    const term = (...expressions: unknown[]) => ({ matchExpressions: expressions });
    const runtimeIn = (...values: string[]) => ({
      key: 'cloud.google.com/gke-container-runtime',
      operator: 'In',
      values,
    });
    expect(onDaemonSet(affinity([term(runtimeIn('docker'))]), docker)).toBe(true);
    expect(onDaemonSet(affinity([term(runtimeIn('containerd'))]), docker)).toBe(false);
    expect(onDaemonSet(affinity([term(runtimeIn('containerd')), term(runtimeIn('docker'))]), docker)).toBe(
      true,
    );
    expect(
      onDaemonSet(
        affinity([
          term(runtimeIn('docker'), {
            key: 'cloud.google.com/gke-nodepool',
            operator: 'NotIn',
            values: ['a'],
          }),
        ]),
        docker,
      ),
    ).toBe(false);
    // An empty list of terms, or an empty term, matches no node (as the API server reads it).
    expect(onDaemonSet(affinity([]), docker)).toBe(false);
    expect(onDaemonSet(affinity([{}]), docker)).toBe(false);
    // Only metadata.name is a field a term can match.
    expect(
      onDaemonSet(
        affinity([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [docker.name] }] }]),
        docker,
      ),
    ).toBe(true);
    expect(
      onDaemonSet(
        affinity([{ matchFields: [{ key: 'spec.unschedulable', operator: 'In', values: ['true'] }] }]),
        docker,
      ),
    ).toBe(false);
  });

  test.each([
    ['In', ['a', 'b'], { k: 'b' }, true],
    ['In', ['a'], {}, false],
    ['NotIn', ['a'], {}, true],
    ['NotIn', ['a'], { k: 'a' }, false],
    ['Exists', [], { k: '' }, true],
    ['Exists', [], {}, false],
    ['DoesNotExist', [], {}, true],
    ['DoesNotExist', [], { k: 'x' }, false],
    ['Gt', ['4'], { k: '8' }, true],
    ['Gt', ['4'], { k: '4' }, false],
    ['Lt', ['4'], { k: '3' }, true],
    ['Gt', ['4'], { k: 'eight' }, false],
    ['Gt', ['4', '5'], { k: '8' }, false],
    ['Matches', ['a'], { k: 'a' }, false],
  ])('%s %j against %j: %s', (operator, values, labels, expected) => {
    expect(matchesRequirement({ key: 'k', operator, values }, labels)).toBe(expected);
  });

  test('a label named like an Object property is a label, nothing more', () => {
    expect(matchesRequirement({ key: 'constructor', operator: 'Exists', values: [] }, {})).toBe(false);
    expect(matchesRequirement({ key: '__proto__', operator: 'DoesNotExist', values: [] }, {})).toBe(true);
  });

  test('taints: NoSchedule and NoExecute repel what does not tolerate them, PreferNoSchedule does not', () => {
    const tainted = (effect: string) => node({}, [{ key: 'dedicated', value: 'batch', effect }]);
    expect(onDaemonSet({}, tainted('NoSchedule'))).toBe(false);
    expect(onDaemonSet({}, tainted('NoExecute'))).toBe(false);
    expect(onDaemonSet({}, tainted('PreferNoSchedule'))).toBe(true);
    const equal = {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }],
    };
    expect(onDaemonSet(equal, tainted('NoSchedule'))).toBe(true);
    expect(onDaemonSet(equal, tainted('NoExecute'))).toBe(false);
    expect(
      onDaemonSet(
        { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu' }] },
        tainted('NoSchedule'),
      ),
    ).toBe(false);
    expect(onDaemonSet({ tolerations: [{ operator: 'Exists' }] }, tainted('NoExecute'))).toBe(true);
    expect(
      onDaemonSet({ tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }] }, tainted('NoExecute')),
    ).toBe(false);
    expect(
      onDaemonSet({ tolerations: [{ key: 'dedicated', operator: 'Exists' }] }, tainted('NoExecute')),
    ).toBe(true);
  });

  test("a DaemonSet tolerates a cordon and node conditions on its own; a Deployment's pods do not", () => {
    const cordoned = nodeFactsOf({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'worker-1', labels: { 'kubernetes.io/os': 'linux' } },
      spec: { unschedulable: true },
    });
    if (!cordoned) throw new Error('no node');
    expect(cordoned.taints).toEqual([{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]);
    expect(canSchedule(template({}), cordoned, { daemonSet: true })).toBe(true);
    expect(canSchedule(template({}), cordoned, { daemonSet: false })).toBe(false);
    const notReady = node({}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]);
    expect(onDaemonSet({}, notReady)).toBe(true);
    const networkDown = node({}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]);
    expect(onDaemonSet({}, networkDown)).toBe(false);
    expect(onDaemonSet({ hostNetwork: true }, networkDown)).toBe(true);
  });

  test('tolerated: an empty effect matches every effect; Equal with no value matches an empty value', () => {
    expect(tolerated({ key: 'a', effect: 'NoExecute' }, [{ key: 'a' }])).toBe(true);
    expect(tolerated({ key: 'a', value: 'x', effect: 'NoExecute' }, [{ key: 'a' }])).toBe(false);
    expect(tolerated({ key: 'a', effect: 'NoExecute' }, [{ key: 'b', operator: 'Exists' }])).toBe(false);
  });

  test('label selectors (PodDisruptionBudgets): matchLabels and matchExpressions together', () => {
    const selector = {
      matchLabels: { app: 'web' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }],
    };
    expect(matchesSelector(selector, { app: 'web', tier: 'front' })).toBe(true);
    expect(matchesSelector(selector, { app: 'web' })).toBe(false);
    expect(matchesSelector({ matchLabels: {}, matchExpressions: [] }, { anything: 'x' })).toBe(true);
  });

  test('hostile shapes in a template are read as nothing, not as a crash', () => {
    const scheduling = schedulingOf({
      nodeSelector: { a: 1, b: 'x' },
      tolerations: ['NoSchedule', { key: 7, effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: 'all' } },
      },
    });
    expect(scheduling.nodeSelector).toEqual({ b: 'x' });
    expect(scheduling.tolerations).toEqual([{ effect: 'NoSchedule' }]);
    expect(scheduling.requiredTerms).toBeUndefined();
  });
});
