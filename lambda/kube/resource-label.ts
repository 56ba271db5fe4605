import type { ResourceRef } from './objects.ts';

/** `DaemonSet kube-system/fluentd`, `Node worker-1`: how every report, message and plan names a resource. */
export function resourceLabel(resource: ResourceRef): string {
  return `${resource.kind} ${resource.namespace ? `${resource.namespace}/` : ''}${resource.name}`;
}
