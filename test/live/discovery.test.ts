import { afterEach, describe, expect, test } from 'vitest';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import { auditLive, TOKEN } from '../helpers/live.ts';
import { podSpec } from '../helpers/objects.ts';
import { ApiServerSimulator } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';

const nightlyBuild: KubeObject = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly-build', namespace: 'ci' },
  spec: {
    schedule: '0 2 * * *',
    jobTemplate: {
      spec: {
        template: {
          spec: podSpec({
            hostPaths: { sock: '/var/run/docker.sock' },
            containers: [{ name: 'build', mounts: [{ volume: 'sock', at: '/var/run/docker.sock' }] }],
          }),
        },
      },
    },
  },
};

let simulator: ApiServerSimulator | undefined;
afterEach(() => simulator?.close());

describe('discovery finds each kind where the server serves it (1.19 to the newest)', () => {
  test.each([
    ['1.19.16', '/apis/batch/v1beta1/cronjobs'],
    ['1.20.15', '/apis/batch/v1beta1/cronjobs'],
    ['1.21.14', '/apis/batch/v1/cronjobs'],
    ['1.24.17', '/apis/batch/v1/cronjobs'],
    ['1.25.16', '/apis/batch/v1/cronjobs'],
    ['1.34.1', '/apis/batch/v1/cronjobs'],
  ])('Kubernetes %s: CronJobs are read from %s and audited between runs', async (version, path) => {
    simulator = await ApiServerSimulator.start({
      data: clusterFromObjects([nightlyBuild]),
      tokens: { [TOKEN]: 'auditor' },
      kubernetesVersion: version,
    });
    const kubeconfig = await writeKubeconfig([
      { name: 'demo', server: simulator.url, caPem: simulator.caPem, user: { token: TOKEN } },
    ]);
    const report = await auditLive(kubeconfig);
    expect(report.status).toBe('complete');
    expect(report.source).toMatchObject({ serverVersion: `v${version}` });
    expect(simulator.listRequests(path)).toHaveLength(1);
    expect(
      report.workloads.map(
        (workload) => `${workload.resource.kind}/${workload.resource.name} ${workload.verdict}`,
      ),
    ).toEqual(['CronJob/nightly-build high']);
  });

  test('Argo Rollouts are read where the add-on is installed, and their absence is no error', async () => {
    const rollout = {
      ...nightlyBuild,
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'apps' },
      spec: {
        template:
          nightlyBuild.spec &&
          (nightlyBuild.spec as { jobTemplate: { spec: { template: unknown } } }).jobTemplate.spec.template,
      },
    };
    simulator = await ApiServerSimulator.start({
      data: clusterFromObjects([rollout]),
      tokens: { [TOKEN]: 'auditor' },
    });
    const kubeconfig = await writeKubeconfig([
      { name: 'demo', server: simulator.url, caPem: simulator.caPem, user: { token: TOKEN } },
    ]);
    const report = await auditLive(kubeconfig);
    expect(report.status).toBe('complete');
    expect(report.workloads.map((workload) => workload.resource.kind)).toEqual(['Rollout']);
  });
});
