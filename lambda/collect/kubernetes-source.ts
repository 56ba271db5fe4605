import { forEachLimit, untilAborted } from '../concurrency.ts';
import { DEFAULT_CLUSTER_TIMEOUT_SECONDS } from '../defaults.ts';
import { describeError, jsonKind } from '../errors.ts';
import { isRecord, type KubeObject } from '../kube/objects.ts';
import { headerSecrets, type Redactor } from '../redact.ts';
import type { ClusterSourceInfo } from '../report/model.ts';
import type { ClusterSource, CollectionOutcome, CollectOptions, ObjectSink } from './cluster-source.ts';
import { ConfigMapSelection } from './config-map-selection.ts';
import { ClusterConnectionError, KubeApiError } from './errors.ts';
import { KubeApiClient, NOT_KUBERNETES_HINT, type RetryPolicy } from './kube/api-client.ts';
import type { ClusterEndpoint } from './kube/cluster-endpoint.ts';
import { AUDITED_RESOURCES, CONFIGMAPS, discoverResources, type ResourceLocation } from './kube/discovery.ts';

export interface KubernetesSourceOptions {
  name: string;
  /**
   * Builds the endpoint when collection starts (EKS: DescribeCluster; kubeconfig: TLS and auth,
   * credential plugins). `signal` is the cluster's deadline, which covers connecting too.
   */
  connect: (signal: AbortSignal) => Promise<ClusterEndpoint>;
  /** What the report says about the source before it is reached. */
  describe: { context?: string; server?: string };
  /**
   * ConfigMaps kept in every namespace by name (the agent catalog's list), beside those the
   * audited workloads refer to. With only `list` on these names (an older role), they are read by
   * name and the cluster is partial.
   */
  configMapNames: readonly string[];
  /** Read each kubelet's configz through the node proxy (needs nodes/proxy: off by default). */
  readKubeletConfig?: boolean;
  pageSize?: number;
  /** The cluster's deadline: what is not read by then makes the cluster partial. */
  deadlineMs?: number;
  /** The largest API answer read (after gzip); a larger one fails its list. */
  maxResponseBytes?: number;
  retry?: Partial<RetryPolicy>;
  random?: () => number;
}

export const DEFAULT_PAGE_SIZE = 500;
/**
 * ConfigMaps hold up to 1 MiB each where a pod is a few KiB, and most of them are only looked
 * at and dropped: their pages are smaller, so that a page of large ones stays bounded.
 */
export const CONFIG_MAP_PAGE_SIZE = 100;

/** The page size of a kind's list. */
export function pageSizeFor(kind: string, pageSize = DEFAULT_PAGE_SIZE): number {
  return kind === 'ConfigMap' ? Math.min(pageSize, CONFIG_MAP_PAGE_SIZE) : pageSize;
}
export const DEFAULT_CLUSTER_DEADLINE_MS = DEFAULT_CLUSTER_TIMEOUT_SECONDS * 1000;
const KUBELET_CONFIG_CONCURRENCY = 8;

/**
 * A live cluster. Lists every audited kind page by page and hands each object to the sink as
 * it arrives, so memory is bounded by a page. A kind that cannot be read makes the cluster
 * `partial` with the reason; a cluster that cannot be reached at all is `failed`.
 */
export class KubernetesSource implements ClusterSource {
  readonly name: string;
  private readonly options: KubernetesSourceOptions;
  private info: Extract<ClusterSourceInfo, { type: 'kubernetes' }>;

  constructor(options: KubernetesSourceOptions) {
    this.name = options.name;
    this.options = options;
    this.info = { type: 'kubernetes', ...options.describe };
  }

  describe(): ClusterSourceInfo {
    return { ...this.info };
  }

  async collect(sink: ObjectSink, options: CollectOptions = {}): Promise<CollectionOutcome> {
    // The deadline starts before connecting: credential plugins and secret reads count against it.
    const deadlineMs = this.options.deadlineMs ?? DEFAULT_CLUSTER_DEADLINE_MS;
    const deadline = AbortSignal.timeout(deadlineMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    let endpoint: ClusterEndpoint;
    try {
      endpoint = await connectWithin(this.options.connect(signal), signal, deadlineMs);
    } catch (error) {
      return { status: 'failed', reason: withHint(error) };
    }
    if (options.secrets) endpoint = registering(endpoint, options.secrets);
    this.info = {
      ...this.info,
      server: endpoint.server,
      ...(endpoint.context !== undefined && { context: endpoint.context }),
      ...(endpoint.identity !== undefined && { identity: endpoint.identity }),
      ...(endpoint.insecureSkipTlsVerify === true && { insecureSkipTlsVerify: true }),
    };
    const client = new KubeApiClient(endpoint, {
      signal,
      ...(this.options.maxResponseBytes !== undefined && { maxResponseBytes: this.options.maxResponseBytes }),
      ...(this.options.retry && { retry: this.options.retry }),
      ...(this.options.random && { random: this.options.random }),
    });
    try {
      return await this.read(client, sink, options);
    } finally {
      endpoint.close();
    }
  }

  private async read(
    client: KubeApiClient,
    sink: ObjectSink,
    options: CollectOptions,
  ): Promise<CollectionOutcome> {
    let locations: ResourceLocation[];
    try {
      const version = await client.getJson('/version');
      if (!isRecord(version))
        throw new KubeApiError(
          '/version',
          `GET /version: the answer is ${jsonKind(version)}, not a version object`,
          {
            hint: NOT_KUBERNETES_HINT,
          },
        );
      if (typeof version.gitVersion === 'string')
        this.info = { ...this.info, serverVersion: version.gitVersion };
      const discovered = await discoverResources(client, [...AUDITED_RESOURCES, CONFIGMAPS]);
      locations = discovered.locations;
      for (const kind of discovered.notServed) {
        sink.recordError({ source: `discovery ${kind}`, message: 'no served API version offers this kind' });
      }
    } catch (error) {
      return { status: 'failed', reason: `cannot reach the API server: ${withHint(error)}` };
    }
    const progress = (message: string) => options.onProgress?.(message);
    // ConfigMaps come last: which ones to keep is known once every workload has been seen.
    const selection = new ConfigMapSelection(this.options.configMapNames);
    const noting: ObjectSink = {
      add: (object) => {
        selection.record(object);
        sink.add(object);
      },
      recordError: (error) => sink.recordError(error),
      note: (message) => sink.note(message),
      restartList: (kind) => sink.restartList?.(kind),
    };
    const ordered = [
      ...locations.filter((location) => location.kind !== 'ConfigMap'),
      ...locations.filter((location) => location.kind === 'ConfigMap'),
    ];
    let failedLists = 0;
    let lists = 0;
    for (const location of ordered) {
      const reads: ListRead[] =
        location.kind === 'ConfigMap' ? [{ select: selection }] : [{ name: undefined }];
      let read = 0;
      for (let index = 0; index < reads.length; index++) {
        const attempt = reads[index] as ListRead;
        lists++;
        try {
          read += await this.readList(client, noting, location, attempt, progress);
        } catch (error) {
          failedLists++;
          sink.recordError({ source: describeRead(location, attempt), message: withHint(error) });
          // Rejected credentials fail every request: stop, and say the cluster was not read.
          if (error instanceof KubeApiError && error.status === 401)
            return { status: 'failed', reason: withHint(error) };
          if (client.aborted)
            return { status: 'partial', reason: 'deadline reached before everything was read' };
          // A role that may list only the catalog's ConfigMaps by name still gets those read.
          if (error instanceof KubeApiError && error.status === 403 && 'select' in attempt)
            reads.push(...this.options.configMapNames.map((name) => ({ name })));
        }
      }
      progress(
        location.kind === 'ConfigMap'
          ? `read ${read} ConfigMaps that workloads refer to (${selection.referenceCount}) or agents are configured by (${this.options.configMapNames.length} names)`
          : `read ${read} ${location.resource}`,
      );
    }
    if (lists > 0 && failedLists === lists)
      return { status: 'failed', reason: 'no resource could be listed' };
    return { status: failedLists > 0 ? 'partial' : 'complete' };
  }

  private async readList(
    client: KubeApiClient,
    sink: ObjectSink,
    location: ResourceLocation,
    read: ListRead,
    progress: (message: string) => void,
  ): Promise<number> {
    let count = 0;
    let pages = 0;
    const name = 'name' in read ? read.name : undefined;
    const list = client.listPages(location.path, {
      limit: pageSizeFor(location.kind, this.options.pageSize),
      ...(name !== undefined && { fieldSelector: `metadata.name=${name}` }),
      onRestart: () => {
        count = 0;
        sink.restartList?.(location.kind);
      },
    });
    for await (const page of list) {
      const records = page.filter(isRecord);
      if (records.length < page.length)
        sink.recordError({
          source: describeRead(location, read),
          message: `${page.length - records.length} items of a page are not objects and were not audited`,
        });
      const objects = records
        .map((item) => withKind(item, location))
        // A ConfigMap no workload refers to and no agent is configured by is dropped here.
        .filter((object) => !('select' in read) || read.select.wants(object));
      if (location.kind === 'Node' && this.options.readKubeletConfig)
        await this.attachKubeletConfig(client, sink, objects);
      for (const object of objects) sink.add(object);
      count += objects.length;
      // Big lists take a while: say how far they are, every 20 pages.
      if (++pages % 20 === 0) progress(`${location.resource}: ${count} so far`);
    }
    return count;
  }

  /** Each kubelet's configz, read through the API server's node proxy, a few nodes at a time. */
  private async attachKubeletConfig(
    client: KubeApiClient,
    sink: ObjectSink,
    nodes: KubeObject[],
  ): Promise<void> {
    await forEachLimit(nodes, KUBELET_CONFIG_CONCURRENCY, async (node) => {
      const name = node.metadata?.name;
      if (typeof name !== 'string') return;
      try {
        const configz = (await client.getJson(`/api/v1/nodes/${encodeURIComponent(name)}/proxy/configz`)) as {
          kubeletconfig?: unknown;
        };
        if (isRecord(configz.kubeletconfig)) node.kubeletConfig = configz.kubeletconfig;
      } catch (error) {
        sink.recordError({ source: `kubelet configz of node ${name}`, message: withHint(error) });
      }
    });
  }
}

/** One list request: the whole kind, one name (field selector), or the ConfigMaps a selection keeps. */
type ListRead = { name: string | undefined } | { select: ConfigMapSelection };

function describeRead(location: ResourceLocation, read: ListRead): string {
  const scope = 'select' in read ? ' in all namespaces' : read.name ? ` named ${read.name}` : '';
  return `list ${location.resource}${scope} (${location.groupVersion})`;
}

/**
 * Registers the endpoint's credentials with the run's secrets: what it was built with, a
 * password in its server URL, and every credential it sends (exec plugins and EKS renew theirs).
 */
function registering(endpoint: ClusterEndpoint, secrets: Redactor): ClusterEndpoint {
  secrets.addUrl(endpoint.server).add(...(endpoint.secrets ?? []));
  return {
    ...endpoint,
    authorize: async () => {
      const headers = await endpoint.authorize();
      secrets.add(...headerSecrets(headers));
      return headers;
    },
  };
}

/** List items come without kind and apiVersion; the audit needs them. */
function withKind(item: Record<string, unknown>, location: ResourceLocation): KubeObject {
  return { ...item, kind: location.kind, apiVersion: location.groupVersion };
}

/**
 * The endpoint, or the reason it is not there by the deadline. A connector that honours the
 * signal (a credential plugin is killed at it) fails at once with a precise reason, which is
 * waited for briefly; one that does not (an SDK call) is left behind with a general reason.
 */
async function connectWithin(
  connecting: Promise<ClusterEndpoint>,
  signal: AbortSignal,
  deadlineMs: number,
): Promise<ClusterEndpoint> {
  // An endpoint that arrives after the deadline is closed, not leaked.
  connecting.then(
    (late) => signal.aborted && late.close(),
    () => undefined,
  );
  const reached = new Error('deadline');
  try {
    return await untilAborted(connecting, signal, () => reached);
  } catch (error) {
    if (error !== reached) throw error;
  }
  await untilAborted(connecting, AbortSignal.timeout(CONNECT_GRACE_MS), () => reached).catch(
    (error: unknown) => {
      if (error !== reached) throw error;
    },
  );
  throw connectDeadlineError(deadlineMs);
}

const CONNECT_GRACE_MS = 1_000;

function connectDeadlineError(deadlineMs: number): ClusterConnectionError {
  return new ClusterConnectionError(
    `not connected within the cluster's deadline (${Math.round(deadlineMs / 1000)} s)`,
    'Something before the first request did not finish: a credential plugin, a secret or an EKS call. Run the same step by hand (kubectl with this context) to see what it waits for.',
  );
}

function withHint(error: unknown): string {
  const message = describeError(error);
  const hint = (error as { hint?: unknown }).hint;
  return typeof hint === 'string' ? `${message} (${hint})` : message;
}
