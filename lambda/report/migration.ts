import type { ResourceRef } from '../kube/objects.ts';

/**
 * The migration plan of one cluster (`clusters[].migration` in report.json): which node pools
 * can leave Docker Engine now, what blocks the others, what a drain risks, in which order to go
 * and how. Made by the pure `plan` stage (lambda/plan/) from the cluster's findings, nodes,
 * pods and PodDisruptionBudgets; report.schema.json documents every field.
 */
export interface Migration {
  /**
   * False when the cluster was not read completely: then no pool is called ready (a blocker may
   * be in what could not be read), and `notes` says so.
   */
  complete: boolean;
  pools: PoolPlan[];
  /** Blockers in the order that frees the most nodes soonest: fix the first, then the next... */
  fixFirst: FixStep[];
  summary: MigrationSummary;
  notes: string[];
}

/** How far a pool is: off Docker Engine already, free to go, held back, or not known. */
export const PoolStatus = {
  migrated: 'migrated',
  ready: 'ready',
  blocked: 'blocked',
  /** No blocker was seen, but the cluster was read only partially: one may be in what was missed. */
  unverified: 'unverified',
} as const;
export type PoolStatus = (typeof PoolStatus)[keyof typeof PoolStatus];

/** Where a pool stands in the order (docs/migration-plan.md). */
export const OrderGroup = {
  /** No blockers: go now, smallest drain risk first. */
  ready: 'ready',
  /** Blocked only by DaemonSets, which are fixed once for every pool they run on. */
  afterDaemonSets: 'after-daemonsets',
  /** Blocked by other workloads or configuration: `prerequisites` says what comes first. */
  afterPrerequisites: 'after-prerequisites',
} as const;
export type OrderGroup = (typeof OrderGroup)[keyof typeof OrderGroup];

export type RuntimeCategory = 'dockershim' | 'cri-dockerd' | 'containerd' | 'cri-o' | 'other';
export const RUNTIME_CATEGORIES: readonly RuntimeCategory[] = [
  'dockershim',
  'cri-dockerd',
  'containerd',
  'cri-o',
  'other',
];

/** How people name each runtime. */
export const RUNTIME_LABELS: Record<RuntimeCategory, string> = {
  dockershim: 'dockershim',
  'cri-dockerd': 'cri-dockerd',
  containerd: 'containerd',
  'cri-o': 'CRI-O',
  other: 'other',
};

/**
 * A node's runtime as the plan and the reports name it: Docker Engine is told apart by its
 * bridge. The audit stores it on each node (`NodeReport.runtimeCategory`); read it there.
 */
export function runtimeCategory(node: {
  runtime: string;
  dockerEngine: boolean;
  dockershim: boolean;
}): RuntimeCategory {
  if (node.dockershim) return 'dockershim';
  if (node.dockerEngine) return 'cri-dockerd';
  const runtime = node.runtime.toLowerCase();
  if (runtime === 'containerd') return 'containerd';
  if (runtime === 'cri-o' || runtime === 'crio') return 'cri-o';
  return 'other';
}

/** What grouped the nodes into a pool. */
export const PoolSource = {
  eksManaged: 'eks-managed-node-group',
  karpenter: 'karpenter',
  gke: 'gke-node-pool',
  aks: 'aks-agent-pool',
  kops: 'kops-instance-group',
  policy: 'policy-label',
  /** No pool label: the nodes that share a runtime and a kubelet version. */
  runtimeAndKubelet: 'runtime-and-kubelet',
} as const;
export type PoolSource = (typeof PoolSource)[keyof typeof PoolSource];

export interface PoolPlan {
  /** The pool label's value; `key=value` when two labels give pools the same name; or `<runtime>, kubelet <version>`. */
  name: string;
  source: PoolSource;
  /** The node label that defines the pool; absent for pools grouped by runtime and kubelet. */
  label?: { key: string; value: string };
  /** Node names, sorted. */
  nodes: string[];
  /** The runtime of every node, or `mixed`. */
  runtime: RuntimeCategory | 'mixed';
  /** Nodes per runtime. */
  runtimes: Partial<Record<RuntimeCategory, number>>;
  /** Distinct kubelet versions, oldest first. */
  kubeletVersions: string[];
  /** Nodes that run Docker Engine (dockershim or cri-dockerd): what the pool has left to move. */
  nodesOnDocker: number;
  status: PoolStatus;
  /** True when the pool runs Docker Engine and nothing blocks its move (status `ready`). */
  ready: boolean;
  blockers: Blocker[];
  drainRisks: DrainRisk[];
  /** 1, 2, ... across the pools that still run Docker Engine; null for pools off it. */
  order: number | null;
  /** Absent for pools off Docker Engine. */
  orderGroup?: OrderGroup;
  /** What must happen before this pool can move (fix these workloads first). */
  prerequisites: string[];
  /** Version facts: dockershim ends at 1.24; cri-dockerd is a stopgap. */
  notes: string[];
  runbook: Runbook;
}

export const BlockerPlacement = {
  /** Its pods run on the pool's nodes now. */
  runsHere: 'runs-here',
  /** A DaemonSet whose node selector, affinity and tolerations match the pool's nodes, or a workload with no pod now whose template could land there. */
  scheduledHere: 'scheduled-here',
  /** Configuration that is not tied to nodes (Argo Workflows' executor): it applies wherever its software runs. */
  clusterWide: 'cluster-wide',
} as const;
export type BlockerPlacement = (typeof BlockerPlacement)[keyof typeof BlockerPlacement];

export interface Blocker {
  resource: ResourceRef;
  /** Its findings of severity high or above that no exemption covers. */
  findingIds: string[];
  placement: BlockerPlacement;
  /** For a ConfigMap: the workloads that mount it or take their environment from it. */
  readBy?: ResourceRef[];
  reason: string;
}

export const DrainRiskKind = {
  /** A PodDisruptionBudget allows no disruption now: a drain waits until it does. */
  noDisruptionAllowed: 'no-disruption-allowed',
  /** One replica and no budget: the drain takes it down until it is rescheduled. */
  singleReplica: 'single-replica',
  /** A pod without a controller: a drain deletes it for good (and needs --force). */
  unownedPod: 'unowned-pod',
  /** emptyDir volumes: a drain deletes their data. */
  emptyDir: 'emptydir',
} as const;
export type DrainRiskKind = (typeof DrainRiskKind)[keyof typeof DrainRiskKind];

export interface DrainRisk {
  /** The workload (top-level owner), or the pod itself when nothing owns it. */
  resource: ResourceRef;
  kind: DrainRiskKind;
  /** Its pods on the pool's nodes. */
  pods: number;
  /** The PodDisruptionBudget, for `no-disruption-allowed`. */
  budget?: ResourceRef;
  reason: string;
}

export const RunbookRoute = {
  /** The Kubernetes documentation's procedure, node by node. */
  inPlace: 'in-place',
  /** A new EKS managed node group on a containerd AMI, then the old one deleted. */
  eksManagedNodeGroup: 'eks-managed-node-group',
  /** GKE changes the pool's node image to a containerd one and replaces its nodes (a surge upgrade). */
  gkeNodePool: 'gke-node-pool',
  /** Nothing to move (the pool is off Docker Engine), or no node name that can go into a command. */
  none: 'none',
} as const;
export type RunbookRoute = (typeof RunbookRoute)[keyof typeof RunbookRoute];

export interface Runbook {
  route: RunbookRoute;
  steps: RunbookStep[];
  /** Said beside the commands: nodes left out of them, placeholders to fill in. */
  notes: string[];
}

export interface RunbookStep {
  title: string;
  /** Shell lines to paste, in order; comments start with `#`. */
  commands: string[];
}

export interface FixStep {
  resource: ResourceRef;
  findingIds: string[];
  /** Pools it blocks, by name. */
  pools: string[];
  /** Once this and every step before it are done: pools and nodes ready (or off Docker Engine already). */
  readyAfter: { pools: number; nodes: number };
}

export interface MigrationSummary {
  pools: number;
  /** Pools with at least one node on Docker Engine. */
  poolsOnDocker: number;
  ready: number;
  blocked: number;
  unverified: number;
  migrated: number;
  nodes: number;
  nodesOnDocker: number;
  /** Nodes on Docker Engine in ready pools. */
  nodesReady: number;
}
