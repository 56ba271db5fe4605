/**
 * Plain Kubernetes objects as they come from a cluster, a `kubectl -o json` snapshot or a
 * manifest file. Only the fields the audit reads are typed, and every one is optional:
 * input is untrusted, so code reads it through the guards below rather than trusting shapes.
 */

export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  data?: unknown;
  /** Nodes only, added by a live collector allowed to read the kubelet's configz. */
  kubeletConfig?: unknown;
  [field: string]: unknown;
}

export interface EnvVar {
  name?: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath?: string } };
}

export interface VolumeMount {
  name?: string;
  mountPath?: string;
  subPath?: string;
  subPathExpr?: string;
  readOnly?: boolean;
}

export interface Container {
  name?: string;
  image?: string;
  command?: unknown;
  args?: unknown;
  /** Tekton steps carry a shell script instead of (or beside) args. */
  script?: unknown;
  env?: unknown;
  volumeMounts?: unknown;
  securityContext?: { privileged?: unknown };
}

export interface Volume {
  name?: string;
  hostPath?: { path?: string; type?: string };
  [source: string]: unknown;
}

export interface PodSpec {
  containers?: unknown;
  initContainers?: unknown;
  ephemeralContainers?: unknown;
  volumes?: unknown;
  nodeName?: string;
  hostNetwork?: boolean;
  hostPID?: boolean;
}

/** The reference a finding is attached to: the top-level owner of what was audited. */
export interface ResourceRef {
  kind: string;
  namespace?: string;
  name: string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asArray<T = unknown>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Reads `obj.a.b.c` without trusting any level to exist or to be an object. */
export function dig(obj: unknown, ...path: string[]): unknown {
  let current: unknown = obj;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

export function metaOf(obj: KubeObject): ObjectMeta {
  return isRecord(obj.metadata) ? (obj.metadata as ObjectMeta) : {};
}

export function nameOf(obj: KubeObject): string | undefined {
  return asString(metaOf(obj).name);
}

export function namespaceOf(obj: KubeObject): string | undefined {
  const ns = asString(metaOf(obj).namespace);
  return ns === '' ? undefined : ns;
}

export function labelsOf(obj: KubeObject): Record<string, string> {
  const labels = metaOf(obj).labels;
  return isRecord(labels) ? (labels as Record<string, string>) : {};
}

export function annotationsOf(obj: KubeObject): Record<string, string> {
  const annotations = metaOf(obj).annotations;
  return isRecord(annotations) ? (annotations as Record<string, string>) : {};
}

export function ownerReferencesOf(obj: KubeObject): OwnerReference[] {
  return asArray<unknown>(metaOf(obj).ownerReferences).filter(isRecord) as OwnerReference[];
}

/** The controlling owner, as the garbage collector sees it; the first owner when none is marked. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  const owners = ownerReferencesOf(obj).filter((o) => asString(o.kind) && asString(o.name));
  return owners.find((o) => o.controller === true) ?? owners[0];
}

export function resourceKey(ref: ResourceRef): string {
  return `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export function refOf(obj: KubeObject): ResourceRef | undefined {
  const kind = asString(obj.kind);
  const name = nameOf(obj);
  if (!kind || !name) return undefined;
  const namespace = namespaceOf(obj);
  return namespace === undefined ? { kind, name } : { kind, namespace, name };
}
