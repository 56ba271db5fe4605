import { configMapsReferencedBy } from '../kube/config-map-refs.ts';
import { type KubeObject, nameOf, namespaceOf } from '../kube/objects.ts';

/**
 * Which ConfigMaps a live audit keeps: those the audited workloads refer to (by namespace and
 * name, gathered while the workloads stream past) and those named in the agent catalog (in every
 * namespace). The rest of a cluster's ConfigMaps are looked at once, page by page, and dropped.
 * Memory holds one `namespace/name` string per distinct reference, never a ConfigMap.
 */
export class ConfigMapSelection {
  private readonly catalogNames: ReadonlySet<string>;
  private readonly referenced = new Set<string>();

  constructor(catalogNames: Iterable<string>) {
    this.catalogNames = new Set(catalogNames);
  }

  /** Notes the ConfigMaps a workload (or pod template) refers to. */
  record(object: KubeObject): void {
    const namespace = namespaceOf(object);
    if (namespace === undefined) return;
    for (const name of configMapsReferencedBy(object)) this.referenced.add(key(namespace, name));
  }

  wants(configMap: KubeObject): boolean {
    const name = nameOf(configMap);
    if (name === undefined) return false;
    if (this.catalogNames.has(name)) return true;
    const namespace = namespaceOf(configMap);
    return namespace !== undefined && this.referenced.has(key(namespace, name));
  }

  get referenceCount(): number {
    return this.referenced.size;
  }
}

// Neither a namespace nor a ConfigMap name can contain '/'.
function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
