import { afterEach, describe, expect, test } from 'vitest';
import { auditLive, demoCluster } from '../helpers/live.ts';
import type { ApiServerSimulator } from '../simulator/api-server.ts';

let simulator: ApiServerSimulator | undefined;
afterEach(() => simulator?.close());

/** The demo's gateway budget allows no disruption; its pod runs on the dockershim node group. */
const gatewayRisk = (report: Awaited<ReturnType<typeof auditLive>>) =>
  report.migration?.pools
    .find((pool) => pool.name === 'legacy-docker')
    ?.drainRisks.map((risk) => `${risk.kind} ${risk.budget?.name ?? ''}`);

describe('PodDisruptionBudgets from a live API server', () => {
  test.each([
    ['1.20.15', '/apis/policy/v1beta1/poddisruptionbudgets'],
    ['1.21.14', '/apis/policy/v1/poddisruptionbudgets'],
    ['1.28.3', '/apis/policy/v1/poddisruptionbudgets'],
  ])(
    'Kubernetes %s: read from %s, and a budget that allows nothing is a drain risk',
    async (version, path) => {
      const cluster = await demoCluster({ kubernetesVersion: version });
      simulator = cluster.simulator;
      const report = await auditLive(cluster.kubeconfig);
      expect(report.status).toBe('complete');
      expect(simulator.listRequests(path)).toHaveLength(1);
      expect(report.objects.PodDisruptionBudget).toBe(1);
      expect(gatewayRisk(report)).toEqual(['no-disruption-allowed enterprise-gateway']);
    },
  );

  test('an identity that may not list them: the cluster is partial, the error says so, and no pool is called ready', async () => {
    const cluster = await demoCluster();
    simulator = cluster.simulator;
    simulator.inject({
      path: '/apis/policy/v1/poddisruptionbudgets',
      times: 10,
      action: { type: 'status', status: 403, message: 'poddisruptionbudgets.policy is forbidden' },
    });
    const report = await auditLive(cluster.kubeconfig);
    expect(report.status).toBe('partial');
    expect(report.errors.map((error) => error.source)).toEqual(['list poddisruptionbudgets (policy/v1)']);
    // Unverified comes after the pools whose blockers are known: first, read everything.
    expect(report.migration?.pools.map((pool) => [pool.name, pool.status])).toEqual([
      ['legacy-docker', 'blocked'],
      ['batch', 'unverified'],
      ['general', 'migrated'],
    ]);
  });
});
