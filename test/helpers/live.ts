import { readFileSync } from 'node:fs';
import { defaultPolicy } from '../../lambda/audit/policy.ts';
import { auditCluster } from '../../lambda/audit/run-fleet.ts';
import { kubeconfigEndpoint, kubeconfigFromFile } from '../../lambda/collect/kube/kubeconfig-endpoint.ts';
import { KubernetesSource, type KubernetesSourceOptions } from '../../lambda/collect/kubernetes-source.ts';
import type { ClusterReport } from '../../lambda/report/model.ts';
import { agentConfigMapNames, bundledAgentCatalog } from '../../lambda/rules/agents/agent-catalog.ts';
import { ApiServerSimulator, type SimulatorOptions } from '../simulator/api-server.ts';
import { clusterFromObjects } from '../simulator/cluster-data.ts';
import { writeKubeconfig } from '../simulator/kubeconfig.ts';
import { REPO_ROOT } from './paths.ts';

export const demoObjects = (): Record<string, unknown>[] =>
  (JSON.parse(readFileSync(`${REPO_ROOT}demo/cluster.json`, 'utf8')) as { items: Record<string, unknown>[] })
    .items;

/** How many objects of a kind the demo holds: tests count from the file, not from a number that goes stale. */
export const demoCount = (kind: string): number =>
  demoObjects().filter((object) => object.kind === kind).length;

export const TOKEN = 'audit-token';

/** A simulator serving the demo cluster, with a kubeconfig for it. */
export async function demoCluster(options: Partial<SimulatorOptions> = {}) {
  const simulator = await ApiServerSimulator.start({
    data: clusterFromObjects(demoObjects()),
    tokens: { [TOKEN]: 'auditor' },
    ...options,
  });
  const kubeconfig = await writeKubeconfig([
    { name: 'demo', server: simulator.url, caPem: simulator.caPem, user: { token: TOKEN } },
  ]);
  return { simulator, kubeconfig };
}

/** Fast retries so fault tests take milliseconds; the policy's logic is the one under test. */
export const FAST_RETRY = {
  attempts: 4,
  baseDelayMs: 5,
  maxDelayMs: 20,
  maxRetryAfterMs: 5_000,
  requestTimeoutMs: 2_000,
};

/** Reads one context through the real source and audits it in-process. */
export async function auditLive(
  kubeconfig: string,
  overrides: Partial<KubernetesSourceOptions> = {},
): Promise<ClusterReport> {
  const source = new KubernetesSource({
    name: 'demo',
    describe: { context: 'demo' },
    connect: () => kubeconfigEndpoint(kubeconfigFromFile(kubeconfig), 'demo'),
    configMapNames: agentConfigMapNames(bundledAgentCatalog()),
    retry: FAST_RETRY,
    random: () => 0.5,
    ...overrides,
  });
  return auditCluster(source, defaultPolicy(new Date('2026-11-22T00:00:00Z')));
}
