import { describe, expect, test } from 'vitest';
import { configMapsReferencedBy } from '../../lambda/kube/config-map-refs.ts';
import { configMap, daemonSet } from '../helpers/objects.ts';

describe('the ConfigMaps a pod spec refers to', () => {
  test('volumes, projected volumes, envFrom and configMapKeyRef, in every kind of container, each once', () => {
    const spec = {
      volumes: [
        { name: 'a', configMap: { name: 'from-volume' } },
        {
          name: 'b',
          projected: {
            sources: [{ configMap: { name: 'from-projected' } }, { secret: { name: 'not-a-configmap' } }],
          },
        },
        { name: 'c', secret: { secretName: 'also-not' } },
      ],
      containers: [
        {
          name: 'main',
          envFrom: [{ configMapRef: { name: 'from-env-from' } }, { secretRef: { name: 'no' } }],
          env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'from-key-ref', key: 'x' } } }],
        },
      ],
      initContainers: [{ name: 'init', envFrom: [{ configMapRef: { name: 'from-init' } }] }],
      ephemeralContainers: [{ name: 'debug', envFrom: [{ configMapRef: { name: 'from-volume' } }] }],
    };
    expect([...configMapsReferencedBy(daemonSet('agent', spec))].sort()).toEqual([
      'from-env-from',
      'from-init',
      'from-key-ref',
      'from-projected',
      'from-volume',
    ]);
  });

  test('a CronJob template and an Argo WorkflowTemplate count', () => {
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'ci' },
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: {
                containers: [{ name: 'c' }],
                volumes: [{ name: 'v', configMap: { name: 'nightly-config' } }],
              },
            },
          },
        },
      },
    };
    const workflow = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'WorkflowTemplate',
      metadata: { name: 'build', namespace: 'ci' },
      spec: {
        templates: [
          { name: 'main', container: { image: 'x', envFrom: [{ configMapRef: { name: 'build-env' } }] } },
        ],
      },
    };
    expect(configMapsReferencedBy(cronJob)).toEqual(['nightly-config']);
    expect(configMapsReferencedBy(workflow)).toEqual(['build-env']);
  });

  test('malformed references and objects without a pod spec name nothing', () => {
    const spec = {
      volumes: [{ name: 'v', configMap: { name: 42 } }, { projected: { sources: 'nope' } }, null],
      containers: [{ name: 'c', envFrom: [{ configMapRef: {} }], env: 'x' }],
    };
    expect(configMapsReferencedBy(daemonSet('agent', spec))).toEqual([]);
    expect(configMapsReferencedBy(configMap('c', { a: 'b' }))).toEqual([]);
  });
});
