import { describe, expect, test } from 'vitest';
import type { KubeObject, ResourceRef } from '../../lambda/kube/objects.ts';
import { PlanFactsCollector } from '../../lambda/plan/read-facts.ts';

/** A ReplicaSet's pod that mounts the given ConfigMaps and emptyDirs, with the given labels. */
function pod(
  name: string,
  options: { labels?: Record<string, string>; configMaps?: string[]; emptyDirs?: string[]; node?: string },
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      labels: options.labels ?? {},
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f', controller: true }],
    },
    spec: {
      nodeName: options.node ?? 'node-1',
      containers: [{ name: 'app', image: 'web:1' }],
      volumes: [
        ...(options.configMaps ?? []).map((configMap, index) => ({
          name: `config-${index}`,
          configMap: { name: configMap },
        })),
        ...(options.emptyDirs ?? []).map((volume) => ({ name: volume, emptyDir: {} })),
      ],
    },
    status: { phase: 'Running' },
  };
}

const replicaSet: ResourceRef = { kind: 'ReplicaSet', namespace: 'shop', name: 'web-5d8f' };

function factsOf(pods: KubeObject[]) {
  const collector = new PlanFactsCollector();
  for (const object of pods) collector.add(object, { ref: replicaSet });
  return collector.facts((ref) => ref).pods;
}

describe('the facts kept per pod share values between pods, never conflate them', () => {
  test('pods whose values look alike once joined or reordered keep their own', () => {
    const pods = factsOf([
      pod('a', { configMaps: ['x\u0000y'], labels: { app: 'web', tier: 'front' }, emptyDirs: ['cache'] }),
      pod('b', { configMaps: ['x', 'y'], labels: { tier: 'front', app: 'web' }, emptyDirs: [] }),
      pod('c', { configMaps: ['x', 'y'], labels: { app: 'web', tier: 'back' }, node: 'node-2' }),
    ]);
    expect(
      pods.map(({ name, configMaps, labels, emptyDirs, node }) => ({
        name,
        configMaps,
        labels,
        emptyDirs,
        node,
      })),
    ).toEqual([
      {
        name: 'a',
        configMaps: ['x\u0000y'],
        labels: { app: 'web', tier: 'front' },
        emptyDirs: ['cache'],
        node: 'node-1',
      },
      {
        name: 'b',
        configMaps: ['x', 'y'],
        labels: { tier: 'front', app: 'web' },
        emptyDirs: [],
        node: 'node-1',
      },
      {
        name: 'c',
        configMaps: ['x', 'y'],
        labels: { app: 'web', tier: 'back' },
        emptyDirs: [],
        node: 'node-2',
      },
    ]);
  });

  test('equal values are one object: a thousand replicas keep one label set and one list of ConfigMaps', () => {
    const pods = factsOf(
      Array.from({ length: 1000 }, (_, index) =>
        pod(`web-${index}`, { configMaps: ['settings'], labels: { app: 'web' } }),
      ),
    );
    expect(new Set(pods.map((facts) => facts.labels)).size).toBe(1);
    expect(new Set(pods.map((facts) => facts.configMaps)).size).toBe(1);
    expect(new Set(pods.map((facts) => facts.owner)).size).toBe(1);
  });

  test('a pod listed twice (a list that started over) is one pod', () => {
    expect(factsOf([pod('a', {}), pod('a', {})]).map((facts) => facts.name)).toEqual(['a']);
  });
});
