import type { KubeObject } from '../kube/objects.ts';
import type { Redactor } from '../redact.ts';
import type { ClusterSourceInfo, ClusterStatus, CollectionError } from '../report/model.ts';

/**
 * Where an object was read, for sources that know (files): an object without a name is
 * named after it. `items` is its place among the List items that held it (`[3, 2]`).
 */
export interface ObjectOrigin {
  source: string;
  document: number;
  items: readonly number[];
}

/** Where a source delivers what it reads, one object at a time, so nothing needs the whole cluster in memory. */
export interface ObjectSink {
  add(object: KubeObject, origin?: ObjectOrigin): void;
  recordError(error: CollectionError): void;
  /** Something the reader of the report should know that is not an error (a symbolic link followed). */
  note(message: string): void;
  /** A list starts over (an expired continue token): objects of this kind will come again. */
  restartList?(kind: string): void;
}

/** How a collection ended: what the audit's status for the cluster starts from. */
export interface CollectionOutcome {
  status: ClusterStatus;
  /** Why the cluster could not be read, for a failed collection. */
  reason?: string;
}

export interface CollectOptions {
  /** Aborts the collection (a deadline); the source returns `partial` or `failed` with the reason. */
  signal?: AbortSignal;
  /** Progress for people watching a long run: called now and then, never required. */
  onProgress?: (message: string) => void;
  /** The run's secrets: a source registers every credential it loads, so none reaches the report. */
  secrets?: Redactor;
}

/**
 * One cluster's worth of Kubernetes objects: a live API server, a `kubectl -o json` snapshot,
 * or manifest files. Every source yields the same plain objects; the audit cannot tell them apart.
 * `collect` reports problems through the sink and its outcome; it throws only on a programming error.
 */
export interface ClusterSource {
  readonly name: string;
  describe(): ClusterSourceInfo;
  collect(sink: ObjectSink, options?: CollectOptions): Promise<CollectionOutcome>;
}
