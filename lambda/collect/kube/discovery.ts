import { asArray, dig, isRecord } from '../../kube/objects.ts';
import type { KubeApiClient } from './api-client.ts';

/** A kind the audit lists, and the group versions that may serve it, newest first. */
export interface WantedResource {
  kind: string;
  group: string;
  resource: string;
  versions: readonly string[];
  /** Served only where an add-on is installed (Argo Rollouts); absence is not an error. */
  optional?: boolean;
}

/** Where the server says a kind lives, e.g. CronJob at /apis/batch/v1beta1/cronjobs on 1.20. */
export interface ResourceLocation {
  kind: string;
  resource: string;
  groupVersion: string;
  path: string;
}

/**
 * What the audit reads, in the order it reads it: nodes first (small, and needed to judge
 * pods), controllers, pods. CronJob moved from batch/v1beta1 to batch/v1 in 1.21 and left
 * v1beta1 in 1.25, so the version is asked of the server, never assumed.
 */
export const AUDITED_RESOURCES: readonly WantedResource[] = [
  { kind: 'Node', group: '', resource: 'nodes', versions: ['v1'] },
  { kind: 'Deployment', group: 'apps', resource: 'deployments', versions: ['v1'] },
  { kind: 'ReplicaSet', group: 'apps', resource: 'replicasets', versions: ['v1'] },
  { kind: 'StatefulSet', group: 'apps', resource: 'statefulsets', versions: ['v1'] },
  { kind: 'DaemonSet', group: 'apps', resource: 'daemonsets', versions: ['v1'] },
  { kind: 'ReplicationController', group: '', resource: 'replicationcontrollers', versions: ['v1'] },
  { kind: 'CronJob', group: 'batch', resource: 'cronjobs', versions: ['v1', 'v1beta1', 'v2alpha1'] },
  { kind: 'Job', group: 'batch', resource: 'jobs', versions: ['v1'] },
  { kind: 'Rollout', group: 'argoproj.io', resource: 'rollouts', versions: ['v1alpha1'], optional: true },
  // Argo Workflows' templates define pods that run later (a CronWorkflow between runs).
  {
    kind: 'WorkflowTemplate',
    group: 'argoproj.io',
    resource: 'workflowtemplates',
    versions: ['v1alpha1'],
    optional: true,
  },
  {
    kind: 'ClusterWorkflowTemplate',
    group: 'argoproj.io',
    resource: 'clusterworkflowtemplates',
    versions: ['v1alpha1'],
    optional: true,
  },
  {
    kind: 'CronWorkflow',
    group: 'argoproj.io',
    resource: 'cronworkflows',
    versions: ['v1alpha1'],
    optional: true,
  },
  // The plan's drain risks; policy/v1 from 1.21, policy/v1beta1 before (and until 1.25).
  {
    kind: 'PodDisruptionBudget',
    group: 'policy',
    resource: 'poddisruptionbudgets',
    versions: ['v1', 'v1beta1'],
  },
  { kind: 'Pod', group: '', resource: 'pods', versions: ['v1'] },
];

export const CONFIGMAPS: WantedResource = {
  kind: 'ConfigMap',
  group: '',
  resource: 'configmaps',
  versions: ['v1'],
};

export interface DiscoveryResult {
  locations: ResourceLocation[];
  /** Kinds that are not optional and that no served version offers. */
  notServed: string[];
}

/** Asks the server which group versions it serves and where each wanted kind is listed. */
export async function discoverResources(
  client: KubeApiClient,
  wanted: readonly WantedResource[],
): Promise<DiscoveryResult> {
  const served = new Map<string, string[]>([['', versionsOf(await client.getJson('/api'), 'versions')]]);
  for (const group of asArray<unknown>(dig(await client.getJson('/apis'), 'groups'))) {
    if (!isRecord(group) || typeof group.name !== 'string') continue;
    served.set(
      group.name,
      asArray<unknown>(group.versions).flatMap((entry) =>
        isRecord(entry) && typeof entry.version === 'string' ? [entry.version] : [],
      ),
    );
  }
  const resourceLists = new Map<string, Promise<Set<string>>>();
  const listable = (groupVersion: string, path: string) => {
    let entry = resourceLists.get(groupVersion);
    if (!entry) {
      entry = client.getJson(path).then(listableResources);
      resourceLists.set(groupVersion, entry);
    }
    return entry;
  };
  const locations: ResourceLocation[] = [];
  const notServed: string[] = [];
  for (const want of wanted) {
    let found: ResourceLocation | undefined;
    for (const version of want.versions) {
      if (!(served.get(want.group) ?? []).includes(version)) continue;
      const groupVersion = want.group === '' ? version : `${want.group}/${version}`;
      const base = want.group === '' ? `/api/${version}` : `/apis/${want.group}/${version}`;
      if ((await listable(groupVersion, base)).has(want.resource)) {
        found = { kind: want.kind, resource: want.resource, groupVersion, path: `${base}/${want.resource}` };
        break;
      }
    }
    if (found) locations.push(found);
    else if (!want.optional) notServed.push(want.kind);
  }
  return { locations, notServed };
}

function listableResources(resourceList: unknown): Set<string> {
  const names = new Set<string>();
  for (const resource of asArray<unknown>(dig(resourceList, 'resources'))) {
    if (!isRecord(resource) || typeof resource.name !== 'string' || resource.name.includes('/')) continue;
    if (asArray(resource.verbs).includes('list')) names.add(resource.name);
  }
  return names;
}

function versionsOf(document: unknown, key: string): string[] {
  return asArray<unknown>(dig(document, key)).filter((value): value is string => typeof value === 'string');
}
