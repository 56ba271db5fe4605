import { emptySeverityCounts } from '../rules/severity.ts';
import {
  type ClusterDiff,
  type ClusterReport,
  type ClusterStatus,
  compareFindings,
  DIFF_EVENT,
  type DiffDocument,
  type Finding,
  type Report,
  type SeverityChange,
  type SeverityCounts,
} from './model.ts';

/** How a stored run read one cluster. */
export interface PreviousReading {
  runId: string;
  cluster: ClusterReport;
}

/** What the store knows about one cluster before this run. */
export interface PreviousCluster {
  /** The latest run that included the cluster, whatever its status. */
  latest: PreviousReading;
  /**
   * The latest run that read the cluster completely, when that is an earlier run than `latest`.
   * A finding it saw is not "new" just because a partial or failed run in between missed it.
   */
  lastComplete?: PreviousReading;
}

export interface PreviousRuns {
  /** The fleet's previous run. */
  runId?: string;
  clusters: ReadonlyMap<string, PreviousCluster>;
  /** Clusters of the previous fleet run, to say which ones this run left out. */
  fleetClusters?: readonly string[];
  /** Why the comparison is limited: an unreadable pointer or report, no store, ... */
  notes: readonly string[];
}

/**
 * What changed since the previous run, by finding id. Pure: the store reads the previous runs,
 * this only compares. Exempt findings are left out on both sides: policy has accepted them.
 */
export function diffReports(report: Report, previous: PreviousRuns): DiffDocument {
  const clusters = report.clusters.map((cluster) =>
    diffCluster(cluster, previous.clusters.get(cluster.name)),
  );
  const current = new Set(report.clusters.map((cluster) => cluster.name));
  const left = (previous.fleetClusters ?? []).filter((name) => !current.has(name));
  const compared = clusters.some((cluster) => cluster.previousRunId !== undefined);
  const notes = [
    ...previous.notes,
    ...(compared
      ? clusters
          .filter((cluster) => cluster.previousRunId === undefined)
          .map(
            (cluster) =>
              `Cluster ${cluster.name} has no earlier run: ${cluster.new.length === 1 ? 'its 1 finding counts' : `its ${cluster.new.length} findings all count`} as new.`,
          )
      : []),
    ...left.map(
      (name) =>
        `Cluster ${name} was in the previous run and is not in this one; its findings are not counted as resolved.`,
    ),
  ];
  const document: DiffDocument = {
    event: DIFF_EVENT,
    runId: report.runId,
    generatedAt: report.generatedAt,
    baseline: !compared,
    clusters,
    summary: {
      new: sum(clusters, (cluster) => cluster.new.length),
      resolved: sum(clusters, (cluster) => cluster.resolved.length),
      unchanged: sum(clusters, (cluster) => cluster.unchanged),
      newBySeverity: countBySeverity(clusters.flatMap((cluster) => cluster.new)),
      resolvedBySeverity: countBySeverity(clusters.flatMap((cluster) => cluster.resolved)),
    },
    notes,
  };
  if (previous.runId !== undefined) document.previousRunId = previous.runId;
  return document;
}

export function diffCluster(cluster: ClusterReport, previous: PreviousCluster | undefined): ClusterDiff {
  // Sorted once: every list below is filtered from it and keeps its order.
  const counted = cluster.findings.filter((finding) => !finding.exemption).sort(compareFindings);
  if (!previous) {
    return {
      name: cluster.name,
      status: cluster.status,
      new: counted,
      resolved: [],
      unchanged: 0,
      severityChanged: [],
      nodesLeftDocker: [],
      poolsBecameReady: [],
    };
  }
  const before = previous.latest.cluster;
  // Earlier complete reading first, so that the latest run's version of a finding wins.
  const seen = new Map<string, Finding>(
    [...(previous.lastComplete?.cluster.findings ?? []), ...before.findings].map((finding) => [
      finding.id,
      finding,
    ]),
  );
  const now = new Set(cluster.findings.map((finding) => finding.id));
  const withheld = resolvedWithheld(cluster.status, before.status, previous.latest.runId);
  const diff: ClusterDiff = {
    name: cluster.name,
    status: cluster.status,
    previousStatus: before.status,
    previousRunId: previous.latest.runId,
    new: counted.filter((finding) => !seen.has(finding.id)),
    resolved: withheld
      ? []
      : before.findings.filter((finding) => !finding.exemption && !now.has(finding.id)).sort(compareFindings),
    unchanged: counted.filter((finding) => seen.has(finding.id)).length,
    severityChanged: severityChanges(counted, seen),
    nodesLeftDocker: [],
    poolsBecameReady: [],
  };
  if (withheld) diff.resolvedWithheld = withheld;
  const base = progressBase(cluster, previous);
  if (typeof base === 'string') diff.progressWithheld = base;
  else {
    diff.nodesLeftDocker = nodesLeftDocker(cluster, base);
    diff.poolsBecameReady = poolsBecameReady(cluster, base);
  }
  return diff;
}

/**
 * What progress is measured against: the last complete reading, and only from a complete
 * reading now. A partial read can miss a blocker, so it never makes a pool "ready"; a reading
 * that missed nodes is never the "before" that they left Docker from. The reason otherwise.
 */
function progressBase(cluster: ClusterReport, previous: PreviousCluster): ClusterReport | string {
  if (cluster.status !== 'complete')
    return `This run did not read the cluster completely, so no node or pool is reported as having left Docker Engine or become ready.`;
  if (previous.latest.cluster.status === 'complete') return previous.latest.cluster;
  if (previous.lastComplete?.cluster.status === 'complete') return previous.lastComplete.cluster;
  return `No earlier run read the cluster completely, so there is nothing to measure progress against.`;
}

/** Pools that were held back in the earlier reading and are ready now (pools new since then are not "became"). */
function poolsBecameReady(cluster: ClusterReport, before: ClusterReport): string[] {
  const earlier = new Map((before.migration?.pools ?? []).map((pool) => [pool.name, pool]));
  return (cluster.migration?.pools ?? [])
    .filter((pool) => {
      const then = earlier.get(pool.name);
      return pool.ready && then !== undefined && !then.ready && then.nodesOnDocker > 0;
    })
    .map((pool) => pool.name)
    .sort();
}

/** Absence of evidence is not evidence of a fix: resolved needs two complete readings. */
function resolvedWithheld(
  now: ClusterStatus,
  before: ClusterStatus,
  previousRunId: string,
): string | undefined {
  const consequence = 'findings it did not see are not reported as resolved.';
  if (now === 'failed') return `This run could not read the cluster; ${consequence}`;
  if (now === 'partial') return `This run read the cluster only partially; ${consequence}`;
  if (before === 'failed')
    return `The previous run (${previousRunId}) could not read the cluster, so nothing can be reported as resolved.`;
  if (before === 'partial')
    return `The previous run (${previousRunId}) read the cluster only partially, so nothing can be reported as resolved until two complete runs agree.`;
  return undefined;
}

function severityChanges(counted: readonly Finding[], seen: ReadonlyMap<string, Finding>): SeverityChange[] {
  const changes: SeverityChange[] = [];
  for (const finding of counted) {
    const earlier = seen.get(finding.id);
    if (earlier && !earlier.exemption && earlier.severity !== finding.severity)
      changes.push({ finding, from: earlier.severity });
  }
  return changes;
}

/** Nodes that ran Docker Engine before and are still here on another runtime. */
function nodesLeftDocker(cluster: ClusterReport, before: ClusterReport): string[] {
  const onDocker = new Set(before.nodes.filter((node) => node.dockerEngine).map((node) => node.name));
  return cluster.nodes
    .filter((node) => !node.dockerEngine && onDocker.has(node.name))
    .map((node) => node.name)
    .sort();
}

function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts = emptySeverityCounts();
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}

function sum<T>(items: readonly T[], count: (item: T) => number): number {
  return items.reduce((total, item) => total + count(item), 0);
}
