import type { ResourceRef } from '../kube/objects.ts';

/**
 * What the plan needs from a cluster beyond its findings, kept small while the objects stream
 * past (read-facts.ts turns objects into these): nodes with their labels and taints, where
 * workloads may be scheduled, the pods on each node, and the PodDisruptionBudgets. Plain data,
 * so that every function of the plan is pure and can be tested without a cluster.
 */
export interface PlanFacts {
  nodes: NodeFacts[];
  /** Objects with a pod template (controllers, CronJobs, Argo and Tekton templates). */
  workloads: WorkloadFacts[];
  pods: PodFacts[];
  budgets: BudgetFacts[];
}

export interface NodeFacts {
  name: string;
  labels: Readonly<Record<string, string>>;
  taints: Taint[];
  /** The kubeadm cri-socket annotation: the runbook updates it on nodes that have it. */
  criSocket?: string;
}

export interface Taint {
  key: string;
  value?: string;
  /** NoSchedule, PreferNoSchedule or NoExecute. */
  effect: string;
}

export interface Toleration {
  key?: string;
  /** Equal (the default) or Exists. */
  operator?: string;
  value?: string;
  /** Empty: every effect. */
  effect?: string;
}

export interface NodeSelectorRequirement {
  key: string;
  /** In, NotIn, Exists, DoesNotExist, Gt, Lt. */
  operator: string;
  values: string[];
}

/** A term matches when all its requirements do; terms are alternatives. */
export interface NodeSelectorTerm {
  matchExpressions: NodeSelectorRequirement[];
  /** Only `metadata.name` is defined. */
  matchFields: NodeSelectorRequirement[];
}

/** What decides which nodes a pod template can run on. */
export interface Scheduling {
  nodeSelector: Readonly<Record<string, string>>;
  /** requiredDuringSchedulingIgnoredDuringExecution; absent when there is none. */
  requiredTerms?: NodeSelectorTerm[];
  tolerations: Toleration[];
  /** A template pinned to one node. */
  nodeName?: string;
  /** DaemonSets tolerate network-unavailable only with hostNetwork. */
  hostNetwork: boolean;
}

export interface WorkloadFacts {
  resource: ResourceRef;
  /** Its top-level owner (a ReplicaSet's Deployment), resolved; itself when nothing owns it. */
  owner: ResourceRef;
  scheduling: Scheduling;
  /** spec.replicas of kinds that have it (1 when unset, as the API server defaults it). */
  replicas?: number;
  /** ConfigMaps it mounts or reads its environment from, by name (its namespace). */
  configMaps: readonly string[];
}

export interface PodFacts {
  name: string;
  namespace?: string;
  node?: string;
  /** The top-level owner, resolved; the pod itself when nothing controls it. */
  owner: ResourceRef;
  /** No controller at all (not even a Node, for static pods). */
  unowned: boolean;
  /** A static pod's mirror or a DaemonSet's pod: `kubectl drain --ignore-daemonsets` leaves it. */
  drainSkips: boolean;
  /** Not Succeeded or Failed. */
  active: boolean;
  labels: Readonly<Record<string, string>>;
  emptyDirs: readonly string[];
  configMaps: readonly string[];
}

export interface LabelSelectorRequirement {
  key: string;
  /** In, NotIn, Exists, DoesNotExist. */
  operator: string;
  values: string[];
}

export interface LabelSelector {
  matchLabels: Readonly<Record<string, string>>;
  matchExpressions: LabelSelectorRequirement[];
}

export interface BudgetFacts {
  resource: ResourceRef;
  /** Undefined selects no pod (a missing selector; an empty one in policy/v1beta1). */
  selector?: LabelSelector;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  /** status.disruptionsAllowed, when the budget came from a live cluster. */
  disruptionsAllowed?: number;
}
