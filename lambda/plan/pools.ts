import { PoolSource, type RuntimeCategory } from '../report/migration.ts';
import type { NodeReport } from '../report/model.ts';
import { kubeletMinorVersion } from '../rules/lib/node-runtime.ts';
import type { NodeFacts } from './facts.ts';

/**
 * The labels that name a node's pool, most specific first. A label the policy file names comes
 * before all of them (`plan.poolLabels`).
 */
export const POOL_LABELS: ReadonlyArray<{ key: string; source: PoolSource }> = [
  { key: 'eks.amazonaws.com/nodegroup', source: PoolSource.eksManaged },
  { key: 'karpenter.sh/nodepool', source: PoolSource.karpenter },
  { key: 'karpenter.sh/provisioner-name', source: PoolSource.karpenter },
  { key: 'cloud.google.com/gke-nodepool', source: PoolSource.gke },
  { key: 'kubernetes.azure.com/agentpool', source: PoolSource.aks },
  { key: 'kops.k8s.io/instancegroup', source: PoolSource.kops },
];

const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

/** A node as the plan sees it: its runtime from the report, its labels and taints from the cluster. */
export interface PlanNode {
  report: NodeReport;
  category: RuntimeCategory;
  facts: NodeFacts;
}

export interface PoolGroup {
  name: string;
  source: PoolSource;
  label?: { key: string; value: string };
  /** Sorted by name. */
  nodes: PlanNode[];
}

/**
 * Nodes grouped into pools: by the first pool label a node carries; nodes with none by runtime
 * and kubelet version (control-plane nodes apart). Names are unique within the cluster.
 */
export function groupPools(nodes: readonly PlanNode[], policyLabels: readonly string[] = []): PoolGroup[] {
  const labels = [
    ...policyLabels.map((key) => ({ key, source: PoolSource.policy as PoolSource })),
    ...POOL_LABELS.filter((entry) => !policyLabels.includes(entry.key)),
  ];
  const groups = new Map<string, PoolGroup>();
  for (const node of nodes) {
    const match = labels.find(({ key }) => (node.facts.labels[key] ?? '') !== '');
    let id: string;
    let group: Omit<PoolGroup, 'nodes'>;
    if (match) {
      const value = node.facts.labels[match.key] ?? '';
      id = `label\u0000${match.key}\u0000${value}`;
      group = { name: value, source: match.source, label: { key: match.key, value } };
    } else {
      const controlPlane = CONTROL_PLANE_LABELS.some((key) => key in node.facts.labels);
      const kubelet = node.report.kubeletVersion || 'unknown';
      id = `runtime\u0000${controlPlane}\u0000${node.category}\u0000${kubelet}`;
      group = {
        name: `${controlPlane ? 'control plane, ' : ''}${node.category}, kubelet ${kubelet}`,
        source: PoolSource.runtimeAndKubelet,
      };
    }
    const entry = groups.get(id) ?? { ...group, nodes: [] };
    entry.nodes.push(node);
    groups.set(id, entry);
  }
  const pools = [...groups.values()];
  uniqueNames(pools);
  for (const pool of pools) pool.nodes.sort((a, b) => a.report.name.localeCompare(b.report.name));
  return pools.sort((a, b) => a.name.localeCompare(b.name));
}

/** Two labels with the same value (an EKS node group and a Karpenter pool both called `general`) get `key=value`. */
function uniqueNames(pools: PoolGroup[]): void {
  const counts = new Map<string, number>();
  for (const pool of pools) counts.set(pool.name, (counts.get(pool.name) ?? 0) + 1);
  for (const pool of pools)
    if (pool.label && (counts.get(pool.name) ?? 0) > 1) pool.name = `${pool.label.key}=${pool.label.value}`;
  const seen = new Map<string, number>();
  for (const pool of pools) {
    const times = (seen.get(pool.name) ?? 0) + 1;
    seen.set(pool.name, times);
    if (times > 1) pool.name = `${pool.name} (${times})`;
  }
}

/** Distinct kubelet versions, oldest first (by minor version, then as text). */
export function kubeletVersionsOf(nodes: readonly PlanNode[]): string[] {
  const versions = [
    ...new Set(nodes.map((node) => node.report.kubeletVersion).filter((version) => version !== '')),
  ];
  return versions.sort(
    (a, b) =>
      (kubeletMinorVersion(a) ?? 0) - (kubeletMinorVersion(b) ?? 0) ||
      a.localeCompare(b, undefined, { numeric: true }),
  );
}
