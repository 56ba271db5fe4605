import { type ResourceRef, resourceKey } from '../kube/objects.ts';
import { resourceLabel } from '../kube/resource-label.ts';
import { type Blocker, BlockerPlacement } from '../report/migration.ts';
import type { Finding } from '../report/model.ts';
import { brokenNow } from '../rules/cluster/broken-now.ts';
import { atLeast, Severity } from '../rules/severity.ts';
import { plural } from '../text.ts';
import type { PlanFacts } from './facts.ts';
import type { PlanNode } from './pools.ts';
import { canSchedule } from './scheduling.ts';
import { pushTo } from './util.ts';

/** A workload (or configuration) that depends on Docker Engine, and the nodes it is on or can go to. */
export interface PlacedBlocker {
  resource: ResourceRef;
  findingIds: string[];
  /** The titles of its blocking findings, for the reason. */
  titles: string[];
  /** Nodes its pods run on now. */
  runsOn: ReadonlySet<string>;
  /** Nodes it would be scheduled on (a DaemonSet everywhere it matches; another workload with no pod now). */
  scheduledOn: ReadonlySet<string>;
  /** Not tied to nodes: it blocks every pool on Docker Engine. */
  clusterWide: boolean;
  /** A ConfigMap's readers: the workloads that mount it or take their environment from it. */
  readBy?: ResourceRef[];
}

/**
 * Findings that block a move: severity high or above (the workload breaks, or is broken, without
 * Docker Engine), not exempt, on anything but a Node (nodes are what moves). One entry per resource.
 */
export function blockingFindings(
  findings: readonly Finding[],
): Map<string, { resource: ResourceRef; findings: Finding[] }> {
  const byResource = new Map<string, { resource: ResourceRef; findings: Finding[] }>();
  for (const finding of findings) {
    if (finding.exemption || finding.resource.kind === 'Node' || !atLeast(finding.severity, Severity.high))
      continue;
    const key = resourceKey(finding.resource);
    const entry = byResource.get(key) ?? { resource: finding.resource, findings: [] };
    entry.findings.push(finding);
    byResource.set(key, entry);
  }
  return byResource;
}

/**
 * Where each blocking resource is: its pods' nodes; for a DaemonSet also every node its node
 * selector, affinity and tolerations admit; for a workload with no pod now, every node its
 * template admits. A ConfigMap goes where the workloads that mount it go, and is cluster-wide
 * when none does (Argo Workflows reads its executor setting through the API).
 */
export function placeBlockers(
  blocking: ReturnType<typeof blockingFindings>,
  facts: PlanFacts,
  nodes: readonly PlanNode[],
): PlacedBlocker[] {
  const podNodes = new Map<string, Set<string>>();
  for (const pod of facts.pods) {
    if (pod.node === undefined) continue;
    const key = resourceKey(pod.owner);
    const set = podNodes.get(key) ?? new Set<string>();
    set.add(pod.node);
    podNodes.set(key, set);
  }
  const templates = new Map<string, PlanFacts['workloads']>();
  for (const workload of facts.workloads) pushTo(templates, resourceKey(workload.owner), workload);
  const placementOf = (owner: ResourceRef): { runsOn: Set<string>; scheduledOn: Set<string> } => {
    const key = resourceKey(owner);
    const runsOn = new Set(podNodes.get(key) ?? []);
    const scheduledOn = new Set<string>();
    const daemonSet = owner.kind === 'DaemonSet';
    if (daemonSet || runsOn.size === 0) {
      for (const template of templates.get(key) ?? []) {
        for (const node of nodes) {
          if (canSchedule(template.scheduling, node.facts, { daemonSet })) scheduledOn.add(node.report.name);
        }
      }
    }
    return { runsOn, scheduledOn };
  };
  const placed: PlacedBlocker[] = [];
  for (const { resource, findings } of blocking.values()) {
    // "Broken now" restates, for other nodes, the dependency its sibling findings name.
    const named = findings.filter((finding) => finding.rule !== brokenNow.id);
    const base = {
      resource,
      findingIds: findings.map((finding) => finding.id).sort(),
      titles: [
        ...new Set(
          (named.length > 0 ? named : findings).map((finding) => `${finding.rule} ${finding.title}`),
        ),
      ].sort(),
    };
    if (resource.kind === 'ConfigMap') {
      const consumers = configMapConsumers(resource, facts);
      const runsOn = new Set<string>();
      const scheduledOn = new Set<string>();
      for (const consumer of consumers) {
        const placement = placementOf(consumer);
        for (const node of placement.runsOn) runsOn.add(node);
        for (const node of placement.scheduledOn) scheduledOn.add(node);
      }
      placed.push({
        ...base,
        runsOn,
        scheduledOn,
        clusterWide: consumers.length === 0,
        ...(consumers.length > 0 && {
          readBy: consumers.sort((a, b) => resourceKey(a).localeCompare(resourceKey(b))),
        }),
      });
      continue;
    }
    const { runsOn, scheduledOn } = placementOf(resource);
    // Neither a pod nor a template to place it by (a pending bare pod): it may land anywhere.
    const unplaced = runsOn.size === 0 && scheduledOn.size === 0 && !templates.has(resourceKey(resource));
    placed.push({ ...base, runsOn, scheduledOn, clusterWide: unplaced });
  }
  return placed.sort((a, b) => resourceKey(a.resource).localeCompare(resourceKey(b.resource)));
}

/** The top-level workloads whose pods or templates mount the ConfigMap or read it into their environment. */
function configMapConsumers(configMap: ResourceRef, facts: PlanFacts): ResourceRef[] {
  const consumers = new Map<string, ResourceRef>();
  const uses = (namespace: string | undefined, names: readonly string[]) =>
    namespace === configMap.namespace && names.includes(configMap.name);
  for (const pod of facts.pods)
    if (uses(pod.namespace, pod.configMaps)) consumers.set(resourceKey(pod.owner), pod.owner);
  for (const workload of facts.workloads)
    if (uses(workload.resource.namespace, workload.configMaps))
      consumers.set(resourceKey(workload.owner), workload.owner);
  return [...consumers.values()];
}

/** The blockers of a pool: what runs on, or would be scheduled on, its nodes that still run Docker Engine. */
export function poolBlockers(placed: readonly PlacedBlocker[], dockerNodes: readonly string[]): Blocker[] {
  const blockers: Blocker[] = [];
  for (const blocker of placed) {
    const runsHere = dockerNodes.filter((node) => blocker.runsOn.has(node)).length;
    const scheduledHere = dockerNodes.filter((node) => blocker.scheduledOn.has(node)).length;
    let placement: BlockerPlacement;
    let where: string;
    if (runsHere > 0) {
      placement = BlockerPlacement.runsHere;
      where = `${blocker.readBy ? 'their' : 'its'} pods run on ${runsHere} of the pool's ${dockerNodes.length} ${plural(dockerNodes.length, 'node')} on Docker Engine`;
    } else if (scheduledHere > 0) {
      placement = BlockerPlacement.scheduledHere;
      where =
        blocker.resource.kind === 'DaemonSet'
          ? `its node selector, affinity and tolerations admit ${scheduledHere} of the pool's ${dockerNodes.length} ${plural(dockerNodes.length, 'node')} on Docker Engine`
          : `no pod runs now, and its template could be scheduled on ${scheduledHere} of the pool's ${dockerNodes.length} ${plural(dockerNodes.length, 'node')} on Docker Engine`;
    } else if (blocker.clusterWide) {
      placement = BlockerPlacement.clusterWide;
      where =
        blocker.resource.kind === 'ConfigMap'
          ? 'no workload mounts it, so it applies wherever the software it configures runs'
          : 'it is not placed on any node yet, so it may run anywhere';
    } else continue;
    const readers = blocker.readBy ? ` (read by ${blocker.readBy.map(resourceLabel).join(', ')})` : '';
    blockers.push({
      resource: blocker.resource,
      findingIds: blocker.findingIds,
      placement,
      reason: `${blocker.titles.join('; ')}${readers}: ${where}.`,
      ...(blocker.readBy && { readBy: blocker.readBy }),
    });
  }
  return blockers;
}
