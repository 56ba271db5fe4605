import { ClusterAudit } from '../../lambda/audit/cluster-audit.ts';
import { type AuditPolicy, defaultPolicy } from '../../lambda/audit/policy.ts';
import type { KubeObject } from '../../lambda/kube/objects.ts';
import type { ClusterReport, Finding } from '../../lambda/report/model.ts';

type Json = Record<string, unknown>;

/** Test objects are plain JSON, as they come from a cluster: builders only save typing. */
export interface ContainerSpec {
  name?: string;
  image?: string;
  mounts?: Array<{ volume: string; at: string; subPath?: string; readOnly?: boolean }>;
  env?: Record<string, string | { fieldPath: string }>;
  args?: string[];
  command?: string[];
}

export function podSpec(options: {
  /** Volume name → node path, or path and hostPath type. */
  hostPaths?: Record<string, string | { path: string; type: string }>;
  emptyDirs?: string[];
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  ephemeralContainers?: ContainerSpec[];
  nodeName?: string;
  hostNetwork?: boolean;
}): Json {
  const volumes = [
    ...Object.entries(options.hostPaths ?? {}).map(([name, path]) => ({
      name,
      hostPath: typeof path === 'string' ? { path } : path,
    })),
    ...(options.emptyDirs ?? []).map((name) => ({ name, emptyDir: {} })),
  ];
  const spec: Json = { containers: (options.containers ?? [{}]).map(container), volumes };
  if (options.initContainers) spec.initContainers = options.initContainers.map(container);
  if (options.ephemeralContainers) spec.ephemeralContainers = options.ephemeralContainers.map(container);
  if (options.nodeName) spec.nodeName = options.nodeName;
  if (options.hostNetwork) spec.hostNetwork = true;
  return spec;
}

function container(spec: ContainerSpec, index: number): Json {
  const out: Json = { name: spec.name ?? `c${index}`, image: spec.image ?? 'example/app:1.0' };
  if (spec.mounts) {
    out.volumeMounts = spec.mounts.map((mount) => ({
      name: mount.volume,
      mountPath: mount.at,
      ...(mount.subPath && { subPath: mount.subPath }),
      ...(mount.readOnly && { readOnly: true }),
    }));
  }
  if (spec.env) {
    out.env = Object.entries(spec.env).map(([name, value]) =>
      typeof value === 'string'
        ? { name, value }
        : { name, valueFrom: { fieldRef: { fieldPath: value.fieldPath } } },
    );
  }
  if (spec.args) out.args = spec.args;
  if (spec.command) out.command = spec.command;
  return out;
}

export function daemonSet(name: string, spec: Json, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec },
    },
  };
}

export function workload(
  kind: string,
  name: string,
  spec: Json,
  namespace = 'default',
  apiVersion = 'apps/v1',
): KubeObject {
  const object = daemonSet(name, spec, namespace);
  return { ...object, kind, apiVersion };
}

export function pod(
  name: string,
  spec: Json,
  options: {
    namespace?: string;
    owner?: { kind: string; name: string };
    labels?: Record<string, string>;
  } = {},
): KubeObject {
  const metadata: Json = { name, namespace: options.namespace ?? 'default' };
  if (options.owner)
    metadata.ownerReferences = [
      { apiVersion: 'v1', kind: options.owner.kind, name: options.owner.name, uid: 'u', controller: true },
    ];
  if (options.labels) metadata.labels = options.labels;
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

export function node(name: string, runtime: string, kubelet: string, criSocket?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      ...(criSocket && { annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': criSocket } }),
    },
    status: { nodeInfo: { containerRuntimeVersion: runtime, kubeletVersion: kubelet } },
  };
}

export function configMap(name: string, data: Record<string, string>, namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

/** Audits objects in-process, in the given order, with the default policy unless one is given. */
export function audit(
  objects: KubeObject[],
  policy: AuditPolicy = defaultPolicy(new Date('2026-11-22T00:00:00Z')),
): ClusterReport {
  const run = new ClusterAudit('test', policy);
  for (const object of objects) run.add(object);
  return run.finish({ type: 'manifests', paths: ['test'] }, { status: 'complete' });
}

export function findingsOf(report: ClusterReport, rule: string): Finding[] {
  return report.findings.filter((finding) => finding.rule === rule);
}

export function rulesFound(report: ClusterReport): string[] {
  return [...new Set(report.findings.map((finding) => finding.rule))].sort();
}

/** The verdict of a resource, `none` when it has no finding. */
export function verdictOf(report: ClusterReport, key: string): string {
  const workload = report.workloads.find(
    (entry) => `${entry.resource.kind}/${entry.resource.namespace ?? ''}/${entry.resource.name}` === key,
  );
  return workload?.verdict ?? 'none';
}
