import { forEachLimit } from '../../lambda/concurrency.ts';
import { isRecord } from '../../lambda/kube/objects.ts';
import type { AdminClient } from './admin-client.ts';

type Json = Record<string, unknown>;

/** Where the server lists a kind: what `kubectl create` works out from discovery. */
interface ServedResource {
  groupVersion: string;
  resource: string;
  namespaced: boolean;
  hasStatus: boolean;
}

export interface LoadOutcome {
  /** The objects as they were created (namespace filled in, apiVersion the server serves). */
  created: Json[];
  /** Objects not sent: kinds that would change the server itself, kinds it does not serve. */
  skipped: Array<{ object: string; reason: string }>;
  /** Objects the server refused, with its words. */
  failed: Array<{ object: string; reason: string }>;
  /**
   * What had to change for the server to take an object, as a user applying the file would
   * change it: another version of its group (a batch/v1 CronJob on 1.20), or a ConfigMap's
   * numbers and booleans quoted (Argo's example config has `parallelism: 10`; a ConfigMap
   * holds only strings and the server refuses anything else).
   */
  adjusted: Array<{ object: string; change: string }>;
}

/**
 * Kinds not loaded: they reconfigure the API server (webhooks it would call for our own writes,
 * aggregated APIs it would route discovery to, CRDs that tests install themselves) rather than
 * being something a cluster runs.
 */
const SERVER_CONFIGURATION = new Set([
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
  'CustomResourceDefinition',
]);

/** Fields the server owns; a create that carries them is refused or has them overwritten. */
function forCreate(object: Json): Json {
  const { status: _status, ...rest } = object;
  const metadata = isRecord(object.metadata) ? { ...object.metadata } : {};
  for (const field of [
    'uid',
    'resourceVersion',
    'creationTimestamp',
    'selfLink',
    'generation',
    'managedFields',
  ])
    delete metadata[field];
  return { ...rest, metadata };
}

const describeObject = (object: Json) => {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  return `${String(object.kind)}/${String(metadata.namespace ?? '')}/${String(metadata.name ?? metadata.generateName ?? '')}`;
};

/**
 * Loads objects into a real API server the way `kubectl create` and the kubelets would: each
 * object POSTed to where discovery says its kind lives (in its namespace, created first if
 * missing, or `default`), then its status PATCHed through the status subresource, since a
 * create drops status (a Node's nodeInfo is the kubelet's to report). Remembers what it made,
 * so a test can take it away again.
 */
export class ClusterLoader {
  private readonly admin: AdminClient;
  private served: Map<string, Map<string, ServedResource>> | undefined;
  private readonly namespaces = new Set<string>();
  private readonly made: string[] = [];

  constructor(admin: AdminClient) {
    this.admin = admin;
  }

  /** Forgets what discovery said (after CRDs were installed). */
  refreshDiscovery(): void {
    this.served = undefined;
  }

  async load(objects: readonly Json[], options: { concurrency?: number } = {}): Promise<LoadOutcome> {
    const outcome: LoadOutcome = { created: [], skipped: [], failed: [], adjusted: [] };
    const served = await this.discover();
    const planned: Array<{ object: Json; at: ServedResource }> = [];
    for (const original of objects) {
      const kind = String(original.kind);
      if (SERVER_CONFIGURATION.has(kind)) {
        outcome.skipped.push({
          object: describeObject(original),
          reason: 'configures the API server itself',
        });
        continue;
      }
      const at = this.locate(served, kind, String(original.apiVersion));
      if (!at) {
        outcome.skipped.push({ object: describeObject(original), reason: 'kind not served by this server' });
        continue;
      }
      const metadata = isRecord(original.metadata) ? { ...original.metadata } : {};
      if (at.namespaced) metadata.namespace ??= 'default';
      else delete metadata.namespace;
      const object: Json = { ...original, apiVersion: at.groupVersion, metadata };
      if (at.groupVersion !== original.apiVersion)
        outcome.adjusted.push({
          object: describeObject(object),
          change: `apiVersion ${String(original.apiVersion)} -> ${at.groupVersion}`,
        });
      if (kind === 'ConfigMap' && isRecord(object.data)) {
        const data = object.data;
        const quoted = Object.keys(data).filter((key) => typeof data[key] !== 'string');
        if (quoted.length > 0) {
          object.data = Object.fromEntries(
            Object.entries(data).map(([key, value]) => [
              key,
              typeof value === 'string' ? value : String(value),
            ]),
          );
          outcome.adjusted.push({
            object: describeObject(object),
            change: `data quoted: ${quoted.join(', ')}`,
          });
        }
      }
      planned.push({ object, at });
    }
    // Namespaces first, as kubectl orders them: nothing can be created in a missing one.
    const isNamespace = (entry: { object: Json }) => entry.object.kind === 'Namespace';
    const record = async ({ object, at }: { object: Json; at: ServedResource }) => {
      const failure = await this.create(object, at);
      if (failure) outcome.failed.push({ object: describeObject(object), reason: failure });
      else outcome.created.push(object);
    };
    for (const entry of planned.filter(isNamespace)) await record(entry);
    await forEachLimit(
      planned.filter((entry) => !isNamespace(entry)),
      options.concurrency ?? 8,
      record,
    );
    return outcome;
  }

  /** Deletes everything this loader created except namespaces (no controller would finish them). */
  async deleteAll(): Promise<void> {
    const paths = this.made.splice(0).reverse();
    await forEachLimit(paths, 8, async (path) => {
      const response = await this.admin.request('DELETE', `${path}?gracePeriodSeconds=0`);
      if (response.status !== 200 && response.status !== 202 && response.status !== 404)
        throw new Error(`DELETE ${path}: HTTP ${response.status}: ${response.body.slice(0, 300)}`);
    });
  }

  private async create(object: Json, at: ServedResource): Promise<string | undefined> {
    const metadata = object.metadata as Json;
    const base = `${at.groupVersion.includes('/') ? '/apis' : '/api'}/${at.groupVersion}`;
    const collection = at.namespaced
      ? `${base}/namespaces/${encodeURIComponent(String(metadata.namespace))}/${at.resource}`
      : `${base}/${at.resource}`;
    if (at.namespaced) {
      const refused = await this.ensureNamespace(String(metadata.namespace));
      if (refused) return refused;
    }
    const response = await this.admin.request('POST', collection, forCreate(object));
    if (object.kind === 'Namespace' && (response.status === 201 || response.status === 409))
      this.namespaces.add(String(metadata.name));
    if (object.kind === 'Namespace' && response.status === 409) return undefined;
    if (response.status !== 201) return `HTTP ${response.status}: ${messageOf(response.body)}`;
    const name = String((JSON.parse(response.body) as { metadata: { name: string } }).metadata.name);
    const path = `${collection}/${encodeURIComponent(name)}`;
    if (object.kind !== 'Namespace') this.made.push(path);
    if (isRecord(object.status) && at.hasStatus) {
      const patched = await this.admin.request(
        'PATCH',
        `${path}/status`,
        { status: object.status },
        'application/merge-patch+json',
      );
      if (patched.status !== 200) return `status: HTTP ${patched.status}: ${messageOf(patched.body)}`;
    }
    return undefined;
  }

  /** Creates a namespace the first time an object needs it; the server's refusal if it will not. */
  private async ensureNamespace(namespace: string): Promise<string | undefined> {
    if (this.namespaces.has(namespace)) return undefined;
    const response = await this.admin.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
    if (response.status !== 201 && response.status !== 409)
      return `namespace: HTTP ${response.status}: ${messageOf(response.body)}`;
    this.namespaces.add(namespace);
    return undefined;
  }

  /** Kind at its written version if served, else at the group's preferred version that serves it. */
  private locate(
    served: Map<string, Map<string, ServedResource>>,
    kind: string,
    apiVersion: string,
  ): ServedResource | undefined {
    const exact = served.get(apiVersion)?.get(kind);
    if (exact) return exact;
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
    for (const [groupVersion, kinds] of served) {
      const sameGroup = group === '' ? !groupVersion.includes('/') : groupVersion.startsWith(`${group}/`);
      if (sameGroup && kinds.has(kind)) return kinds.get(kind);
    }
    return undefined;
  }

  private async discover(): Promise<Map<string, Map<string, ServedResource>>> {
    if (this.served) return this.served;
    const groupVersions = ['v1'];
    const groups = (await this.admin.json('GET', '/apis')) as {
      groups: Array<{
        preferredVersion: { groupVersion: string };
        versions: Array<{ groupVersion: string }>;
      }>;
    };
    for (const group of groups.groups) {
      // Preferred version first: that is where a kind written at an unserved version goes.
      groupVersions.push(group.preferredVersion.groupVersion);
      for (const version of group.versions)
        if (version.groupVersion !== group.preferredVersion.groupVersion)
          groupVersions.push(version.groupVersion);
    }
    const served = new Map<string, Map<string, ServedResource>>();
    for (const groupVersion of groupVersions) {
      const list = (await this.admin.json(
        'GET',
        `${groupVersion.includes('/') ? '/apis' : '/api'}/${groupVersion}`,
      )) as { resources: Array<{ name: string; kind: string; namespaced: boolean; verbs: string[] }> };
      const names = new Set(list.resources.map((resource) => resource.name));
      const kinds = new Map<string, ServedResource>();
      for (const resource of list.resources) {
        if (resource.name.includes('/') || !resource.verbs.includes('create')) continue;
        kinds.set(resource.kind, {
          groupVersion,
          resource: resource.name,
          namespaced: resource.namespaced,
          hasStatus: names.has(`${resource.name}/status`),
        });
      }
      served.set(groupVersion, kinds);
    }
    this.served = served;
    return served;
  }
}

function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not a Status object
  }
  return body.slice(0, 300);
}
