import {
  type Migration,
  type PoolPlan,
  PoolStatus,
  RUNTIME_CATEGORIES,
  type RuntimeCategory,
} from '../report/migration.ts';
import type { ClusterReport } from '../report/model.ts';
import { blockingFindings, placeBlockers, poolBlockers } from './blockers.ts';
import { drainContext, drainRisks, riskScore } from './drain-risks.ts';
import type { PlanFacts, PodFacts } from './facts.ts';
import { fixFirst, orderPools } from './order.ts';
import { groupPools, kubeletVersionsOf, type PlanNode } from './pools.ts';
import { runbookFor } from './runbook.ts';
import { pushTo } from './util.ts';
import { clusterNotes, poolNotes } from './version-notes.ts';

export interface PlanInput {
  cluster: Pick<ClusterReport, 'status' | 'nodes' | 'findings' | 'source'>;
  facts: PlanFacts;
  /** Node labels the policy file names as pool labels, tried before the built-in ones. */
  poolLabels?: readonly string[];
}

/**
 * The migration plan of one cluster: a pure function of what the audit read and found. Pools
 * (plan/pools.ts), their blockers (blockers.ts, scheduling.ts), drain risks (drain-risks.ts),
 * the order and what comes first (order.ts), and a runbook per pool (runbook.ts).
 */
export function planMigration(input: PlanInput): Migration {
  const { cluster, facts } = input;
  const complete = cluster.status === 'complete';
  if (cluster.status === 'failed')
    return emptyPlan(false, ['The cluster could not be read: there is no plan for it in this run.']);
  const nodeFacts = new Map(facts.nodes.map((node) => [node.name, node]));
  const nodes: PlanNode[] = cluster.nodes.map((report) => ({
    report,
    category: report.runtimeCategory,
    facts: nodeFacts.get(report.name) ?? { name: report.name, labels: {}, taints: [] },
  }));
  if (nodes.length === 0)
    return emptyPlan(complete, [
      complete
        ? 'No nodes were read, so there are no pools to plan. A snapshot needs the Node objects too (kubectl get nodes -o json).'
        : 'No nodes were read (the cluster was read only partially), so there are no pools to plan.',
    ]);
  const placed = placeBlockers(blockingFindings(cluster.findings), facts, nodes);
  const context = drainContext(facts);
  const podsByNode = new Map<string, PodFacts[]>();
  for (const pod of facts.pods) if (pod.node !== undefined) pushTo(podsByNode, pod.node, pod);

  const drafts = groupPools(nodes, input.poolLabels).map((group) => {
    const dockerNodes = group.nodes
      .filter((node) => node.report.dockerEngine)
      .map((node) => node.report.name);
    const blockers = dockerNodes.length > 0 ? poolBlockers(placed, dockerNodes) : [];
    const pods = dockerNodes.flatMap((node) => podsByNode.get(node) ?? []);
    const risks = dockerNodes.length > 0 ? drainRisks(pods, context) : [];
    const status =
      dockerNodes.length === 0
        ? PoolStatus.migrated
        : blockers.length > 0
          ? PoolStatus.blocked
          : complete
            ? PoolStatus.ready
            : PoolStatus.unverified;
    const kubeletVersions = kubeletVersionsOf(group.nodes);
    const dockerVersions = kubeletVersionsOf(group.nodes.filter((node) => node.report.dockerEngine));
    const unownedPods = pods.filter((pod) => pod.active && pod.unowned).length;
    return { group, dockerNodes, blockers, risks, status, kubeletVersions, dockerVersions, unownedPods };
  });
  const orderable = drafts.map((draft) => ({
    name: draft.group.name,
    status: draft.status,
    blockers: draft.blockers,
    nodesOnDocker: draft.dockerNodes.length,
    risk: riskScore(draft.risks),
  }));
  const order = orderPools(orderable);
  const pools = drafts.map((draft): PoolPlan => {
    const { group } = draft;
    const runtimes = runtimeCounts(group.nodes);
    const categories = Object.keys(runtimes) as RuntimeCategory[];
    const place = order.get(group.name) ?? { order: null, prerequisites: [] };
    const pool: PoolPlan = {
      name: group.name,
      source: group.source,
      nodes: group.nodes.map((node) => node.report.name),
      runtime: categories.length === 1 ? (categories[0] as RuntimeCategory) : 'mixed',
      runtimes,
      kubeletVersions: draft.kubeletVersions,
      nodesOnDocker: draft.dockerNodes.length,
      status: draft.status,
      ready: draft.status === PoolStatus.ready,
      blockers: draft.blockers,
      drainRisks: draft.risks,
      order: place.order,
      prerequisites: place.prerequisites,
      notes: poolNotes(group.nodes, draft.status),
      runbook: runbookFor(group, { unownedPods: draft.unownedPods, kubeletVersions: draft.dockerVersions }),
    };
    if (group.label) pool.label = group.label;
    if (place.orderGroup) pool.orderGroup = place.orderGroup;
    return pool;
  });
  pools.sort(
    (a, b) =>
      (a.order ?? Number.POSITIVE_INFINITY) - (b.order ?? Number.POSITIVE_INFINITY) ||
      a.name.localeCompare(b.name),
  );
  const notes = clusterNotes(nodes, cluster.source);
  if (!complete)
    notes.unshift(
      'The cluster was read only partially: no pool is called ready, since a blocker may be in what could not be read.',
    );
  return {
    complete,
    pools,
    fixFirst: fixFirst(orderable),
    summary: {
      pools: pools.length,
      poolsOnDocker: pools.filter((pool) => pool.nodesOnDocker > 0).length,
      ready: count(pools, PoolStatus.ready),
      blocked: count(pools, PoolStatus.blocked),
      unverified: count(pools, PoolStatus.unverified),
      migrated: count(pools, PoolStatus.migrated),
      nodes: nodes.length,
      nodesOnDocker: nodes.filter((node) => node.report.dockerEngine).length,
      nodesReady: pools.filter((pool) => pool.ready).reduce((total, pool) => total + pool.nodesOnDocker, 0),
    },
    notes,
  };
}

function emptyPlan(complete: boolean, notes: string[]): Migration {
  return {
    complete,
    pools: [],
    fixFirst: [],
    summary: {
      pools: 0,
      poolsOnDocker: 0,
      ready: 0,
      blocked: 0,
      unverified: 0,
      migrated: 0,
      nodes: 0,
      nodesOnDocker: 0,
      nodesReady: 0,
    },
    notes,
  };
}

function runtimeCounts(nodes: readonly PlanNode[]): PoolPlan['runtimes'] {
  const counts: PoolPlan['runtimes'] = {};
  for (const category of RUNTIME_CATEGORIES) {
    const n = nodes.filter((node) => node.category === category).length;
    if (n > 0) counts[category] = n;
  }
  return counts;
}

function count(pools: readonly PoolPlan[], status: PoolStatus): number {
  return pools.filter((pool) => pool.status === status).length;
}
