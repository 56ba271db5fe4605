import { type ResourceRef, resourceKey } from '../kube/objects.ts';
import { type DrainRisk, DrainRiskKind } from '../report/migration.ts';
import { plural } from '../text.ts';
import type { BudgetFacts, PlanFacts, PodFacts } from './facts.ts';
import { matchesSelector } from './scheduling.ts';
import { pushTo } from './util.ts';

/** Kinds whose pods are replicas of one another: one replica means downtime while it moves. */
const REPLICA_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'Rollout',
]);

/** How much each risk weighs when pools are ordered by risk: a stuck or destructive drain most. */
export const RISK_WEIGHTS: Readonly<Record<DrainRisk['kind'], number>> = {
  [DrainRiskKind.noDisruptionAllowed]: 3,
  [DrainRiskKind.unownedPod]: 3,
  [DrainRiskKind.singleReplica]: 2,
  [DrainRiskKind.emptyDir]: 1,
};

/** What a drain would do to the cluster's pods, worked out once for every pool. */
export interface DrainContext {
  /** Budgets that cover a pod (by `namespace/name`), with why each allows no disruption, when it does not. */
  budgetsOf(pod: PodFacts): Array<{ budget: BudgetFacts; blocks?: string }>;
  /** Replicas of a workload: its spec.replicas, else how many of its pods are active. */
  replicasOf(owner: ResourceRef): number;
}

export function drainContext(facts: PlanFacts): DrainContext {
  const active = facts.pods.filter((pod) => pod.active && !pod.drainSkips);
  // Budgets select pods of their own namespace only: index by namespace, not every pod per budget.
  const byNamespace = new Map<string, PodFacts[]>();
  for (const pod of active) pushTo(byNamespace, pod.namespace ?? '', pod);
  const covering = new Map<string, Array<{ budget: BudgetFacts; blocks?: string }>>();
  for (const budget of facts.budgets) {
    const { selector } = budget;
    if (!selector) continue;
    const matched = (byNamespace.get(budget.resource.namespace ?? '') ?? []).filter((pod) =>
      matchesSelector(selector, pod.labels),
    );
    const blocks = budgetBlocks(budget, matched.length);
    for (const pod of matched)
      pushTo(covering, podKey(pod), blocks === undefined ? { budget } : { budget, blocks });
  }
  const replicas = new Map<string, number>();
  for (const workload of facts.workloads)
    if (workload.replicas !== undefined) replicas.set(resourceKey(workload.resource), workload.replicas);
  const activePods = new Map<string, number>();
  for (const pod of active)
    activePods.set(resourceKey(pod.owner), (activePods.get(resourceKey(pod.owner)) ?? 0) + 1);
  return {
    budgetsOf: (pod) => covering.get(podKey(pod)) ?? [],
    replicasOf: (owner) => replicas.get(resourceKey(owner)) ?? activePods.get(resourceKey(owner)) ?? 0,
  };
}

/**
 * Why a budget allows no disruption now, or undefined when it allows one. A live cluster's
 * status.disruptionsAllowed is the truth; without it (manifests) the spec decides, with every
 * matched pod counted as healthy.
 */
export function budgetBlocks(budget: BudgetFacts, pods: number): string | undefined {
  if (isZero(budget.maxUnavailable)) return `maxUnavailable: ${budget.maxUnavailable}`;
  if (budget.disruptionsAllowed !== undefined)
    return budget.disruptionsAllowed <= 0
      ? `status.disruptionsAllowed is ${budget.disruptionsAllowed}`
      : undefined;
  if (budget.minAvailable !== undefined) {
    const needed = scaled(budget.minAvailable, pods);
    if (needed !== undefined && needed >= pods && pods > 0)
      return `minAvailable: ${budget.minAvailable} with ${pods} ${plural(pods, 'pod')}`;
  }
  return undefined;
}

function isZero(value: number | string | undefined): boolean {
  return value === 0 || (typeof value === 'string' && /^0+%?$/.test(value.trim()));
}

/** An int-or-percent of `total`, rounded up as the disruption controller rounds. */
function scaled(value: number | string, total: number): number | undefined {
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value.trim());
  if (percent) return Math.ceil((Number(percent[1]) / 100) * total);
  return /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}

function podKey(pod: PodFacts): string {
  return `${pod.namespace ?? ''}/${pod.name}`;
}

/**
 * What draining these nodes risks, per workload: a budget that lets nothing go (the drain
 * hangs), a single replica without a budget (downtime), a pod with no controller (deleted for
 * good), emptyDir data (deleted). DaemonSet pods and static pods are left alone by a drain.
 */
export function drainRisks(pods: readonly PodFacts[], context: DrainContext): DrainRisk[] {
  const byOwner = new Map<string, PodFacts[]>();
  for (const pod of pods) {
    if (!pod.active || pod.drainSkips) continue;
    pushTo(byOwner, pod.unowned ? `pod:${podKey(pod)}` : resourceKey(pod.owner), pod);
  }
  const risks: DrainRisk[] = [];
  for (const group of byOwner.values()) {
    const [first] = group;
    if (!first) continue;
    const resource = first.owner;
    const count = group.length;
    const budgets = group.flatMap((pod) => context.budgetsOf(pod));
    const stuck = budgets.find((entry) => entry.blocks !== undefined);
    if (stuck) {
      risks.push({
        resource,
        kind: DrainRiskKind.noDisruptionAllowed,
        pods: count,
        budget: stuck.budget.resource,
        reason: `PodDisruptionBudget ${stuck.budget.resource.name} allows no disruption now (${stuck.blocks}): kubectl drain waits for it, and the move stalls until the budget allows one.`,
      });
    }
    if (first.unowned) {
      risks.push({
        resource,
        kind: DrainRiskKind.unownedPod,
        pods: count,
        reason:
          'No controller owns this pod: kubectl drain refuses it without --force, and with --force deletes it for good.',
      });
    } else if (
      REPLICA_KINDS.has(resource.kind) &&
      budgets.length === 0 &&
      context.replicasOf(resource) === 1
    ) {
      risks.push({
        resource,
        kind: DrainRiskKind.singleReplica,
        pods: count,
        reason:
          'One replica and no PodDisruptionBudget: it is down from its eviction until it runs on another node.',
      });
    }
    const withData = group.filter((pod) => pod.emptyDirs.length > 0);
    const volumes = [...new Set(withData.flatMap((pod) => pod.emptyDirs))].sort();
    if (volumes.length > 0) {
      risks.push({
        resource,
        kind: DrainRiskKind.emptyDir,
        pods: withData.length,
        reason: `emptyDir ${plural(volumes.length, 'volume')} ${volumes.join(', ')}: the drain deletes ${volumes.length === 1 ? 'its' : 'their'} data (kubectl drain --delete-emptydir-data).`,
      });
    }
  }
  return risks.sort(
    (a, b) =>
      RISK_WEIGHTS[b.kind] - RISK_WEIGHTS[a.kind] ||
      resourceKey(a.resource).localeCompare(resourceKey(b.resource)) ||
      a.kind.localeCompare(b.kind),
  );
}

export function riskScore(risks: readonly DrainRisk[]): number {
  return risks.reduce((total, risk) => total + RISK_WEIGHTS[risk.kind], 0);
}
