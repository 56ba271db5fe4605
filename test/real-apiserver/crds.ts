import { AUDITED_RESOURCES } from '../../lambda/collect/kube/discovery.ts';
import type { AdminClient } from './admin-client.ts';

/**
 * CustomResourceDefinitions for the add-on kinds the audit lists (Argo Rollouts and Workflows),
 * made from the audit's own list so a kind added there is served here too. The schema keeps
 * every field, as the add-ons' own CRDs do for pod templates.
 */
export function auditedCrds(): Record<string, unknown>[] {
  return AUDITED_RESOURCES.filter((wanted) => wanted.optional).map((wanted) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${wanted.resource}.${wanted.group}` },
    spec: {
      group: wanted.group,
      // Argo's cluster-wide kinds are the ones named Cluster...
      scope: wanted.kind.startsWith('Cluster') ? 'Cluster' : 'Namespaced',
      names: { plural: wanted.resource, singular: wanted.kind.toLowerCase(), kind: wanted.kind },
      versions: wanted.versions.map((version, index) => ({
        name: version,
        served: true,
        storage: index === 0,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      })),
    },
  }));
}

/** Installs the CRDs and waits until the server serves each (condition Established). */
export async function installAuditedCrds(admin: AdminClient): Promise<void> {
  const crds = auditedCrds();
  for (const crd of crds)
    await admin.json('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  const deadline = Date.now() + 60_000;
  for (const crd of crds) {
    const name = (crd.metadata as { name: string }).name;
    for (;;) {
      const current = (await admin.json(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      )) as { status?: { conditions?: Array<{ type: string; status: string }> } };
      if (current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not established within 60s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
