/**
 * What a simulated cluster holds, per resource: a count and a way to get item i as JSON.
 * Objects given up front are serialised once; generated clusters (the benchmark's 150k
 * pods) produce items on demand, so the simulator's memory does not grow with the cluster.
 */
export interface ResourceData {
  count: number;
  json(index: number): string;
  name(index: number): string;
  namespace(index: number): string | undefined;
}

export interface ClusterData {
  resources: Map<string, ResourceData>;
  /** Node name → the kubelet's configz document (`kubeletconfig` is added around it). */
  kubeletConfigs?: Map<string, Record<string, unknown>>;
}

type Json = Record<string, unknown>;

/** Resources that live outside namespaces. */
export const CLUSTER_SCOPED = new Set(['nodes', 'namespaces', 'clusterworkflowtemplates']);

/** Kind → (resource name, API group). What the simulator can serve. */
export const SERVED_KINDS: Record<string, { resource: string; group: string }> = {
  Pod: { resource: 'pods', group: '' },
  Node: { resource: 'nodes', group: '' },
  ConfigMap: { resource: 'configmaps', group: '' },
  ReplicationController: { resource: 'replicationcontrollers', group: '' },
  Namespace: { resource: 'namespaces', group: '' },
  Deployment: { resource: 'deployments', group: 'apps' },
  ReplicaSet: { resource: 'replicasets', group: 'apps' },
  StatefulSet: { resource: 'statefulsets', group: 'apps' },
  DaemonSet: { resource: 'daemonsets', group: 'apps' },
  Job: { resource: 'jobs', group: 'batch' },
  CronJob: { resource: 'cronjobs', group: 'batch' },
  Rollout: { resource: 'rollouts', group: 'argoproj.io' },
  WorkflowTemplate: { resource: 'workflowtemplates', group: 'argoproj.io' },
  ClusterWorkflowTemplate: { resource: 'clusterworkflowtemplates', group: 'argoproj.io' },
  CronWorkflow: { resource: 'cronworkflows', group: 'argoproj.io' },
  PodDisruptionBudget: { resource: 'poddisruptionbudgets', group: 'policy' },
};

/**
 * A cluster made of these objects. Items of a real list carry no kind or apiVersion, so
 * they are dropped here: the client under test must restore them. Kinds the simulator does
 * not serve (RBAC, CRDs, Tekton Tasks) are left out, as a cluster's lists would leave them.
 */
export function clusterFromObjects(objects: readonly Json[]): ClusterData {
  const byResource = new Map<string, Json[]>();
  let serial = 0;
  for (const object of objects) {
    const served = typeof object.kind === 'string' ? SERVED_KINDS[object.kind] : undefined;
    if (!served) continue;
    const { kind: _kind, apiVersion: _apiVersion, ...item } = object;
    const metadata = { ...((item.metadata as Json | undefined) ?? {}) };
    metadata.uid ??= `00000000-0000-4000-8000-${String(++serial).padStart(12, '0')}`;
    metadata.creationTimestamp ??= '2026-11-01T00:00:00Z';
    metadata.resourceVersion ??= String(1000 + serial);
    // A real API server puts every namespaced object in a namespace.
    if (!CLUSTER_SCOPED.has(served.resource)) metadata.namespace ??= 'default';
    const list = byResource.get(served.resource) ?? [];
    list.push({ ...item, metadata });
    byResource.set(served.resource, list);
  }
  const resources = new Map<string, ResourceData>();
  for (const [resource, items] of byResource) {
    const serialised = items.map((item) => JSON.stringify(item));
    const meta = items.map((item) => item.metadata as Json);
    resources.set(resource, {
      count: items.length,
      json: (index) => serialised[index] ?? '{}',
      name: (index) => String(meta[index]?.name ?? ''),
      namespace: (index) =>
        typeof meta[index]?.namespace === 'string' ? (meta[index]?.namespace as string) : undefined,
    });
  }
  return { resources };
}
